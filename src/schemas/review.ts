import { z } from "zod";

const repId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "not a rep id");
const reason = z.string().trim().min(1).max(500);

export const HoldsQuery = z.object({
  status: z.enum(["pending", "approved", "overridden", "sent_back"]).default("pending").describe("pending (default), approved, overridden or sent_back"),
  limit: z.coerce.number().int().min(1).max(500).default(100).describe("1-500 (default 100)"),
});
export const ApproveBody = z.object({ note: z.string().trim().max(500).optional() }).default({});
export const OverrideBody = z.object({ repId, reason });
export const SendBackBody = z.object({ reason });
/** An admin moves any lead to another rep, saying why. */
export const ReassignBody = z.object({ repId, reason });
