import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { alerts } from "./schema.ts";

export type AlertRow = typeof alerts.$inferSelect;
export type NewAlert = { kind: string; subject: string; severity: "warn" | "alert"; message: string };

/** Opens an alert, or bumps the open one of the same kind and subject (its count, time and message). */
export async function raiseAlert(db: Db, alert: NewAlert, now = Date.now()): Promise<void> {
  await db
    .insert(alerts)
    .values({ ...alert, firstAt: now, lastAt: now })
    .onConflictDoUpdate({
      target: [alerts.kind, alerts.subject],
      targetWhere: isNull(alerts.resolvedAt),
      set: { count: sql`${alerts.count} + 1`, lastAt: now, message: alert.message, severity: alert.severity },
    });
}

/** Closes the open alert of this kind and subject, if there is one. */
export async function resolveAlert(db: Db, kind: string, subject: string, now = Date.now()): Promise<boolean> {
  const row = await db
    .update(alerts)
    .set({ resolvedAt: now })
    .where(and(eq(alerts.kind, kind), eq(alerts.subject, subject), isNull(alerts.resolvedAt)))
    .returning({ id: alerts.id })
    .get();
  return row !== undefined;
}

/**
 * Alerts, newest activity first; only open ones unless `all`. `subjects` narrows them to one team's (its
 * `team:<id>` alerts and its model family's).
 */
export function listAlerts(db: Db, all: boolean, limit = 100, subjects: string[] | null = null): Promise<AlertRow[]> {
  return db
    .select()
    .from(alerts)
    .where(and(all ? undefined : isNull(alerts.resolvedAt), subjects === null ? undefined : inArray(alerts.subject, subjects)))
    .orderBy(desc(alerts.lastAt))
    .limit(limit);
}
