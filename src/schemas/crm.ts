import { z } from "zod";

export const FeedQuery = z.object({
  cursor: z.string().regex(/^\d{1,15}$/, "must be a cursor returned by this API").default("0").transform(Number).describe("a nextCursor from a previous page (default 0)"),
  limit: z.coerce.number().int().min(1).max(500).default(100).describe("1-500 (default 100)"),
});

export const NoteBody = z.object({ note: z.string().trim().max(500).optional() }).default({});
export const RejectBody = z.object({ reason: z.string().trim().min(1).max(500) });

export const OutcomeSchema = z.object({
  /** Your id for the event: sending it again does nothing. */
  id: z.string().trim().min(1).max(100),
  leadId: z.string().min(1).max(100),
  type: z.enum(["contacted", "opportunity_created", "won", "lost"]),
  amount: z.number().nonnegative().max(1e12).optional(),
  occurredAt: z.iso.datetime({ offset: true }),
});

/** Most outcomes one request may carry, as for events. */
export const MAX_OUTCOMES_PER_BATCH = 500;

/** `POST /v1/outcomes` with `{ "outcomes": [...] }`: 1 to 500 outcomes, a result per item. */
export const OutcomesBatch = z.object({ outcomes: z.array(OutcomeSchema).min(1).max(MAX_OUTCOMES_PER_BATCH) });

export const ExportQuery = z.object({
  cursor: z.string().regex(/^\d{1,15}$/).default("0").transform(Number).describe("a nextCursor (default 0)"),
  limit: z.coerce.number().int().min(1).max(1000).default(500).describe("1-1000 leads scanned (default 500)"),
  /** Days after a lead's decision in which an opportunity or win makes it a positive (see src/training/horizon-labels.ts). */
  horizonDays: z.coerce.number().int().min(1).max(3650).default(90).describe("1-3650 (default 90)"),
});
