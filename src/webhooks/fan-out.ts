import { and, eq, isNull } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import { reps } from "../db/schema.ts";
import { webhookDeliveries, webhookSubscriptions } from "../db/schema-webhooks.ts";
import { sha256Hex } from "../lib/hashing.ts";
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
 * Turns one event into a delivery per subscription that wants it: rows written in one D1 batch (the
 * rendered body kept, so a redelivery sends the same bytes), then one queue message per delivery, so
 * each receiver retries on its own schedule. Returns how many deliveries it made.
 */
export async function fanOut(env: Env, event: WebhookEvent): Promise<number> {
  const db = getDb(env.DB);
  const subs = await db
    .select()
    .from(webhookSubscriptions)
    .where(and(eq(webhookSubscriptions.enabled, true), isNull(webhookSubscriptions.deletedAt), event.teamId !== null ? eq(webhookSubscriptions.teamId, event.teamId) : undefined));
  const targets = subs.filter((s) => s.events.includes(event.type));
  if (targets.length === 0) return 0;
  const repId = "decision" in event.data ? event.data.decision.repId : null;
  const repName = repId ? ((await db.select({ name: reps.name }).from(reps).where(eq(reps.id, repId)).get())?.name ?? null) : null;
  const now = Date.now();
  const rows = await Promise.all(
    targets.map(async (s) => {
      const id = await deliveryId(event.id, s.id);
      const body = renderBody(s.format, id, event, { repName, publicUrl: env.PUBLIC_URL });
      return { id, subscriptionId: s.id, teamId: s.teamId, eventId: event.id, eventType: event.type, body, status: "pending" as const, updatedAt: now };
    }),
  );
  const [first, ...rest] = rows.map((r) => db.insert(webhookDeliveries).values(r).onConflictDoNothing());
  await db.batch([first!, ...rest]);
  await env.WEBHOOKS.sendBatch(rows.map((r) => ({ body: { kind: "delivery", deliveryId: r.id } satisfies WebhookMessage, contentType: "json" as const })));
  return rows.length;
}
