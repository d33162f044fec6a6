import { describe, expect, it } from "vitest";
import { logisticGradient, trainLogistic } from "../../src/training/logistic.ts";
import { gaussian, mulberry32 } from "../../src/training/rng.ts";
import { sigmoid } from "../../src/scoring/calibration.ts";

/** Rows drawn from a known logistic model, so a trainer has something to recover. */
function simulate(n: number, weights: number[], bias: number, seed: number) {
  const rand = mulberry32(seed);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = weights.map(() => gaussian(rand));
    rows.push(x);
    labels.push(rand() < sigmoid(x.reduce((s, v, j) => s + v * weights[j]!, bias)) ? 1 : 0);
  }
  return { rows, labels };
}

describe("logistic regression", () => {
  it("has a gradient that matches central finite differences", () => {
    const { rows, labels } = simulate(60, [0.8, -1.2, 0.3, 2], 0.4, 11);
    const model = { weights: [0.1, -0.4, 0.7, 0.2], bias: -0.3 };
    const l2 = 0.05;
    const { grad } = logisticGradient(rows, labels, model, l2);
    const h = 1e-6;
    for (let j = 0; j <= model.weights.length; j++) {
      const shifted = (delta: number) => {
        const m = { weights: [...model.weights], bias: model.bias };
        if (j < m.weights.length) m.weights[j]! += delta;
        else m.bias += delta;
        return logisticGradient(rows, labels, m, l2).loss;
      };
      const numeric = (shifted(h) - shifted(-h)) / (2 * h);
      expect(Math.abs(grad[j]! - numeric)).toBeLessThan(1e-7);
    }
  });

  it("does not penalise the bias", () => {
    const { rows, labels } = simulate(20, [1], 0, 3);
    const a = logisticGradient(rows, labels, { weights: [0], bias: 2 }, 0);
    const b = logisticGradient(rows, labels, { weights: [0], bias: 2 }, 10);
    expect(b.grad[1]).toBe(a.grad[1]);
    expect(b.loss).toBe(a.loss);
  });

  it("recovers the weights that generated the data", () => {
    const truth = { weights: [1.5, -2, 0.5, 0], bias: -0.7 };
    const { rows, labels } = simulate(20_000, truth.weights, truth.bias, 42);
    const fitted = trainLogistic(rows, labels, { l2: 1e-6 });
    fitted.weights.forEach((w, j) => expect(Math.abs(w - truth.weights[j]!)).toBeLessThan(0.1));
    expect(Math.abs(fitted.bias - truth.bias)).toBeLessThan(0.1);
  });

  it("reaches a stationary point of the regularised objective", () => {
    const { rows, labels } = simulate(2_000, [3, -3], 0.5, 5);
    const fitted = trainLogistic(rows, labels, { l2: 0.01 });
    const { grad } = logisticGradient(rows, labels, fitted, 0.01);
    for (const g of grad) expect(Math.abs(g)).toBeLessThan(1e-9);
  });

  it("stays finite on separable data thanks to the L2 penalty", () => {
    const rows = [[-2], [-1], [1], [2]];
    const fitted = trainLogistic(rows, [0, 0, 1, 1], { l2: 0.01 });
    expect(Number.isFinite(fitted.weights[0])).toBe(true);
    expect(fitted.weights[0]).toBeGreaterThan(1);
  });

  it("gives the same model for the same data (deterministic)", () => {
    const { rows, labels } = simulate(500, [1, 1], 0, 9);
    expect(trainLogistic(rows, labels, 1e-3)).toEqual(trainLogistic(rows, labels, { l2: 1e-3 }));
  });

  it("accepts Float32Array rows", () => {
    const { rows, labels } = simulate(500, [1, -1], 0.2, 13);
    const asF32 = rows.map((r) => Float32Array.from(r));
    const a = trainLogistic(asF32, labels);
    expect(a.weights).toHaveLength(2);
    expect(a.weights[0]).toBeGreaterThan(0.5);
  });
});
