import { describe, expect, it } from "vitest";
import { binEdges, binOf, logLossGradients, marginLogLoss, predictMargin, trainGbdt, type Matrix } from "../../src/training/gbdt.ts";
import { gaussian, mulberry32 } from "../../src/training/rng.ts";
import type { Tree } from "../../src/training/tree-ensemble.ts";

const matrix = (rows: number[][]): Matrix => ({ data: Float32Array.from(rows.flat()), rows: rows.length, cols: rows[0]!.length });

/** Rows whose label depends on x0 (a step at 0) and x1 (linear), with a noise column x2. */
function simulate(n: number, seed: number) {
  const rand = mulberry32(seed);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = [gaussian(rand), gaussian(rand), gaussian(rand)];
    const z = (x[0]! > 0 ? 1.5 : -1.5) + 0.8 * x[1]!;
    rows.push(x);
    labels.push(rand() < 1 / (1 + Math.exp(-z)) ? 1 : 0);
  }
  return { x: matrix(rows), labels };
}

describe("gbdt", () => {
  it("splits a tiny dataset where the label changes, at the last value that goes left", () => {
    // Column 1 separates the classes at 3 (labels 0 for 1..3, 1 for 4..6); column 0 is noise.
    const x = matrix([[5, 1], [2, 2], [9, 3], [1, 4], [7, 5], [3, 6]]);
    const model = trainGbdt(x, [0, 0, 0, 1, 1, 1], { rounds: 1, maxDepth: 1, minLeafSize: 1, l2: 0 });
    const root = model.trees[0]! as { feature: number; threshold: number; left: { value: number }; right: { value: number } };
    expect(root.feature).toBe(1);
    expect(root.threshold).toBe(3);
    expect(root.left.value).toBeLessThan(0);
    expect(root.right.value).toBeGreaterThan(0);
  });

  it("refuses splits that leave fewer than minLeafSize rows on a side", () => {
    const x = matrix([[1], [2], [3], [4], [5], [6]]);
    const model = trainGbdt(x, [1, 0, 0, 0, 0, 0], { rounds: 1, maxDepth: 1, minLeafSize: 2, l2: 0 });
    const root = model.trees[0]! as { threshold: number };
    expect(root.threshold).toBe(2);
  });

  it("computes log-loss gradients p - y and hessians p(1 - p), matching finite differences", () => {
    const margin = [0, Math.log(3), -2];
    const labels = [1, 0, 1];
    const grad = new Float64Array(3);
    const hess = new Float64Array(3);
    logLossGradients(margin, labels, grad, hess);
    expect(grad[0]).toBeCloseTo(-0.5, 12);
    expect(grad[1]).toBeCloseTo(0.75, 12);
    expect(hess[0]).toBeCloseTo(0.25, 12);
    expect(hess[1]).toBeCloseTo(0.1875, 12);
    const h = 1e-5;
    for (let i = 0; i < 3; i++) {
      const at = (d: number) => marginLogLoss(margin.map((m, j) => (j === i ? m + d : m)), labels) * 3;
      expect((at(h) - at(-h)) / (2 * h)).toBeCloseTo(grad[i]!, 6);
      expect((at(h) - 2 * at(0) + at(-h)) / (h * h)).toBeCloseTo(hess[i]!, 3);
    }
  });

  it("lowers the training loss with every round, below the base rate's", () => {
    const { x, labels } = simulate(2000, 7);
    const model = trainGbdt(x, labels, { rounds: 30, maxDepth: 3 });
    const base = marginLogLoss(new Float64Array(labels.length).fill(model.baseScore), labels);
    expect(model.trainLoss[0]!).toBeLessThan(base);
    for (let r = 1; r < model.trainLoss.length; r++) expect(model.trainLoss[r]!).toBeLessThanOrEqual(model.trainLoss[r - 1]! + 1e-12);
    expect(model.trainLoss.at(-1)!).toBeLessThan(base - 0.1);
  });

  it("routes training rows through the float32 thresholds exactly as the bins did", () => {
    const { x, labels } = simulate(1500, 3);
    const model = trainGbdt(x, labels, { rounds: 20, maxDepth: 4, maxBins: 16 });
    const margins = Array.from({ length: x.rows }, (_, i) => predictMargin(model.trees, model.baseScore, x.data.subarray(i * 3, i * 3 + 3)));
    expect(marginLogLoss(margins, labels)).toBeCloseTo(model.trainLoss.at(-1)!, 5);
  });

  it("stops early and keeps the trees up to the best validation round", () => {
    const train = simulate(1000, 1);
    const noise = simulate(500, 2);
    const model = trainGbdt(train.x, train.labels, { rounds: 200, maxDepth: 4, patience: 5, learningRate: 0.5 }, { x: noise.x, labels: noise.labels });
    expect(model.trainLoss.length).toBeLessThan(200);
    expect(model.trees.length).toBe(model.bestRounds);
    expect(model.trainLoss.length).toBe(model.bestRounds + 5);
  });

  it("predicts the base score plus the leaves, x <= threshold going left", () => {
    const trees: Tree[] = [
      { feature: 0, threshold: 0.1, left: { value: -1 }, right: { value: 2 } },
      { feature: 1, threshold: 5, left: { value: 0.5 }, right: { value: 0.25 } },
    ];
    expect(predictMargin(trees, -2, [0.1, 5])).toBe(-2.5);
    // 0.1 in float64 and in float32 compare equal once both are float32, as in onnxruntime.
    expect(predictMargin(trees, -2, [Math.fround(0.1), 5.5])).toBe(-2.75);
    expect(predictMargin(trees, 0, [0.10001, 4])).toBe(2.5);
  });

  it("bins with quantile edges that are training values, capped at maxBins", () => {
    const column = Float32Array.from({ length: 1000 }, (_, i) => i % 100);
    expect(Array.from(binEdges(column, 255))).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const edges = binEdges(column, 10);
    expect(edges.length).toBeLessThanOrEqual(10);
    expect(edges.at(-1)).toBe(99);
    expect(binOf(edges, edges[3]!)).toBe(3);
    expect(binOf(edges, edges[3]! + 0.5)).toBe(4);
    expect(binOf(edges, 1e9)).toBe(edges.length - 1);
  });
});
