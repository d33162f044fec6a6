import { and, asc, eq, gt, inArray, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "./client.ts";
import { decisions, leads, lineage, repFactsVersions, reps } from "./schema.ts";

export type DecisionRow = typeof decisions.$inferSelect;
export type LineageRow = typeof lineage.$inferSelect;
export type NewDecision = Omit<typeof decisions.$inferInsert, "seq" | "isCurrent" | "createdAt">;
export type NewLineage = Omit<typeof lineage.$inferInsert, "decisionId" | "createdAt">;

/**
 * Writes a decision as one D1 batch (one transaction): the lead's previous current decision is
 * superseded, the new one and its lineage inserted, the lead marked decided. Either all of it lands or
 * none does; the partial unique index on current decisions rejects a racing second decision. `extra`
 * statements (a review hold, an audit row) join the same transaction.
 */
export async function recordDecision(db: Db, decision: NewDecision, trail: NewLineage, extra: BatchItem<"sqlite">[] = []): Promise<void> {
  await db.batch([
    db
      .update(decisions)
      .set({ isCurrent: false, crmStatus: sql`CASE WHEN crm_status = 'rejected' THEN 'rejected' ELSE 'superseded' END` })
      .where(and(eq(decisions.leadId, decision.leadId), eq(decisions.isCurrent, true))),
    ...firstDecisionStatements(db, decision, trail),
    db.update(leads).set({ status: "decided", lastError: null }).where(eq(leads.id, decision.leadId)),
    ...extra,
  ]);
}

/** A decision (made current) and its lineage, as statements for a batch: recordDecision's, or storeDecidedLead's for a new lead. */
export function firstDecisionStatements(db: Db, decision: NewDecision, trail: NewLineage): BatchItem<"sqlite">[] {
  return [db.insert(decisions).values({ ...decision, isCurrent: true }), db.insert(lineage).values({ ...trail, decisionId: decision.id })];
}

/**
 * A decision, its lineage as stored, and the rep facts set its candidates reference (`factsJson`, null for
 * lineage written before 0003_rep_facts_versions, whose candidates carry their facts). Expand with routing's decodeCandidates.
 */

export async function getDecisionWithLineage(db: Db, id: string) {
  const rows = await db
    .select({ decision: decisions, lineage, factsJson: repFactsVersions.facts })
    .from(decisions)
    .innerJoin(lineage, eq(lineage.decisionId, decisions.id))
    .leftJoin(repFactsVersions, sql`${repFactsVersions.hash} = json_extract(${lineage.candidates}, '$.facts')`)
    .where(eq(decisions.id, id));
  return rows[0];
}

/** The CRM feed: assignments after `cursor` (a decision seq), oldest first, optionally one team's. */
export function assignmentsAfter(db: Db, cursor: number, limit: number, teamId: string | null) {
  const where = and(
    gt(decisions.seq, cursor),
    eq(decisions.outcome, "assigned"),
    teamId === null ? undefined : eq(decisions.teamId, teamId),
  );
  return db
    .select({ decision: decisions, lead: leads, rep: { id: reps.id, name: reps.name, email: reps.email }, reasons: lineage.reasons })
    .from(decisions)
    .innerJoin(leads, eq(leads.id, decisions.leadId))
    .innerJoin(lineage, eq(lineage.decisionId, decisions.id))
    .leftJoin(reps, eq(reps.id, decisions.repId))
    .where(where)
    .orderBy(asc(decisions.seq))
    .limit(limit);
}

export async function getDecision(db: Db, id: string): Promise<DecisionRow | undefined> {
  return db.select().from(decisions).where(eq(decisions.id, id)).get();
}

/** The lead's current decision. */
export async function currentDecision(db: Db, leadId: string): Promise<DecisionRow | undefined> {
  return db.select().from(decisions).where(and(eq(decisions.leadId, leadId), eq(decisions.isCurrent, true))).get();
}

/**
 * Moves a current assignment's CRM status, only from the states that allow it; returns the updated row,
 * or undefined when the assignment is no longer current or already past that state.
 */
export async function setCrmStatus(db: Db, id: string, to: DecisionRow["crmStatus"], from: DecisionRow["crmStatus"][], note: string | null) {
  return db
    .update(decisions)
    .set({ crmStatus: to, crmNote: note, crmUpdatedAt: Date.now(), ...(to === "accepted" ? { crmAcceptedAt: Date.now() } : {}) })
    .where(and(eq(decisions.id, id), eq(decisions.isCurrent, true), inArray(decisions.crmStatus, from)))
    .returning()
    .get();
}

/**
 * Sends the leads of these decisions back to `pending` (for the cron to decide again) and supersedes the
 * decisions, in one batch, for those still current and still matching `also` (e.g. this rep's, or still
 * open in the CRM); a decision replaced meanwhile is left alone. For assignments that hold no slot on their
 * rep's capacity object.
 */
export async function returnToPending(db: Db, decisionIds: readonly string[], why: { note: string; error: string; also?: SQL }): Promise<void> {
  if (decisionIds.length === 0) return;
  const still = and(eq(decisions.isCurrent, true), inArray(decisions.id, [...decisionIds]), why.also);
  await db.batch([
    db.update(leads).set({ status: "pending", lastError: why.error }).where(inArray(leads.id, db.select({ id: decisions.leadId }).from(decisions).where(still))),
    db.update(decisions).set({ isCurrent: false, crmStatus: "superseded", crmNote: why.note, crmUpdatedAt: Date.now() }).where(still),
  ]);
}
