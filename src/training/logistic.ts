import { sigmoid } from "../scoring/calibration.ts";

export type LogisticModel = { weights: number[]; bias: number };

/**
 * Mean log loss plus L2 (on weights, not bias) and its gradient. Exported so tests can check the
 * gradient against finite differences.
 */
export function logisticLossAndGradient(rows: readonly ArrayLike<number>[], labels: ArrayLike<number>, model: LogisticModel, l2: number) {
  const d = model.weights.length;
  const grad = new Array<number>(d + 1).fill(0);
  let loss = 0;
  for (let r = 0; r < rows.length; r++) {
    const x = rows[r]!;
    let z = model.bias;
    for (let j = 0; j < d; j++) z += model.weights[j]! * x[j]!;
    const p = sigmoid(z);
    const y = labels[r]!;
    loss -= y * Math.log(Math.max(p, 1e-15)) + (1 - y) * Math.log(Math.max(1 - p, 1e-15));
    const e = p - y;
    for (let j = 0; j < d; j++) grad[j]! += e * x[j]!;
    grad[d]! += e;
  }
  const n = rows.length;
  for (let j = 0; j <= d; j++) grad[j]! /= n;
  loss /= n;
  for (let j = 0; j < d; j++) {
    loss += (l2 / 2) * model.weights[j]! ** 2;
    grad[j]! += l2 * model.weights[j]!;
  }
  return { loss, grad };
}

/** Solves A x = b for a symmetric positive-definite A (Cholesky). */
function solveSpd(a: number[][], b: number[]): number[] {
  const n = b.length;
  const l = a.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = a[i]![j]!;
      for (let k = 0; k < j; k++) s -= l[i]![k]! * l[j]![k]!;
      l[i]![j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / l[j]![j]!;
    }
  const y = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i]![k]! * y[k]!;
    y[i] = s / l[i]![i]!;
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k]![i]! * x[k]!;
    x[i] = s / l[i]![i]!;
  }
  return x;
}

/**
 * L2-regularised logistic regression by Newton's method (exact Hessian; fine for the tens of columns a
 * lead model has). Deterministic: no randomness, fixed iteration order.
 */
export function trainLogistic(rows: readonly ArrayLike<number>[], labels: ArrayLike<number>, l2 = 1e-3, iterations = 25): LogisticModel {
  const d = rows[0]?.length ?? 0;
  const model: LogisticModel = { weights: new Array<number>(d).fill(0), bias: 0 };
  for (let it = 0; it < iterations; it++) {
    const { grad } = logisticLossAndGradient(rows, labels, model, l2);
    const h = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    for (const x of rows) {
      let z = model.bias;
      for (let j = 0; j < d; j++) z += model.weights[j]! * x[j]!;
      const p = sigmoid(z);
      const w = p * (1 - p);
      for (let i = 0; i <= d; i++) {
        const xi = i === d ? 1 : x[i]!;
        for (let j = 0; j <= i; j++) h[i]![j]! += w * xi * (j === d ? 1 : x[j]!);
      }
    }
    for (let i = 0; i <= d; i++) {
      for (let j = 0; j <= i; j++) {
        h[i]![j]! /= rows.length;
        h[j]![i] = h[i]![j]!;
      }
      if (i < d) h[i]![i]! += l2;
      else h[i]![i]! += 1e-9;
    }
    const step = solveSpd(h, grad);
    for (let j = 0; j < d; j++) model.weights[j]! -= step[j]!;
    model.bias -= step[d]!;
    if (Math.max(...step.map(Math.abs)) < 1e-10) break;
  }
  return model;
}
