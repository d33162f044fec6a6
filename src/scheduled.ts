import { getDb } from "./db/client.ts";
import { markAttemptFailed, pendingLeads } from "./db/leads.ts";
import { decideLead } from "./routing/decide.ts";

/** Leads younger than this are still in their first request's hands. */
const RETRY_AFTER_MS = 30_000;
const RETRY_BATCH = 50;

/** Cron: decides leads left pending by a failed request (scoring, routing or D1 trouble). */
export async function retryPendingLeads(env: Env, olderThanMs = RETRY_AFTER_MS): Promise<{ retried: number; decided: number }> {
  const db = getDb(env.DB);
  const pending = await pendingLeads(db, olderThanMs, RETRY_BATCH);
  let decided = 0;
  for (const lead of pending) {
    try {
      await decideLead(env, lead);
      decided++;
    } catch (err) {
      await markAttemptFailed(db, lead.id, String(err));
    }
  }
  return { retried: pending.length, decided };
}

export const scheduled: ExportedHandlerScheduledHandler<Env> = async (_controller, env, ctx) => {
  ctx.waitUntil(retryPendingLeads(env));
};
