import { sigmoid } from "../scoring/calibration.ts";

export type LogisticModel = { weights: number[]; bias: number };
type Rows = readonly ArrayLike<number>[];

const margin = (x: ArrayLike<number>, m: LogisticModel): number => {
  let z = m.bias;
  for (let j = 0; j < m.weights.length; j++) z += m.weights[j]! * x[j]!;
  return z;
};

/** log(1 + e^z) without overflow: the per-row log loss is softplus(z) - y z. */
const softplus = (z: number): number => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

/**
 * The objective the trainer minimises — mean log loss + (l2 / 2) * |weights|^2 (the bias is not
 * penalised) — and its gradient: `grad[j]` for weight j, `grad[dim]` for the bias. Exported so tests
 * can check the gradient against finite differences.
 */
export function logisticGradient(rows: Rows, labels: ArrayLike<number>, model: LogisticModel, l2: number): { loss: number; grad: number[] } {
  const d = model.weights.length;
  const grad = new Array<number>(d + 1).fill(0);
  let loss = 0;
  for (let r = 0; r < rows.length; r++) {
    const x = rows[r]!;
    const z = margin(x, model);
    const y = labels[r]!;
    loss += softplus(z) - y * z;
    const e = sigmoid(z) - y;
    for (let j = 0; j < d; j++) grad[j]! += e * x[j]!;
    grad[d]! += e;
  }
  const n = rows.length || 1;
  for (let j = 0; j <= d; j++) grad[j]! /= n;
  loss /= n;
  for (let j = 0; j < d; j++) {
    loss += (l2 / 2) * model.weights[j]! ** 2;
    grad[j]! += l2 * model.weights[j]!;
  }
  return { loss, grad };
}

/** @deprecated Same as `logisticGradient` (the name the first version exported). */
export const logisticLossAndGradient = logisticGradient;

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

/** Hessian of the objective: mean of p(1-p) [x,1][x,1]^T, plus l2 on the weight diagonal. */
function hessian(rows: Rows, model: LogisticModel, l2: number): number[][] {
  const d = model.weights.length;
  const h = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
  const xb = new Array<number>(d + 1).fill(1);
  for (const x of rows) {
    const p = sigmoid(margin(x, model));
    const w = p * (1 - p);
    for (let j = 0; j < d; j++) xb[j] = x[j]!;
    for (let i = 0; i <= d; i++) {
      const wi = w * xb[i]!;
      const hi = h[i]!;
      for (let j = 0; j <= i; j++) hi[j]! += wi * xb[j]!;
    }
  }
  const n = rows.length || 1;
  for (let i = 0; i <= d; i++) {
    for (let j = 0; j <= i; j++) h[j]![i] = h[i]![j]! /= n;
    // A tiny ridge on the bias keeps the system solvable when a column is constant.
    h[i]![i]! += i < d ? l2 : 1e-9;
  }
  return h;
}

export type TrainLogisticOptions = { l2?: number; maxIterations?: number; tolerance?: number };

/**
 * L2-regularised logistic regression by Newton's method with step halving (exact Hessian: cheap for
 * the tens of columns a lead model has, and converges in a handful of steps, so no learning rate to
 * tune). Deterministic: no randomness, fixed summation order. `l2` is per row (see logisticGradient).
 */
export function trainLogistic(rows: Rows, labels: ArrayLike<number>, options: TrainLogisticOptions | number = {}): LogisticModel {
  const { l2 = 1e-3, maxIterations = 50, tolerance = 1e-10 } = typeof options === "number" ? { l2: options } : options;
  const d = rows[0]?.length ?? 0;
  let model: LogisticModel = { weights: new Array<number>(d).fill(0), bias: 0 };
  let current = logisticGradient(rows, labels, model, l2);
  for (let it = 0; it < maxIterations; it++) {
    const step = solveSpd(hessian(rows, model, l2), current.grad);
    // Newton can overshoot far from the optimum (nearly separable data): halve until the loss drops.
    let moved = false;
    for (let t = 1; t > 1e-6 && !moved; t /= 2) {
      const trial = { weights: model.weights.map((w, j) => w - t * step[j]!), bias: model.bias - t * step[d]! };
      const next = logisticGradient(rows, labels, trial, l2);
      if (next.loss <= current.loss + 1e-15) {
        model = trial;
        current = next;
        moved = true;
      }
    }
    if (!moved || Math.max(...step.map(Math.abs)) < tolerance) break;
  }
  return model;
}
