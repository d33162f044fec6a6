import { and, desc, eq, gte, inArray, lte } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { decisions, leads, lineage, outcomes } from "../db/schema.ts";

/** Outcome types that count as a conversion (the same label the training export uses). */
export const POSITIVE_OUTCOMES: ReadonlySet<string> = new Set(["opportunity_created", "won"]);

export type WindowRow = {
  decisionId: string;
  leadId: string;
  teamId: string;
  createdAt: number;
  isCurrent: boolean;
  outcome: "assigned" | "queued" | "nurture";
  tier: string;
  repId: string | null;
  mode: "model" | "rules";
  probability: number | null;
  modelName: string | null;
  modelVersion: string | null;
  policyVersion: number;
  crmStatus: string;
  crmNote: string | null;
  reason: string;
  payload: Record<string, unknown>;
  receivedAt: number;
  attempts: number;
  features: Record<string, unknown>;
  /** The vector the model saw (its named values are the model's feature columns). */
  vector: number[];
  timings: Record<string, number>;
  shadow: { version: string; probability: number; tier: string } | null;
  fallbackReason: string | null;
};

/** Decisions made in [from, to] with their lead and lineage, newest first (at most `limit`), optionally one team's. */
export async function decisionsInWindow(db: Db, from: number, to: number, limit = 2_000, teamId: string | null = null): Promise<WindowRow[]> {
  const rows = await db
    .select({ d: decisions, l: leads, g: lineage })
    .from(decisions)
    .innerJoin(leads, eq(leads.id, decisions.leadId))
    .innerJoin(lineage, eq(lineage.decisionId, decisions.id))
    .where(and(gte(decisions.createdAt, from), lte(decisions.createdAt, to), teamId === null ? undefined : eq(decisions.teamId, teamId)))
    .orderBy(desc(decisions.seq))
    .limit(limit);
  return rows.map(({ d, l, g }) => ({
    decisionId: d.id,
    leadId: d.leadId,
    teamId: d.teamId,
    createdAt: d.createdAt,
    isCurrent: d.isCurrent,
    outcome: d.outcome,
    tier: d.tier,
    repId: d.repId,
    mode: d.mode,
    probability: d.probability,
    modelName: d.modelName,
    modelVersion: d.modelVersion,
    policyVersion: d.policyVersion,
    crmStatus: d.crmStatus,
    crmNote: d.crmNote,
    reason: d.reason,
    payload: (l.payload ?? {}) as Record<string, unknown>,
    receivedAt: l.receivedAt,
    attempts: l.attempts,
    features: (g.features ?? {}) as Record<string, unknown>,
    vector: (g.vector ?? []) as number[],
    timings: (g.timings ?? {}) as Record<string, number>,
    shadow: (g.shadow ?? null) as WindowRow["shadow"],
    fallbackReason: g.fallbackReason,
  }));
}

/** The newest decision of each lead (rows newest first, as decisionsInWindow gives them). */
export function latestPerLead(rows: readonly WindowRow[]): WindowRow[] {
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.leadId) && (seen.add(r.leadId), true));
}

export type LeadOutcome = { converted: 0 | 1; firstActionAt: number };

/**
 * What the CRM reported for the leads decided in [from, to]: converted (an opportunity or a win) and
 * when the first outcome of any kind happened (optionally one team's). Leads with no outcome yet are absent.
 */
export async function outcomesInWindow(db: Db, from: number, to: number, teamId: string | null = null): Promise<Map<string, LeadOutcome>> {
  const leadIds = db
    .select({ id: decisions.leadId })
    .from(decisions)
    .where(and(gte(decisions.createdAt, from), lte(decisions.createdAt, to), teamId === null ? undefined : eq(decisions.teamId, teamId)));
  const rows = await db.select().from(outcomes).where(inArray(outcomes.leadId, leadIds));
  const out = new Map<string, LeadOutcome>();
  for (const o of rows) {
    const prev = out.get(o.leadId);
    const converted = POSITIVE_OUTCOMES.has(o.type) ? 1 : 0;
    out.set(o.leadId, {
      converted: prev?.converted === 1 ? 1 : converted,
      firstActionAt: Math.min(prev?.firstActionAt ?? Infinity, o.occurredAt),
    });
  }
  return out;
}
