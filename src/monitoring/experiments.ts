import { getDb } from "../db/client.ts";
import { assignArm, HOLDOUT, type ExperimentRow } from "../routing/experiment-arm.ts";
import { differenceInterval, quantile, wilsonInterval } from "./stats.ts";
import { decisionsInWindow, latestPerLead, outcomesInWindow } from "./window.ts";

export type { ExperimentRow };

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
