import { and, asc, eq, inArray, isNotNull, isNull, lt, ne } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { getDb } from "../db/client.ts";
import { idempotencyKeys, leadDedupe, leads, sites, teams } from "../db/schema.ts";
import { signalEvents } from "../db/schema-signals.ts";
import { webhookDeliveries } from "../db/schema-webhooks.ts";
import { maskStatements } from "./mask.ts";

const DAY = 86_400_000;
/** What a webhook delivery's body becomes once retention masks it. */
export const MASKED_BODY = JSON.stringify({ masked: true });
/** Leads masked per team per cron run: one D1 batch each, well inside D1's statement limits. */
export const RETENTION_BATCH = 40;

/**
 * The cron's retention step. For every team with `retentionDays`, the personal fields of its leads older
 * than that are masked (oldest first, a batch per run; see maskStatements), its email-keyed signal
 * events and idempotency records older than that are deleted, and its webhook delivery bodies older than
 * that are masked. Leads, decisions, outcomes and model
 * lineage stay, so counts and reports keep their meaning. Dedupe records past their window (they hold
 * an email and are no longer needed) go for every team.
 */
export async function applyRetention(env: Env, now = Date.now()): Promise<{ masked: number; teams: number }> {
  const db = getDb(env.DB);
  const settings = await db.select({ id: teams.id, days: teams.retentionDays }).from(teams).where(isNotNull(teams.retentionDays));
  let masked = 0;
  for (const team of settings) {
    const cutoff = now - team.days! * DAY;
    const [old, teamSites] = await Promise.all([
      db
        .select({ id: leads.id, payload: leads.payload })
        .from(leads)
        .where(and(eq(leads.teamId, team.id), lt(leads.receivedAt, cutoff), isNull(leads.maskedAt)))
        .orderBy(asc(leads.receivedAt))
        .limit(RETENTION_BATCH),
      db.select({ id: sites.id }).from(sites).where(eq(sites.teamId, team.id)),
    ]);
    const statements: BatchItem<"sqlite">[] = [
      ...(await maskStatements(db, old, "retention", now)),
      db.delete(signalEvents).where(and(eq(signalEvents.teamId, team.id), eq(signalEvents.subjectType, "email"), lt(signalEvents.occurredAt, cutoff))),
      // A webhook delivery's body copied the lead; the delivery log (status, attempts) stays.
      db.update(webhookDeliveries).set({ body: MASKED_BODY }).where(and(eq(webhookDeliveries.teamId, team.id), lt(webhookDeliveries.createdAt, cutoff), ne(webhookDeliveries.body, MASKED_BODY))),
      ...(teamSites.length ? [db.delete(idempotencyKeys).where(and(inArray(idempotencyKeys.siteId, teamSites.map((s) => s.id)), lt(idempotencyKeys.createdAt, cutoff)))] : []),
    ];
    await db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
    masked += old.length;
  }
  await db.delete(leadDedupe).where(lt(leadDedupe.expiresAt, now));
  return { masked, teams: settings.length };
}
