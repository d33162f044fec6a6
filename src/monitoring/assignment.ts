/**
 * Deterministic experiment assignment: a lead id hashed with the experiment id gives a point in [0, 1);
 * the holdout takes the first `holdoutShare` of the line, the arms split the rest by their shares. The
 * same lead always lands in the same arm of the same experiment, on every isolate, with no state.
 */

export type ArmSpec = { name: string; share: number };
export type ExperimentSpec = { id: string; holdoutShare: number; arms: readonly ArmSpec[] };

export const HOLDOUT = "holdout";

/** FNV-1a over UTF-16 code units, finished with murmur3's avalanche so near-identical ids spread out. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Where a lead falls on [0, 1) for an experiment (salting by experiment keeps experiments independent). */
export function bucketOf(experimentId: string, leadId: string): number {
  return hash32(`${experimentId}:${leadId}`) / 2 ** 32;
}

/** The arm (or `holdout`) of a lead. Arm shares are relative weights over what the holdout leaves. */
export function assignArm(experiment: ExperimentSpec, leadId: string): string {
  const u = bucketOf(experiment.id, leadId);
  if (u < experiment.holdoutShare) return HOLDOUT;
  const total = experiment.arms.reduce((s, a) => s + a.share, 0);
  let edge = experiment.holdoutShare;
  for (const arm of experiment.arms) {
    edge += ((1 - experiment.holdoutShare) * arm.share) / total;
    if (u < edge) return arm.name;
  }
  return experiment.arms[experiment.arms.length - 1]!.name;
}
