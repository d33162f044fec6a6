import { histogramWithEdges, psi, type Histogram } from "../training/metrics.ts";

/**
 * Drift statistics: the population stability index (PSI) of live values against the reference
 * histograms a model's manifest carries. Pure: no I/O, shared by the cron run, reports and tests.
 */

export type DriftThresholds = { warn: number; alert: number };
export type DriftLevel = "ok" | "warn" | "alert";
export type DriftStatus = DriftLevel | "insufficient";

/** Rule of thumb: < 0.1 stable, 0.1–0.25 moderate shift, above 0.25 a major one. */
export const DEFAULT_DRIFT_THRESHOLDS: DriftThresholds = { warn: 0.1, alert: 0.25 };

/**
 * PSI of live values against a reference histogram, binned with the reference's edges (values outside
 * them count in the end bins). Half a count is added to every bin on both sides, so a bin a small live
 * window happens to miss costs a little, not ln(1/ε).
 */
export function psiAgainst(reference: Histogram, live: ArrayLike<number>): number {
  const binned = histogramWithEdges(live, reference.edges);
  const smooth = (counts: readonly number[]) => counts.map((c) => c + 0.5);
  return psi(smooth(reference.counts), smooth(binned.counts));
}

export function driftLevel(value: number, thresholds: DriftThresholds): DriftLevel {
  return value >= thresholds.alert ? "alert" : value >= thresholds.warn ? "warn" : "ok";
}

const RANK: Record<DriftStatus, number> = { insufficient: 0, ok: 1, warn: 2, alert: 3 };

/** The worse of two statuses (alert > warn > ok > insufficient). */
export function worstStatus(a: DriftStatus, b: DriftStatus): DriftStatus {
  return RANK[a] >= RANK[b] ? a : b;
}

export type DriftStat = { psi: number; level: DriftLevel; n: number };

export type DriftReport = {
  status: DriftStatus;
  /** Rows in the live window. */
  n: number;
  score: DriftStat | null;
  features: Record<string, DriftStat>;
  /** The feature (or `score`) with the largest PSI. */
  worst: { name: string; psi: number } | null;
};

export type DriftReference = { features: Record<string, Histogram>; score?: Histogram | undefined };

/**
 * PSI per feature column and for the score. `rows` are named feature values (as lineage records them);
 * a column is checked once at least `minSamples` rows carry it, the score once that many scores exist.
 * The status is the worst level among the checked ones, or `insufficient` when nothing could be checked.
 */
export function driftReport(
  reference: DriftReference,
  live: { rows: readonly Record<string, unknown>[]; scores: readonly number[] },
  options: DriftThresholds & { minSamples: number },
): DriftReport {
  let status: DriftStatus = "insufficient";
  let worst: DriftReport["worst"] = null;
  const stat = (name: string, hist: Histogram, values: number[]): DriftStat | null => {
    if (values.length < options.minSamples || hist.counts.length === 0) return null;
    const value = psiAgainst(hist, values);
    const level = driftLevel(value, options);
    status = worstStatus(status, level);
    if (!worst || value > worst.psi) worst = { name, psi: value };
    return { psi: value, level, n: values.length };
  };
  const features: Record<string, DriftStat> = {};
  for (const [name, hist] of Object.entries(reference.features)) {
    const values = live.rows.map((r) => r[name]).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
    const s = stat(name, hist, values);
    if (s) features[name] = s;
  }
  const score = reference.score ? stat("score", reference.score, live.scores.filter(Number.isFinite)) : null;
  return { status, n: live.rows.length, score, features, worst };
}
