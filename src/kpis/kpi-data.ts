import { and, eq, gte, inArray, lt } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { decisions, leads, outcomes } from "../db/schema.ts";
import type { KpiDecision, KpiLead, KpiOutcome } from "./compute.ts";

/** The report's cohort: leads received in [from, to) (one team's, or all), with all their decisions and outcomes. */
export async function kpiRows(db: Db, from: number, to: number, teamId: string | null): Promise<{ leads: KpiLead[]; decisions: KpiDecision[]; outcomes: KpiOutcome[] }> {
  const where = and(gte(leads.receivedAt, from), lt(leads.receivedAt, to), teamId === null ? undefined : eq(leads.teamId, teamId));
  const cohort = db.select({ id: leads.id }).from(leads).where(where);
  const [l, d, o] = await Promise.all([
    db.select({ id: leads.id, receivedAt: leads.receivedAt, status: leads.status }).from(leads).where(where),
    db
      .select({ leadId: decisions.leadId, outcome: decisions.outcome, repId: decisions.repId, tier: decisions.tier, queue: decisions.queue, isCurrent: decisions.isCurrent, createdAt: decisions.createdAt, crmAcceptedAt: decisions.crmAcceptedAt })
      .from(decisions)
      .where(inArray(decisions.leadId, cohort)),
    db.select({ leadId: outcomes.leadId, type: outcomes.type, amount: outcomes.amount, occurredAt: outcomes.occurredAt }).from(outcomes).where(inArray(outcomes.leadId, cohort)),
  ]);
  return { leads: l, decisions: d, outcomes: o };
}
