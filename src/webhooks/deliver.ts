import { eq, sql } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import { webhookAttempts, webhookDeliveries, webhookSubscriptions } from "../db/schema-webhooks.ts";
import type { SubscriptionRow } from "../db/webhooks.ts";
import { SIGNATURE_HEADER } from "../intake/signature.ts";
import { liveSecrets, signOutgoing } from "./sign.ts";

/** Headers every delivery carries besides the signature. */
export const DELIVERY_HEADER = "lead-router-delivery";
export const EVENT_HEADER = "lead-router-event";
export { SIGNATURE_HEADER };

/** Seconds to wait after a delivery's `attempts`-th failed try: base × 2^(attempts-1), capped. */
export function backoffSeconds(env: Pick<Env, "WEBHOOK_RETRY_BASE_SECONDS" | "WEBHOOK_RETRY_MAX_SECONDS">, attempts: number): number {
  const base = Number(env.WEBHOOK_RETRY_BASE_SECONDS);
  return Math.min(Number(env.WEBHOOK_RETRY_MAX_SECONDS), base * 2 ** Math.max(0, attempts - 1));
}

/** What one POST came to: the receiver's status code, or why there was none. `error` null means delivered. */
export type Attempt = { at: number; statusCode: number | null; error: string | null; durationMs: number };

/** One signed POST of a stored body to a subscription. Never throws: a failure is an attempt with an error. */
export async function postOnce(
  env: Env,
  sub: Pick<SubscriptionRow, "url" | "secret" | "previousSecret" | "previousSecretExpiresAt">,
  delivery: { id: string; eventType: string; body: string },
  fetcher: typeof fetch,
): Promise<Attempt> {
  const raw = new TextEncoder().encode(delivery.body);
  const timeoutMs = Number(env.WEBHOOK_TIMEOUT_MS);
  const at = Date.now();
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    const res = await fetcher(sub.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "lead-router-webhooks/1",
        [SIGNATURE_HEADER]: await signOutgoing(raw, liveSecrets(sub, at)),
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
  return { at, statusCode, error, durationMs: Date.now() - at };
}

/** The writes that log an attempt on an existing delivery row (to join a D1 batch). */
export function attemptWrites(env: Env, deliveryId: string, attemptNo: number, a: Attempt) {
  const db = getDb(env.DB);
  const ok = a.error === null;
  return [
    db.insert(webhookAttempts).values({ deliveryId, attempt: attemptNo, at: a.at, statusCode: a.statusCode, error: a.error, durationMs: a.durationMs }),
    db
      .update(webhookDeliveries)
      .set({ status: ok ? "delivered" : "retrying", attempts: sql`${webhookDeliveries.attempts} + 1`, lastStatusCode: a.statusCode, lastError: a.error, updatedAt: a.at + a.durationMs, ...(ok ? { deliveredAt: a.at + a.durationMs } : {}) })
      .where(eq(webhookDeliveries.id, deliveryId)),
  ] as const;
}

export type DeliveryResult = { result: "delivered" | "skipped" } | { result: "failed"; attempts: number };

/**
 * A retry (or a redelivery): POSTs one stored delivery again and logs the attempt with the delivery's new
 * state in one D1 batch. A delivery already delivered is not sent again (the queue delivers at least
 * once; this makes it once); one whose subscription was switched off is skipped.
 */
export async function deliver(env: Env, id: string, fetcher: typeof fetch = fetch): Promise<DeliveryResult> {
  const db = getDb(env.DB);
  const row = await db
    .select({ delivery: webhookDeliveries, sub: webhookSubscriptions })
    .from(webhookDeliveries)
    .innerJoin(webhookSubscriptions, eq(webhookSubscriptions.id, webhookDeliveries.subscriptionId))
    .where(eq(webhookDeliveries.id, id))
    .get();
  if (!row || row.delivery.status === "delivered") return { result: "skipped" };
  const { delivery, sub } = row;
  if (!sub.enabled || sub.deletedAt !== null) {
    await db.update(webhookDeliveries).set({ status: "skipped", lastError: "subscription disabled or deleted", updatedAt: Date.now() }).where(eq(webhookDeliveries.id, id));
    return { result: "skipped" };
  }
  const attempt = await postOnce(env, sub, delivery, fetcher);
  await db.batch(attemptWrites(env, id, delivery.attempts + 1, attempt));
  return attempt.error === null ? { result: "delivered" } : { result: "failed", attempts: delivery.attempts + 1 };
}

/** A delivery whose queue message ran out of tries (it reached the dead-letter queue). */
export async function markDead(env: Env, id: string): Promise<void> {
  await getDb(env.DB)
    .update(webhookDeliveries)
    .set({ status: "dead", updatedAt: Date.now() })
    .where(sql`${webhookDeliveries.id} = ${id} AND ${webhookDeliveries.status} != 'delivered'`);
}
