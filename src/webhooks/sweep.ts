import { and, asc, inArray, lt } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import { webhookDeliveries } from "../db/schema-webhooks.ts";
import type { WebhookMessage } from "./emit.ts";

const UNSETTLED = ["pending", "retrying"] as const;
/** Deliveries the sweep queues again per run, oldest first. */
export const SWEEP_LIMIT = 100;

/**
 * How long an unsettled delivery may sit untouched before its queue message counts as lost: twice the longest
 * backoff (every try, and every retry the queue makes, touches the row well within one).
 */
export const stuckAfterMs = (env: Pick<Env, "WEBHOOK_RETRY_MAX_SECONDS">) => 2 * Number(env.WEBHOOK_RETRY_MAX_SECONDS) * 1000;

/**
 * Queues again the deliveries still pending or retrying whose row nobody touched for `stuckAfterMs`: their
 * message was lost (a send that failed after the row was written, or a queue that dropped it). Queues deliver
 * at least once and receivers dedupe on the delivery id, so a message that was only slow costs at most a
 * second POST of the same delivery; a delivered one is never sent again (see deliver). Each row is touched
 * before its message goes out, so a failing send is swept again after the same wait, not at every run.
 * Returns how many were queued. Run by the cron trigger.
 */
export async function requeueStuckDeliveries(env: Env, now = Date.now()): Promise<number> {
  const db = getDb(env.DB);
  const idle = and(inArray(webhookDeliveries.status, [...UNSETTLED]), lt(webhookDeliveries.updatedAt, now - stuckAfterMs(env)));
  const stuck = await db.select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(idle).orderBy(asc(webhookDeliveries.updatedAt)).limit(SWEEP_LIMIT);
  if (stuck.length === 0) return 0;
  const ids = stuck.map((d) => d.id);
  // Only rows still idle: one a late message settled or touched since the read is left alone.
  const touched = await db.update(webhookDeliveries).set({ updatedAt: now }).where(and(idle, inArray(webhookDeliveries.id, ids))).returning({ id: webhookDeliveries.id });
  const mine = new Set(touched.map((d) => d.id));
  const queued = ids.filter((id) => mine.has(id));
  if (queued.length === 0) return 0;
  await env.WEBHOOKS.sendBatch(queued.map((id) => ({ body: { kind: "delivery", deliveryId: id } satisfies WebhookMessage, contentType: "json" as const })));
  return queued.length;
}
