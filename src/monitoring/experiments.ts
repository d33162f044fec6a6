import { eq } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import { experiments } from "../db/schema-governance.ts";
import { getActivePolicy, getPolicyVersion, type ActivePolicy } from "../routing/policy-store.ts";
import { getLiveModels, getModelVersion, type LiveModels } from "../scoring/model-store.ts";
import { familyForTeam } from "../scoring/team-family.ts";
import { assignArm, HOLDOUT } from "./assignment.ts";
import { differenceInterval, quantile, wilsonInterval } from "./stats.ts";
import { decisionsInWindow, latestPerLead, outcomesInWindow } from "./window.ts";

export type ExperimentRow = typeof experiments.$inferSelect;

/** How long an isolate trusts its list of running experiments (as for the active policy). */
const EXPERIMENTS_TTL_MS = 5_000;
// The resolved rows are cached, never the query's promise: a promise tied to one request's I/O must not be
// awaited by another (workerd cancels or hangs it when the first request ends).
let cached: { at: number; value: ExperimentRow[] } | undefined;

export function invalidateExperiments(): void {
  cached = undefined;
}

export async function runningExperiments(env: Env): Promise<ExperimentRow[]> {
  const now = Date.now();
  if (cached && now - cached.at <= EXPERIMENTS_TTL_MS) return cached.value;
  const value = await getDb(env.DB).select().from(experiments).where(eq(experiments.status, "running"));
  cached = { at: now, value };
  return value;
}

/**
 * The running experiment of `kind` a team's lead falls under: the team's own, else (for a team on the
 * default policy or model family) the one that splits the default's leads.
 */
function experimentFor(rows: readonly ExperimentRow[], kind: ExperimentRow["kind"], teamId: string, onDefault: boolean) {
  return rows.find((e) => e.kind === kind && e.teamId === teamId) ?? (onDefault ? rows.find((e) => e.kind === kind && e.teamId === null) : undefined);
}

/** The arm of `leadId` in an experiment, if any (holdout leads get the baseline). */
function armIn(exp: ExperimentRow | undefined, leadId: string) {
  if (!exp) return undefined;
  const name = assignArm(exp, leadId);
  return name === HOLDOUT ? undefined : exp.arms.find((a) => a.name === name);
}

/** The policy a lead is routed under: its policy experiment arm's version, else its team's active one. */
export async function policyForLead(env: Env, leadId: string, teamId: string): Promise<ActivePolicy> {
  const [active, rows] = await Promise.all([getActivePolicy(env, teamId), runningExperiments(env).catch(() => [])]);
  const arm = armIn(experimentFor(rows, "policy", teamId, active.owner === null), leadId);
  if (arm?.policyVersion !== undefined) {
    const policy = await getPolicyVersion(env, arm.policyVersion).catch(() => undefined);
    if (policy) return { version: arm.policyVersion, policy, owner: active.owner };
  }
  return active;
}

/**
 * The models a lead is scored with: its team's model family (the default unless the team names its own),
 * with its model experiment arm's version as the routing model, else the family's active one.
 */
export async function liveModelsForLead(env: Env, leadId: string, teamId: string): Promise<LiveModels> {
  const family = await familyForTeam(env, teamId);
  const [live, rows] = await Promise.all([getLiveModels(env, family), runningExperiments(env).catch(() => [])]);
  const arm = armIn(experimentFor(rows, "model", teamId, family === env.MODEL_NAME), leadId);
  if (!arm?.modelVersion || arm.modelVersion === live.active?.version) return live;
  const challenger = await getModelVersion(env, family, arm.modelVersion).catch(() => undefined);
  return challenger ? { ...live, active: challenger, error: undefined } : live;
}

/**
 * Results of an experiment: each lead decided while it ran, in its arm (holdout included), joined to
 * outcomes: conversion with a Wilson interval, the difference against the baseline (the holdout, or the
 * first arm without one) with a normal-approximation interval, and hours to the first CRM outcome.
 * `applied` is the share of an arm's decisions made under the arm's version.
 */
export async function experimentResults(env: Env, exp: ExperimentRow, now = Date.now()) {
  const db = getDb(env.DB);
  const to = exp.stoppedAt ?? now;
  const [rows, labels] = await Promise.all([decisionsInWindow(db, exp.startedAt, to, 5_000, exp.teamId), outcomesInWindow(db, exp.startedAt, to, exp.teamId)]);
  const leads = latestPerLead(rows);
  const names = [...(exp.holdoutShare > 0 ? [HOLDOUT] : []), ...exp.arms.map((a) => a.name)];
  const arms = names.map((name) => {
    const spec = exp.arms.find((a) => a.name === name);
    const g = leads.filter((r) => assignArm(exp, r.leadId) === name);
    const labelled = g.filter((r) => labels.has(r.leadId));
    const converted = labelled.filter((r) => labels.get(r.leadId)!.converted === 1).length;
    const hours = labelled.map((r) => (labels.get(r.leadId)!.firstActionAt - r.receivedAt) / 3_600_000).sort((a, b) => a - b);
    const probs = g.flatMap((r) => (r.probability === null ? [] : [r.probability]));
    const applied = spec ? g.filter((r) => (exp.kind === "policy" ? r.policyVersion === spec.policyVersion : r.modelVersion === spec.modelVersion)).length : null;
    return {
      arm: name,
      leads: g.length,
      labelled: labelled.length,
      converted,
      conversion: wilsonInterval(converted, labelled.length),
      medianHoursToFirstAction: quantile(hours, 0.5),
      meanProbability: probs.length ? probs.reduce((s, v) => s + v, 0) / probs.length : null,
      applied: applied === null ? null : g.length ? applied / g.length : null,
    };
  });
  const base = arms[0]!;
  return {
    experiment: { ...exp, startedAt: new Date(exp.startedAt).toISOString(), stoppedAt: exp.stoppedAt === null ? null : new Date(exp.stoppedAt).toISOString() },
    baseline: base.arm,
    arms: arms.map((a) => ({ ...a, differenceVsBaseline: a === base ? null : differenceInterval({ successes: a.converted, n: a.labelled }, { successes: base.converted, n: base.labelled }) })),
  };
}
