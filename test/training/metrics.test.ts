import { describe, expect, it } from "vitest";
import { auc, brier, calibrationTable, ece, histogram, histogramWithEdges, logLoss, psi, quantileHistogram } from "../../src/training/metrics.ts";

describe("metrics", () => {
  it("computes AUC from ranks", () => {
    expect(auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    // Of the 4 (positive, negative) pairs, 3 are ordered right.
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
  });

  it("counts a tie as half a correctly ordered pair", () => {
    expect(auc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    // One tie between a positive and a negative, one correct pair.
    expect(auc([0.3, 0.5, 0.5], [0, 0, 1])).toBe(0.75);
  });

  it("computes Brier and log loss", () => {
    expect(brier([0.2, 0.8], [0, 1])).toBeCloseTo(0.04, 12);
    expect(logLoss([0.5, 0.5], [0, 1])).toBeCloseTo(Math.log(2), 12);
    expect(Number.isFinite(logLoss([0], [1]))).toBe(true);
  });

  it("computes ECE over equal-width bins", () => {
    expect(ece([0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3], [1, 1, 1, 0, 0, 0, 0, 0, 0, 0])).toBeCloseTo(0, 12);
    expect(ece([0.9, 0.9], [0, 0])).toBeCloseTo(0.9, 12);
    // Half the rows off by 0.2 in one bin, the other half exact: 0.5 * 0.2.
    expect(ece([0.15, 0.15, 0.75, 0.75], [0, 0, 1, 0])).toBeCloseTo(0.5 * 0.15 + 0.5 * 0.25, 12);
  });

  it("builds a decile table of mean prediction against observed rate", () => {
    const p = Array.from({ length: 100 }, (_, i) => i / 100);
    const y = p.map((v) => (v >= 0.5 ? 1 : 0));
    const table = calibrationTable(p, y);
    expect(table).toHaveLength(10);
    expect(table.reduce((s, r) => s + r.count, 0)).toBe(100);
    expect(table[0]!.meanPredicted).toBeCloseTo(0.045, 12);
    expect(table[0]!.observedRate).toBe(0);
    expect(table[9]!.observedRate).toBe(1);
  });

  it("histograms with equal-width and quantile edges, clamping values outside the edges", () => {
    const h = histogram([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 10);
    expect(h.edges).toHaveLength(11);
    expect(h.counts.reduce((s, c) => s + c, 0)).toBe(11);
    expect(h.counts[9]).toBe(2);
    expect(histogramWithEdges([-5, 0.5, 99], [0, 1, 2]).counts).toEqual([2, 1]);
    const q = quantileHistogram(Array.from({ length: 1000 }, (_, i) => i ** 2), 10);
    expect(q.counts).toEqual(new Array(10).fill(100));
  });

  it("gives PSI 0 for identical histograms and > 0.25 for a clear shift", () => {
    const ref = { edges: [0, 1, 2, 3, 4], counts: [100, 300, 400, 200] };
    expect(psi(ref, ref)).toBe(0);
    expect(psi(ref, { edges: ref.edges, counts: [200, 600, 800, 400] })).toBeCloseTo(0, 12);
    expect(psi(ref, { edges: ref.edges, counts: [400, 300, 200, 100] })).toBeGreaterThan(0.25);
    expect(() => psi(ref, [1, 2])).toThrow(/bins/);
  });
});
