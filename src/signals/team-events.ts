import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { failedConstraint, type Db } from "../db/client.ts";
import { assumptionChecks } from "../db/schema-signals.ts";
import { ttlCache } from "../lib/ttl-cache.ts";

/**
 * Whether a team has any signal events, as this isolate last read it. A live lead of a team with none needs
 * no read of its events (it has none: its signals are the empty ones, its account's context aside), so its
 * lead path makes no read before its one write; the write carries `noEventsCheck`, which fails its whole
 * batch if the lead has events at the primary after all (sent through another isolate since the flag was read),
 * and the lead is then decided again on a read (see routes/leads.ts). Events stored through this isolate
 * forget their team's flag at once.
 */
export const TEAM_EVENTS_TTL_MS = 2_000;
const teams = ttlCache<string, boolean>(TEAM_EVENTS_TTL_MS, 1_000);

/** Whether the team had any signal events, from `d1` (a replica session on the lead path) or this isolate's cache. */
export function teamHasEvents(d1: Pick<D1Database, "prepare">, teamId: string): Promise<boolean> {
  return teams.get(teamId, async () => (await d1.prepare("SELECT 1 FROM signal_events WHERE team_id = ?1 LIMIT 1").bind(teamId).first()) !== null);
}

/** After events of the team were stored (or erased): its flag is read again. */
export function forgetTeamEvents(teamId: string): void {
  teams.invalidate(teamId);
}

/**
 * For a batch writing a decision made as if the lead had no signal events: fails the batch (NOT NULL on
 * assumption_checks) when an event of its email, or of one of its account domains, since `since` exists.
 */
export function noEventsCheck(db: Db, subject: { teamId: string; email: string; since: number }, domains: readonly string[]): BatchItem<"sqlite"> {
  const { teamId, email, since } = subject;
  const byDomain = domains.length === 0 ? sql`` : sql` OR EXISTS (SELECT 1 FROM signal_events WHERE team_id = ${teamId} AND domain IN (${sql.join(domains.map((d) => sql`${d}`), sql`, `)}) AND occurred_at > ${since})`;
  return db.insert(assumptionChecks).select(sql`SELECT NULL WHERE EXISTS (SELECT 1 FROM signal_events WHERE team_id = ${teamId} AND subject = ${email} AND subject_type = 'email' AND occurred_at > ${since})${byDomain}`);
}

/** Whether a batch failed because the lead had signal events after all (see noEventsCheck). */
export function isFailedNoEventsCheck(err: unknown): boolean {
  return failedConstraint(err, /NOT NULL constraint failed: assumption_checks\./);
}
