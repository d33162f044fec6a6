import { describe, expect, it } from "vitest";
import { calibrationReport } from "../src/monitoring/calibration.ts";
import { driftLevel, driftReport, psiAgainst, worstStatus } from "../src/monitoring/psi.ts";
import { differenceInterval, percentiles, wilsonInterval } from "../src/monitoring/stats.ts";
import { gaussian, mulberry32 } from "../src/training/rng.ts";
import { psi } from "../src/training/metrics.ts";

const REF = { edges: [0, 1, 2, 3, 4], counts: [250, 250, 250, 250] };
const draw = (n: number, seed: number, shift = 0) => {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => Math.min(3.999, rand() * 4 + shift));
};

describe("PSI", () => {
  it("matches the formula on a known two-bin case", () => {
    // Shares (0.5, 0.5) against (0.9, 0.1): 0.4 ln 1.8 + 0.4 ln 5.
    expect(psi([50, 50], [90, 10])).toBeCloseTo(0.4 * Math.log(1.8) + 0.4 * Math.log(5), 10);
  });

  it("bins live values with the reference edges and smooths each bin by half a count", () => {
    const live = [0.5, 0.5, 0.5, 1.5, 2.5, 3.5, 3.5, 3.5]; // bins 3, 1, 1, 3
    const e = REF.counts.map((c) => (c + 0.5) / 1002);
    const a = [3, 1, 1, 3].map((c) => (c + 0.5) / 10);
    const expected = e.reduce((s, pe, k) => s + (a[k]! - pe) * Math.log(a[k]! / pe), 0);
    expect(psiAgainst(REF, live)).toBeCloseTo(expected, 12);
  });

  it("counts live values outside the reference edges in the end bins", () => {
    expect(psiAgainst({ edges: [0, 1, 2], counts: [10, 30] }, [0.5, 1.5, 1.5, 1.5, 0.2, 1.1, 1.9, 1.2])).toBeCloseTo(psi([10.5, 30.5], [2.5, 6.5]), 12);
    expect(psiAgainst({ edges: [0, 1, 2], counts: [1, 1] }, [-5, 50])).toBeCloseTo(0, 12);
  });

  it("stays small for a sample of the reference distribution and grows with the shift", () => {
    const same = psiAgainst(REF, draw(2000, 1));
    const small = psiAgainst(REF, draw(2000, 2, 0.3));
    const big = psiAgainst(REF, draw(2000, 3, 1.5));
    expect(same).toBeLessThan(0.01);
    expect(small).toBeGreaterThan(same);
    expect(big).toBeGreaterThan(0.25);
  });

  it("maps values to levels by the thresholds", () => {
    const t = { warn: 0.1, alert: 0.25 };
    expect([0, 0.0999, 0.1, 0.2499, 0.25, 3].map((v) => driftLevel(v, t))).toEqual(["ok", "ok", "warn", "warn", "alert", "alert"]);
    expect(worstStatus("insufficient", "ok")).toBe("ok");
    expect(worstStatus("alert", "warn")).toBe("alert");
  });
});

describe("drift report", () => {
  const reference = { features: { x: REF, flag: { edges: [0, 0.5, 1], counts: [800, 200] } }, score: REF };
  const opts = { warn: 0.1, alert: 0.25, minSamples: 100 };
  const stream = (n: number, seed: number, shift = 0) => {
    const rand = mulberry32(seed);
    const x = draw(n, seed + 100, shift);
    return { rows: x.map((v) => ({ x: v, flag: rand() < 0.2 ? 1 : 0 })), scores: draw(n, seed + 200, shift) };
  };

  it("is ok on an unshifted stream", () => {
    const r = driftReport(reference, stream(500, 7), opts);
    expect(r.status).toBe("ok");
    expect(Object.keys(r.features).sort()).toEqual(["flag", "x"]);
    expect(r.score!.n).toBe(500);
  });

  it("alerts on a shifted stream and names the worst column", () => {
    const r = driftReport(reference, stream(500, 7, 1.5), opts);
    expect(r.status).toBe("alert");
    expect(r.features.x!.level).toBe("alert");
    expect(r.features.flag!.level).toBe("ok");
    expect(["x", "score"]).toContain(r.worst!.name);
  });

  it("checks nothing below the minimum sample size", () => {
    const r = driftReport(reference, stream(50, 7, 1.5), opts);
    expect(r).toMatchObject({ status: "insufficient", n: 50, score: null, features: {}, worst: null });
  });

  it("skips rows that lack a column", () => {
    const rows = Array.from({ length: 150 }, (_, i) => (i % 2 ? { x: 1.5 } : {}));
    const r = driftReport({ features: { x: REF } }, { rows, scores: [] }, opts);
    expect(r.features.x).toBeUndefined();
    expect(r.status).toBe("insufficient");
  });
});

describe("calibration", () => {
  it("computes Brier, ECE and deciles on a known case", () => {
    const r = calibrationReport([0.1, 0.1, 0.9, 0.9], [0, 0, 1, 1])!;
    expect(r.brier).toBeCloseTo(0.01, 12);
    expect(r.ece).toBeCloseTo(0.1, 12);
    expect(r).toMatchObject({ n: 4, positives: 2, observedRate: 0.5 });
    expect(r.meanPredicted).toBeCloseTo(0.5, 12);
    expect(r.deciles.reduce((s, d) => s + d.count, 0)).toBe(4);
  });

  it("finds a calibrated model calibrated and an overconfident one not", () => {
    const rand = mulberry32(11);
    const p = Array.from({ length: 5000 }, () => 1 / (1 + Math.exp(-(gaussian(rand) - 1.5))));
    const y = p.map((q) => (rand() < q ? 1 : 0));
    const good = calibrationReport(p, y)!;
    const bad = calibrationReport(p.map((q) => Math.min(0.99, q * 2.5)), y)!;
    expect(good.ece).toBeLessThan(0.03);
    expect(bad.ece).toBeGreaterThan(0.1);
    expect(good.deciles).toHaveLength(10);
    for (const d of good.deciles) expect(Math.abs(d.meanPredicted - d.observedRate)).toBeLessThan(0.06);
  });

  it("is null without labelled rows and refuses mismatched lengths", () => {
    expect(calibrationReport([], [])).toBeNull();
    expect(() => calibrationReport([0.5], [])).toThrow(/labels/);
  });
});

describe("interval statistics", () => {
  it("gives the Wilson interval of known cases", () => {
    const half = wilsonInterval(50, 100);
    expect(half.low).toBeCloseTo(0.4038, 4);
    expect(half.high).toBeCloseTo(0.5962, 4);
    const none = wilsonInterval(0, 10);
    expect(none.low).toBe(0);
    expect(none.high).toBeCloseTo(0.2775, 4);
    expect(wilsonInterval(0, 0)).toEqual({ rate: 0, low: 0, high: 1 });
  });

  it("gives a normal-approximation interval for a difference of proportions", () => {
    const d = differenceInterval({ successes: 60, n: 100 }, { successes: 40, n: 100 })!;
    const se = Math.sqrt((0.6 * 0.4) / 100 + (0.4 * 0.6) / 100);
    expect(d.rate).toBeCloseTo(0.2, 12);
    expect(d.low).toBeCloseTo(0.2 - 1.96 * se, 12);
    expect(differenceInterval({ successes: 1, n: 0 }, { successes: 1, n: 1 })).toBeNull();
  });

  it("interpolates percentiles", () => {
    expect(percentiles([4, 1, 3, 2, 5])).toEqual({ n: 5, p50: 3, p90: 4.6, p99: 4.96, max: 5 });
    expect(percentiles([])).toEqual({ n: 0, p50: null, p90: null, p99: null, max: null });
  });
});
