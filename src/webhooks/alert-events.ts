import { and, eq, gt, isNotNull, lte, or } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import { alerts } from "../db/schema.ts";
import { webhookCursors } from "../db/schema-webhooks.ts";
import { emitEvent } from "./emit.ts";
import { alertTeam } from "./events.ts";
import { newId } from "../lib/hashing.ts";

const CURSOR = "alerts";
/** Rows written this recently may still be in flight from another isolate; the next scan takes them. */
const SETTLE_MS = 5_000;
/** A first scan looks back this far, not over all history. */
const FIRST_LOOKBACK_MS = 10 * 60_000;

/**
 * Publishes `alert.opened` and `alert.resolved` for alerts that opened or resolved since the last scan.
 * Alerts are raised from many places (monitoring, model loading, the routing guardrail, an admin's
 * resolve); reading the table once a minute from the cron covers them all without touching any of them.
 * The cursor moves by compare-and-set, so two overlapping runs never publish the same window twice.
 */
export async function publishAlertChanges(env: Env, now = Date.now()): Promise<{ opened: number; resolved: number }> {
  const db = getDb(env.DB);
  const upTo = now - SETTLE_MS;
  const cursor = await db.select().from(webhookCursors).where(eq(webhookCursors.name, CURSOR)).get();
  const from = cursor?.at ?? upTo - FIRST_LOOKBACK_MS;
  if (upTo <= from) return { opened: 0, resolved: 0 };
  const claimed = cursor
    ? await db.update(webhookCursors).set({ at: upTo }).where(and(eq(webhookCursors.name, CURSOR), eq(webhookCursors.at, from))).returning().get()
    : await db.insert(webhookCursors).values({ name: CURSOR, at: upTo }).onConflictDoNothing().returning().get();
  if (!claimed) return { opened: 0, resolved: 0 };
  const rows = await db
    .select()
    .from(alerts)
    .where(or(and(gt(alerts.firstAt, from), lte(alerts.firstAt, upTo)), and(isNotNull(alerts.resolvedAt), gt(alerts.resolvedAt, from), lte(alerts.resolvedAt, upTo))));
  let opened = 0;
  let resolved = 0;
  for (const a of rows) {
    const alert = { kind: a.kind, subject: a.subject, severity: a.severity, message: a.message };
    const base = { teamId: alertTeam(a.subject), data: { alert } };
    if (a.firstAt > from && a.firstAt <= upTo) {
      await emitEvent(env, { id: newId("evt"), type: "alert.opened", occurredAt: a.firstAt, ...base });
      opened++;
    }
    if (a.resolvedAt !== null && a.resolvedAt > from && a.resolvedAt <= upTo) {
      await emitEvent(env, { id: newId("evt"), type: "alert.resolved", occurredAt: a.resolvedAt, ...base });
      resolved++;
    }
  }
  return { opened, resolved };
}
