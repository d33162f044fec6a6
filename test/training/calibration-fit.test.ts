import { describe, expect, it } from "vitest";
import { calibrate } from "../../src/scoring/calibration.ts";
import { fitIsotonic, fitPlatt, poolAdjacentViolators } from "../../src/training/calibration-fit.ts";
import { gaussian, mulberry32 } from "../../src/training/rng.ts";

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe("calibration fitting", () => {
  it("pools adjacent violators into the closest non-decreasing sequence", () => {
    expect(poolAdjacentViolators([1, 3, 2, 4, 3, 5])).toEqual([1, 2.5, 2.5, 3.5, 3.5, 5]);
    expect(poolAdjacentViolators([4, 3, 2, 1])).toEqual([2.5, 2.5, 2.5, 2.5]);
    expect(poolAdjacentViolators([1, 2, 3])).toEqual([1, 2, 3]);
    // Weights pull a pooled block toward the heavier value.
    expect(poolAdjacentViolators([2, 0], [3, 1])).toEqual([1.5, 1.5]);
  });

  it("turns isotonic blocks into increasing knots that calibrate() reproduces", () => {
    const scores = [-2, -1, -1, 0, 1, 2, 3, 4];
    const labels = [0, 1, 0, 0, 1, 0, 1, 1];
    const { x, y } = fitIsotonic(scores, labels, 0);
    for (let k = 1; k < x.length; k++) {
      expect(x[k]!).toBeGreaterThan(x[k - 1]!);
      expect(y[k]!).toBeGreaterThanOrEqual(y[k - 1]!);
    }
    const cal = { method: "isotonic" as const, x, y };
    expect(calibrate(-2, "logit", cal)).toBe(0);
    // -1 (a tie of 1 and 0) and 0 pool to 1/3; 1 and 2 pool to 1/2; 3 and 4 stay at 1.
    expect(calibrate(-1, "logit", cal)).toBeCloseTo(1 / 3, 12);
    expect(calibrate(0, "logit", cal)).toBeCloseTo(1 / 3, 12);
    expect(calibrate(1.5, "logit", cal)).toBeCloseTo(0.5, 12);
    expect(calibrate(10, "logit", cal)).toBe(1);
  });

  it("keeps isotonic probabilities off 0 and 1", () => {
    const { y } = fitIsotonic([0, 1, 2, 3], [0, 0, 1, 1]);
    expect(Math.min(...y)).toBeGreaterThan(0);
    expect(Math.max(...y)).toBeLessThan(1);
  });

  it("recovers Platt's a and b from data drawn with them", () => {
    const rand = mulberry32(5);
    const scores: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const s = 2 * gaussian(rand);
      scores.push(s);
      labels.push(rand() < sigmoid(0.6 * s - 1.2) ? 1 : 0);
    }
    const { a, b } = fitPlatt(scores, labels);
    expect(a).toBeCloseTo(0.6, 1);
    expect(b).toBeCloseTo(-1.2, 1);
  });

  it("leaves an already calibrated logit close to the identity", () => {
    const rand = mulberry32(9);
    const scores = Array.from({ length: 20_000 }, () => 1.5 * gaussian(rand));
    const labels = scores.map((s) => (rand() < sigmoid(s) ? 1 : 0));
    const { a, b } = fitPlatt(scores, labels);
    expect(Math.abs(a - 1)).toBeLessThan(0.06);
    expect(Math.abs(b)).toBeLessThan(0.06);
  });
});
