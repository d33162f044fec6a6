import { eq, sql } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import { webhookAttempts, webhookDeliveries, webhookSubscriptions } from "../db/schema-webhooks.ts";
import { SIGNATURE_HEADER } from "../intake/signature.ts";
import { liveSecrets, signOutgoing } from "./sign.ts";

/** Headers every delivery carries besides the signature. */
export const DELIVERY_HEADER = "lead-router-delivery";
export const EVENT_HEADER = "lead-router-event";
export { SIGNATURE_HEADER };

export type DeliveryResult = "delivered" | "failed" | "skipped";

/** Seconds to wait before attempt `attempt + 1` of a queue message: base × 2^(attempt-1), capped. */
export function backoffSeconds(env: Pick<Env, "WEBHOOK_RETRY_BASE_SECONDS" | "WEBHOOK_RETRY_MAX_SECONDS">, attempt: number): number {
  const base = Number(env.WEBHOOK_RETRY_BASE_SECONDS);
  return Math.min(Number(env.WEBHOOK_RETRY_MAX_SECONDS), base * 2 ** Math.max(0, attempt - 1));
}

/**
 * POSTs one delivery to its subscription, signed, and logs the attempt with the delivery's new state in
 * one D1 batch. "failed" means retry; "skipped" and "delivered" mean the message is done (a delivery
 * already delivered is not sent again: the queue delivers at least once, this makes it once).
 */
export async function deliver(env: Env, id: string, fetcher: typeof fetch = fetch): Promise<DeliveryResult> {
  const db = getDb(env.DB);
  const row = await db
    .select({ delivery: webhookDeliveries, sub: webhookSubscriptions })
    .from(webhookDeliveries)
    .innerJoin(webhookSubscriptions, eq(webhookSubscriptions.id, webhookDeliveries.subscriptionId))
    .where(eq(webhookDeliveries.id, id))
    .get();
  if (!row || row.delivery.status === "delivered") return "skipped";
  const { delivery, sub } = row;
  if (!sub.enabled || sub.deletedAt !== null) {
    await db.update(webhookDeliveries).set({ status: "skipped", lastError: "subscription disabled or deleted", updatedAt: Date.now() }).where(eq(webhookDeliveries.id, id));
    return "skipped";
  }
  const raw = new TextEncoder().encode(delivery.body);
  const timeoutMs = Number(env.WEBHOOK_TIMEOUT_MS);
  const started = Date.now();
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    const res = await fetcher(sub.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "lead-router-webhooks/1",
        [SIGNATURE_HEADER]: await signOutgoing(raw, liveSecrets(sub, started)),
        [DELIVERY_HEADER]: delivery.id,
        [EVENT_HEADER]: delivery.eventType,
      },
      body: raw,
      // A redirect is the receiver's answer, not an instruction to post the lead elsewhere.
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    statusCode = res.status;
    const text = await res.text().catch(() => "");
    if (!res.ok) error = `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ""}`;
  } catch (err) {
    const e = err as Error;
    error = e?.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : `request failed: ${String(e?.message ?? err).slice(0, 200)}`;
  }
  const now = Date.now();
  const ok = error === null;
  await db.batch([
    db.insert(webhookAttempts).values({ deliveryId: id, attempt: delivery.attempts + 1, at: started, statusCode, error, durationMs: now - started }),
    db
      .update(webhookDeliveries)
      .set({ status: ok ? "delivered" : "retrying", attempts: sql`${webhookDeliveries.attempts} + 1`, lastStatusCode: statusCode, lastError: error, updatedAt: now, ...(ok ? { deliveredAt: now } : {}) })
      .where(eq(webhookDeliveries.id, id)),
  ]);
  return ok ? "delivered" : "failed";
}

/** A delivery whose queue message ran out of tries (it reached the dead-letter queue). */
export async function markDead(env: Env, id: string): Promise<void> {
  await getDb(env.DB)
    .update(webhookDeliveries)
    .set({ status: "dead", updatedAt: Date.now() })
    .where(sql`${webhookDeliveries.id} = ${id} AND ${webhookDeliveries.status} != 'delivered'`);
}
