/**
 * Chooses a model's calibration on data it did not fit on: each method (none, Platt, isotonic) is scored
 * by K-fold cross-validation on the calibration rows — fitted on K-1 folds, its log loss measured on the
 * fold left out — and the method with the lowest out-of-fold log loss wins, then is refitted on all of
 * them. A calibration that would make probabilities worse on unseen rows is therefore never kept.
 */
import { calibrate, sigmoid } from "../scoring/calibration.ts";
import type { Calibration } from "../scoring/manifest.ts";
import { fitIsotonic, fitPlatt } from "./calibration-fit.ts";
import { logLoss } from "./metrics.ts";
import { mulberry32, shuffle } from "./rng.ts";

export type CalibrationMethod = Calibration["method"];
/** Simplest first: on an exact tie the simpler method wins. */
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ["none", "platt", "isotonic"];

/** Fits one method on margins (log-odds) and 0 / 1 labels. */
export function fitCalibration(method: CalibrationMethod, margins: ArrayLike<number>, labels: ArrayLike<number>): Calibration {
  if (method === "platt") return { method, ...fitPlatt(margins, labels) };
  if (method === "isotonic") return { method, ...fitIsotonic(margins, labels) };
  return { method };
}

export type CalibrationChoice = {
  calibration: Calibration;
  /** Out-of-fold log loss of every method tried (lower is better). */
  scores: Partial<Record<CalibrationMethod, number>>;
  folds: number;
};

/**
 * Cross-validates `methods` on (margins, labels) and refits the best on all rows. Folds are stratified
 * (each class dealt round-robin after a seeded shuffle), so every fold holds both classes when it can.
 */
export function chooseCalibration(
  margins: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: { methods?: readonly CalibrationMethod[]; folds?: number; seed?: number } = {},
): CalibrationChoice {
  const methods = options.methods ?? CALIBRATION_METHODS;
  const k = Math.max(2, Math.min(options.folds ?? 5, margins.length));
  const rand = mulberry32(options.seed ?? 7);
  const fold = new Int32Array(margins.length);
  for (const cls of [0, 1]) {
    const idx = shuffle(Array.from({ length: margins.length }, (_, i) => i).filter((i) => labels[i] === cls), rand);
    idx.forEach((i, j) => (fold[i] = j % k));
  }
  const scores: Partial<Record<CalibrationMethod, number>> = {};
  for (const method of methods) {
    const p = new Float64Array(margins.length);
    for (let f = 0; f < k; f++) {
      const inFit = (i: number) => fold[i] !== f;
      const fitIdx = Array.from({ length: margins.length }, (_, i) => i).filter(inFit);
      const cal = method === "none" ? ({ method } as Calibration) : fitCalibration(method, fitIdx.map((i) => margins[i]!), fitIdx.map((i) => labels[i]!));
      for (let i = 0; i < margins.length; i++) if (!inFit(i)) p[i] = method === "none" ? sigmoid(margins[i]!) : calibrate(margins[i]!, "logit", cal);
    }
    scores[method] = logLoss(p, labels);
  }
  let best = methods[0]!;
  for (const m of methods) if (scores[m]! < scores[best]!) best = m;
  return { calibration: fitCalibration(best, margins, labels), scores, folds: k };
}
