import { and, asc, desc, eq, isNull } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import { auditLog, models, reps } from "../db/schema.ts";
import { readSnapshots } from "../capacity/capacity-client.ts";
import { auc, brier, histogramWithEdges } from "../training/metrics.ts";
import { weightShares } from "./shares.ts";
import { countBy } from "./stats.ts";
import { decisionsInWindow, outcomesInWindow, type WindowRow } from "./window.ts";

const SCORE_EDGES = Array.from({ length: 21 }, (_, i) => i / 20);

/** Score distribution, routing by tier and rep, recent decisions: the current decisions of [from, to] (optionally one team's). */
export async function routingOverview(env: Env, from: number, to: number, teamId: string | null = null) {
  const db = getDb(env.DB);
  const [window, teamReps] = await Promise.all([
    decisionsInWindow(db, from, to, 5_000, teamId),
    db.select().from(reps).where(teamId === null ? isNull(reps.deletedAt) : and(isNull(reps.deletedAt), eq(reps.teamId, teamId))),
  ]);
  const rows = window.filter((r) => r.isCurrent);
  const scored = rows.flatMap((r) => (r.probability === null ? [] : [r.probability]));
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    decisions: rows.length,
    scoreHistogram: histogramWithEdges(scored, SCORE_EDGES),
    byTier: countBy(rows, (r) => r.tier),
    byOutcome: countBy(rows, (r) => r.outcome),
    byRep: countBy(rows.filter((r) => r.repId), (r) => r.repId!),
    byMode: countBy(rows, (r) => r.mode),
    /** Each rep's share of its pool's assignments next to its share of the pool's weight. */
    shares: weightShares(rows, teamReps),
    recent: rows.slice(0, 25).map(recentView),
  };
}

function recentView(r: WindowRow) {
  return {
    id: r.decisionId,
    leadId: r.leadId,
    at: new Date(r.createdAt).toISOString(),
    outcome: r.outcome,
    tier: r.tier,
    repId: r.repId,
    mode: r.mode,
    probability: r.probability,
    reason: r.reason,
    fallbackReason: r.fallbackReason,
    lineage: { model: r.modelVersion ? `${r.modelName}@${r.modelVersion}` : null, policyVersion: r.policyVersion, shadow: r.shadow, href: `/v1/decisions/${r.decisionId}` },
  };
}

/** Every active rep's counters now (optionally one team's), against their caps. */
export async function repLoad(env: Env, teamId: string | null = null) {
  const rows = await getDb(env.DB).select().from(reps).where(and(isNull(reps.deletedAt), teamId === null ? undefined : eq(reps.teamId, teamId)));
  const { snapshots, failed } = await readSnapshots(env, rows);
  return rows.map((r) => {
    const s = snapshots.get(r.id);
    return { repId: r.id, name: r.name, teamId: r.teamId, role: r.role, status: r.status, open: s?.open ?? null, held: s?.held ?? null, today: s?.today ?? null, maxOpen: r.maxOpen, maxPerDay: r.maxPerDay, error: failed.get(r.id) ?? null };
  });
}

/** Versions of a model family with their status, and the last 500 lifecycle changes (audit log), oldest first. */
export async function modelTimeline(env: Env, family: string = env.MODEL_NAME) {
  const db = getDb(env.DB);
  const [versions, events] = await Promise.all([
    db.select({ version: models.version, status: models.status, sha256: models.sha256, createdAt: models.createdAt, activatedAt: models.activatedAt }).from(models).where(eq(models.name, family)).orderBy(asc(models.id)),
    db.select().from(auditLog).where(eq(auditLog.entityType, "model")).orderBy(desc(auditLog.id)).limit(500),
  ]);
  return {
    versions: versions.map((v) => ({ ...v, createdAt: new Date(v.createdAt).toISOString(), activatedAt: v.activatedAt === null ? null : new Date(v.activatedAt).toISOString() })),
    events: events
      .reverse()
      .filter((e) => e.entityId.startsWith(`${family}@`))
      .map((e) => ({ at: new Date(e.at).toISOString(), action: e.action, version: e.entityId.slice(family.length + 1), actor: e.actor, reason: e.reason })),
  };
}

/**
 * Shadow results: the staged challenger's score of the same leads the active model routed. Agreement on
 * tier, mean |Δp|, and (where outcomes exist) Brier and AUC of both on the same leads.
 */
export async function shadowReport(env: Env, from: number, to: number, teamId: string | null = null) {
  const db = getDb(env.DB);
  const [rows, labels] = await Promise.all([decisionsInWindow(db, from, to, 5_000, teamId), outcomesInWindow(db, from, to, teamId)]);
  const paired = rows.filter((r) => r.isCurrent && r.shadow && r.probability !== null);
  const byVersion = new Map<string, WindowRow[]>();
  for (const r of paired) byVersion.set(r.shadow!.version, [...(byVersion.get(r.shadow!.version) ?? []), r]);
  return [...byVersion.entries()].map(([version, g]) => {
    const labelled = g.filter((r) => labels.has(r.leadId));
    const y = labelled.map((r) => labels.get(r.leadId)!.converted);
    const pa = labelled.map((r) => r.probability!);
    const ps = labelled.map((r) => r.shadow!.probability);
    return {
      shadowVersion: version,
      n: g.length,
      tierAgreement: g.filter((r) => r.shadow!.tier === r.tier).length / g.length,
      meanAbsDelta: g.reduce((s, r) => s + Math.abs(r.shadow!.probability - r.probability!), 0) / g.length,
      labelled: labelled.length,
      active: labelled.length ? { brier: brier(pa, y), auc: auc(pa, y) } : null,
      shadow: labelled.length ? { brier: brier(ps, y), auc: auc(ps, y) } : null,
    };
  });
}
