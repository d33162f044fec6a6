import { z } from "@hono/zod-openapi";

/**
 * Success answers of the main operations, for the API document (named components). The handlers build
 * these bodies themselves; test/openapi-coverage.test.ts parses real answers with these schemas, so the
 * document cannot drift from them.
 */

const isoTime = z.string().describe("ISO 8601, UTC");
const Reason = z.object({ feature: z.string(), value: z.number(), contribution: z.number() });

export const DecisionSummary = z
  .object({
    id: z.string(),
    outcome: z.enum(["assigned", "queued", "nurture"]),
    tier: z.string(),
    repId: z.string().nullable(),
    queue: z.enum(["team", "global", "review"]).nullable(),
    mode: z.enum(["model", "rules"]),
    probability: z.number().nullable(),
    model: z.object({ name: z.string(), version: z.string(), sha256: z.string() }).nullable(),
    policyVersion: z.number().int(),
    reasons: z.array(Reason).describe("the features that moved the score most"),
    reason: z.string().describe("the decision in words"),
    timings: z.record(z.string(), z.number()).describe("milliseconds per stage"),
  })
  .openapi("DecisionSummary");

export const LeadAnswer = z
  .object({
    lead: z.object({ id: z.string(), status: z.enum(["decided", "merged", "received", "pending"]) }),
    decision: DecisionSummary.nullable().describe("null while the lead waits (pending, review) or when it was merged"),
  })
  .openapi("LeadAnswer");

export const Assignment = z
  .object({
    id: z.string().describe("the decision id: ack, accept and reject name it"),
    seq: z.number().int(),
    current: z.boolean().describe("false once a later decision superseded it"),
    createdAt: isoTime,
    teamId: z.string(),
    tier: z.string(),
    mode: z.enum(["model", "rules"]),
    probability: z.number().nullable(),
    reason: z.string(),
    reasons: z.unknown(),
    rep: z.object({ id: z.string(), name: z.string(), email: z.string() }).nullable(),
    lead: z.object({ id: z.string(), email: z.string(), receivedAt: isoTime, fields: z.record(z.string(), z.unknown()), consent: z.boolean().nullable() }),
  })
  .openapi("Assignment");

export const AssignmentsPage = z.object({ data: z.array(Assignment), nextCursor: z.string(), hasMore: z.boolean() }).openapi("AssignmentsPage");

export const AssignmentStatus = z.object({ id: z.string(), crmStatus: z.enum(["acked", "accepted"]) });

const ItemStatus = z.enum(["stored", "duplicate", "conflict", "not_found"]);
export const OutcomeAnswer = z.object({ id: z.string(), duplicate: z.boolean() });
export const OutcomesBatchAnswer = z
  .object({
    stored: z.number().int(),
    duplicates: z.number().int(),
    conflicts: z.number().int(),
    notFound: z.number().int(),
    results: z.array(z.object({ id: z.string(), leadId: z.string(), status: ItemStatus })),
  })
  .openapi("OutcomesBatchAnswer");

export const EventsAnswer = z
  .object({
    stored: z.number().int(),
    duplicates: z.array(z.string()),
    conflicts: z.array(z.string()),
    events: z.array(z.object({ id: z.string(), occurredAt: isoTime, stored: z.boolean(), status: z.enum(["stored", "duplicate", "conflict"]) })),
    ownersChanged: z.array(z.string()).describe("account domains whose owner moved"),
    rescored: z.array(z.object({ leadId: z.string(), from: z.string(), outcome: z.enum(["assigned", "queued", "nurture", "unchanged", "failed"]), decisionId: z.string().nullable() })),
  })
  .openapi("EventsAnswer");

export const CreatedToken = z
  .object({ id: z.string(), secret: z.string().describe("shown this once"), name: z.string(), scopes: z.array(z.string()), teamId: z.string().nullable() })
  .openapi("CreatedToken");

export const Health = z.object({ status: z.literal("ok") });
