import { and, desc, eq, gte, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { webhookAttempts, webhookDeliveries, webhookSubscriptions, type DeliveryStatus } from "./schema-webhooks.ts";

export type SubscriptionRow = typeof webhookSubscriptions.$inferSelect;

/** A live subscription by id, only if it belongs to `teamId` (null: any team, for an all-teams admin). */
export function findSubscription(db: Db, id: string, teamId: string | null): Promise<SubscriptionRow | undefined> {
  return db
    .select()
    .from(webhookSubscriptions)
    .where(and(eq(webhookSubscriptions.id, id), isNull(webhookSubscriptions.deletedAt), teamId !== null ? eq(webhookSubscriptions.teamId, teamId) : undefined))
    .get();
}

/** A subscription as the API shows it: never the secrets, only whether a previous one still signs. */
export function subscriptionView(s: SubscriptionRow, now = Date.now()) {
  const { secret: _s, previousSecret, previousSecretExpiresAt, deletedAt: _d, ...rest } = s;
  const previousLive = previousSecret !== null && (previousSecretExpiresAt ?? 0) > now;
  return {
    ...rest,
    createdAt: new Date(s.createdAt).toISOString(),
    updatedAt: new Date(s.updatedAt).toISOString(),
    previousSecretExpiresAt: previousLive ? new Date(previousSecretExpiresAt!).toISOString() : null,
  };
}

/** The delivery log of one subscription, newest first, each delivery with its attempts. */
export async function listDeliveries(db: Db, subscriptionId: string, status: DeliveryStatus | undefined, limit: number) {
  const rows = await db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.subscriptionId, subscriptionId), status ? eq(webhookDeliveries.status, status) : undefined))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(limit);
  const attempts = rows.length
    ? await db.select().from(webhookAttempts).where(inArray(webhookAttempts.deliveryId, rows.map((r) => r.id))).orderBy(webhookAttempts.attempt)
    : [];
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return rows.map(({ body: _b, ...d }) => ({
    ...d,
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
    deliveredAt: iso(d.deliveredAt),
    log: attempts.filter((a) => a.deliveryId === d.id).map(({ id: _i, deliveryId: _d, at, ...a }) => ({ ...a, at: iso(at) })),
  }));
}

/** Delivery health per subscription since `since`: counts by status, the last success and the last error. */
export async function deliveryHealth(db: Db, teamId: string | null, since: number) {
  const subs = await db
    .select()
    .from(webhookSubscriptions)
    .where(and(isNull(webhookSubscriptions.deletedAt), teamId !== null ? eq(webhookSubscriptions.teamId, teamId) : undefined));
  const counts = await db
    .select({
      subscriptionId: webhookDeliveries.subscriptionId,
      status: webhookDeliveries.status,
      n: sql<number>`count(*)`,
      attempts: sql<number>`sum(${webhookDeliveries.attempts})`,
      lastDelivered: sql<number | null>`max(${webhookDeliveries.deliveredAt})`,
    })
    .from(webhookDeliveries)
    .where(gte(webhookDeliveries.createdAt, since))
    .groupBy(webhookDeliveries.subscriptionId, webhookDeliveries.status);
  const lastErrors = await db
    .select({ subscriptionId: webhookDeliveries.subscriptionId, error: webhookDeliveries.lastError, at: webhookDeliveries.updatedAt })
    .from(webhookDeliveries)
    .where(and(gte(webhookDeliveries.createdAt, since), inArray(webhookDeliveries.status, ["retrying", "dead"])))
    .orderBy(desc(webhookDeliveries.updatedAt));
  return subs.map((s) => {
    const mine = counts.filter((c) => c.subscriptionId === s.id);
    const by = (st: DeliveryStatus) => mine.find((c) => c.status === st)?.n ?? 0;
    const delivered = by("delivered");
    const lastDelivered = mine.reduce<number | null>((m, c) => (c.lastDelivered !== null && (m === null || c.lastDelivered > m) ? c.lastDelivered : m), null);
    const err = lastErrors.find((e) => e.subscriptionId === s.id);
    const done = delivered + by("dead");
    return {
      id: s.id,
      teamId: s.teamId,
      url: s.url,
      format: s.format,
      enabled: s.enabled,
      delivered,
      pending: by("pending") + by("retrying"),
      dead: by("dead"),
      skipped: by("skipped"),
      /** Share of finished deliveries that arrived (null before any finished). */
      successRate: done ? delivered / done : null,
      /** Attempts per delivered delivery: 1 means every one arrived first time. */
      attemptsPerDelivery: delivered ? (mine.find((c) => c.status === "delivered")!.attempts ?? 0) / delivered : null,
      lastDeliveredAt: lastDelivered === null ? null : new Date(lastDelivered).toISOString(),
      lastError: err ? { message: err.error, at: new Date(err.at).toISOString() } : null,
    };
  });
}
