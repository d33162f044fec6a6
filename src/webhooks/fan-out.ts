import { and, eq, inArray, isNull } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { getDb } from "../db/client.ts";
import { reps } from "../db/schema.ts";
import { webhookDeliveries, webhookSubscriptions } from "../db/schema-webhooks.ts";
import { sha256Hex } from "../lib/hashing.ts";
import { attemptWrites, backoffSeconds, postOnce } from "./deliver.ts";
import type { WebhookMessage } from "./emit.ts";
import type { WebhookEvent } from "./events.ts";
import { renderBody } from "./render.ts";

/**
 * The delivery id for one event and one subscription. Derived, not random: a fan-out retried after a
 * partial failure finds the rows it already wrote instead of creating second deliveries.
 */
export async function deliveryId(eventId: string, subscriptionId: string): Promise<string> {
  return `whd_${(await sha256Hex(`${eventId}:${subscriptionId}`)).slice(0, 24)}`;
}

/**
 * Turns a batch of events into deliveries and makes each one's first attempt at once: one read of the
 * live subscriptions (and rep names) for the whole batch, the POSTs in parallel, then one D1 batch that
 * writes every delivery (its rendered body kept, so a retry or redelivery sends the same bytes) with its
 * first attempt. A failed delivery goes back on the queue as a delivery message, after the backoff.
 * `retried` events (a fan-out that failed part-way) skip deliveries already written, re-queueing those
 * still unsettled.
 * Returns how many deliveries were made and how many of them arrived first time.
 */
export async function fanOut(env: Env, batch: readonly WebhookEvent[], fetcher: typeof fetch = fetch, retried = false): Promise<{ deliveries: number; delivered: number }> {
  const db = getDb(env.DB);
  // The queue may hand over one event twice in a batch; one delivery each.
  const events = [...new Map(batch.map((e) => [e.id, e])).values()];
  const teams = new Set(events.map((e) => e.teamId));
  const subs = await db
    .select()
    .from(webhookSubscriptions)
    .where(and(eq(webhookSubscriptions.enabled, true), isNull(webhookSubscriptions.deletedAt), teams.has(null) ? undefined : inArray(webhookSubscriptions.teamId, [...teams] as string[])));
  const pairs = events.flatMap((event) => subs.filter((s) => (event.teamId === null || s.teamId === event.teamId) && s.events.includes(event.type)).map((sub) => ({ event, sub })));
  if (pairs.length === 0) return { deliveries: 0, delivered: 0 };

  const repIds = [...new Set(pairs.map(({ event }) => ("decision" in event.data ? event.data.decision.repId : null)).filter((r): r is string => r !== null))];
  const repNames = new Map(repIds.length ? (await db.select({ id: reps.id, name: reps.name }).from(reps).where(inArray(reps.id, repIds))).map((r) => [r.id, r.name]) : []);
  let deliveries = await Promise.all(
    pairs.map(async ({ event, sub }) => {
      const id = await deliveryId(event.id, sub.id);
      const repId = "decision" in event.data ? event.data.decision.repId : null;
      return { id, sub, event, body: renderBody(sub.format, id, event, { repName: repId ? (repNames.get(repId) ?? null) : null, publicUrl: env.PUBLIC_URL }) };
    }),
  );
  if (retried) {
    const written = await db.select({ id: webhookDeliveries.id, status: webhookDeliveries.status }).from(webhookDeliveries).where(inArray(webhookDeliveries.id, deliveries.map((d) => d.id)));
    // Written but maybe never queued for their retry (the send after the batch failed): queue them now.
    const unsettled = written.filter((w) => w.status === "pending" || w.status === "retrying");
    if (unsettled.length > 0) await env.WEBHOOKS.sendBatch(unsettled.map((w) => ({ body: { kind: "delivery", deliveryId: w.id } satisfies WebhookMessage, contentType: "json" as const })));
    const done = new Set(written.map((w) => w.id));
    deliveries = deliveries.filter((d) => !done.has(d.id));
    if (deliveries.length === 0) return { deliveries: 0, delivered: 0 };
  }

  const attempts = await Promise.all(deliveries.map((d) => postOnce(env, d.sub, { id: d.id, eventType: d.event.type, body: d.body }, fetcher)));
  const writes: BatchItem<"sqlite">[] = deliveries.flatMap((d, i) => {
    const a = attempts[i]!;
    return [
      db.insert(webhookDeliveries).values({ id: d.id, subscriptionId: d.sub.id, teamId: d.sub.teamId, eventId: d.event.id, eventType: d.event.type, body: d.body, status: "pending", updatedAt: a.at }),
      ...attemptWrites(env, d.id, 1, a),
    ];
  });
  await db.batch(writes as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  const failed = deliveries.filter((_, i) => attempts[i]!.error !== null);
  if (failed.length > 0) {
    await env.WEBHOOKS.sendBatch(failed.map((d) => ({ body: { kind: "delivery", deliveryId: d.id } satisfies WebhookMessage, contentType: "json" as const, delaySeconds: backoffSeconds(env, 1) })));
  }
  return { deliveries: deliveries.length, delivered: deliveries.length - failed.length };
}

