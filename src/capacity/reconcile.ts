import { and, eq, gt, inArray, lt } from "drizzle-orm";
import { chunks } from "../db/chunks.ts";
import { getDb } from "../db/client.ts";
import { returnToPending } from "../db/decisions.ts";
import { decisions } from "../db/schema.ts";

/** Decisions younger than this are still in their request's hands (its repair, its hold's alarm). */
const SETTLED_AFTER_MS = 5 * 60_000;
/** How far back the sweep looks: a stranded assignment is found within minutes, so an hour is plenty. */
const LOOK_BACK_MS = 60 * 60_000;
const BATCH = 500;

/**
 * The cron's check that D1 and the reps' objects agree: every current assignment the CRM has not closed or
 * rejected must hold a slot on its rep's Durable Object. One that does not (a write whose reservation was
 * lost to a double fault: the object failed, then the repair's write did too) is superseded and its lead
 * sent back to pending, for `retryPendingLeads` to decide again under the caps. One RPC per rep with recent
 * assignments, one D1 read, one D1 batch when something is stranded.
 */
export async function reconcileAssignments(env: Env, now = Date.now()): Promise<{ checked: number; stranded: number }> {
  const db = getDb(env.DB);
  const open = inArray(decisions.crmStatus, ["new", "acked", "accepted"]);
  const rows = await db
    .select({ id: decisions.id, leadId: decisions.leadId, repId: decisions.repId })
    .from(decisions)
    .where(and(eq(decisions.isCurrent, true), eq(decisions.outcome, "assigned"), open, gt(decisions.createdAt, now - LOOK_BACK_MS), lt(decisions.createdAt, now - SETTLED_AFTER_MS)))
    .limit(BATCH);
  const byRep = new Map<string, typeof rows>();
  for (const r of rows) {
    if (r.repId === null) continue;
    const list = byRep.get(r.repId);
    if (list) list.push(r);
    else byRep.set(r.repId, [r]);
  }
  const stranded: string[] = [];
  await Promise.all(
    [...byRep].map(async ([repId, list]) => {
      const held = new Set(await env.REP_CAPACITY.getByName(repId).holding(list.map((r) => r.leadId)));
      stranded.push(...list.filter((r) => !held.has(r.leadId)).map((r) => r.id));
    }),
  );
  // Still open in the CRM: one closed or rejected meanwhile freed its slot for a reason.
  for (const part of chunks(stranded)) {
    await returnToPending(db, part, { note: "no slot on the rep's capacity object", error: "its assignment held no slot on its rep's capacity object", also: open });
  }
  return { checked: rows.length, stranded: stranded.length };
}
