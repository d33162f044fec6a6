import { brier, calibrationTable, ece, type CalibrationRow } from "../training/metrics.ts";

export type CalibrationReport = {
  n: number;
  positives: number;
  meanPredicted: number;
  observedRate: number;
  brier: number;
  ece: number;
  /** Rows sorted by prediction, cut into ten groups of (nearly) equal size. */
  deciles: CalibrationRow[];
};

/**
 * Predicted against observed conversion of leads whose outcome is known: Brier score, expected
 * calibration error (ten equal-width bins) and the reliability table by decile. Null without rows.
 */
export function calibrationReport(p: readonly number[], y: readonly number[]): CalibrationReport | null {
  if (p.length !== y.length) throw new Error(`calibration: ${p.length} predictions vs ${y.length} labels`);
  if (p.length === 0) return null;
  const positives = y.reduce((s, v) => s + v, 0);
  return {
    n: p.length,
    positives,
    meanPredicted: p.reduce((s, v) => s + v, 0) / p.length,
    observedRate: positives / p.length,
    brier: brier(p, y),
    ece: ece(p, y, 10),
    deciles: calibrationTable(p, y, 10).filter((r) => r.count > 0),
  };
}
