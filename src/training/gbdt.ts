/**
 * Gradient-boosted decision trees for binary log loss, histogram-based (as LightGBM and scikit-learn's
 * HistGradientBoosting): each feature is cut into at most `maxBins` quantile bins once, and a node's best
 * split is found by scanning per-bin sums of gradients and hessians instead of sorting rows.
 *
 * Trees come out in the format of ./tree-ensemble.ts (`x[feature] <= threshold` goes left). A bin's
 * threshold is its upper edge, which is a training value itself (a float32), so "bin <= b" during
 * training and "x <= threshold" in onnxruntime (float32 compare) send every training row the same way.
 */
import { predictTrees, treeLeaf, type Tree, type TreeNode } from "./tree-ensemble.ts";

/** Row-major float32 matrix: `data[i * cols + j]` is column j of row i (what computeFeatures yields). */
export type Matrix = { data: Float32Array; rows: number; cols: number };

export type GbdtParams = {
  /** Boosting rounds (trees), at most. */
  rounds: number;
  maxDepth: number;
  learningRate: number;
  /** A split must leave at least this many training rows in each child. */
  minLeafSize: number;
  /** ... and at least this much hessian (p(1-p) summed), so leaves on near-certain rows stay tame. */
  minLeafHessian: number;
  /** L2 penalty on leaf values (XGBoost's lambda): shrinks leaves backed by little hessian. */
  l2: number;
  maxBins: number;
  /** Early stopping: stop after this many rounds without a better validation log loss. */
  patience: number;
};

export const DEFAULT_GBDT_PARAMS: GbdtParams = {
  rounds: 300, maxDepth: 4, learningRate: 0.1, minLeafSize: 20, minLeafHessian: 1e-3, l2: 1, maxBins: 255, patience: 20,
};

export type GbdtRound = { round: number; rounds: number; trainLoss: number; validLoss?: number };

export type GbdtModel = {
  trees: Tree[];
  /** Log-odds of the training positive rate: the margin before any tree. */
  baseScore: number;
  /** Trees kept (the best validation round + 1, or all rounds without validation). */
  bestRounds: number;
  trainLoss: number[];
  validLoss: number[];
};

/** Upper edges of a feature's bins: strictly increasing training values, the last one the maximum. */
export function binEdges(column: Float32Array, maxBins: number): Float32Array {
  const sorted = column.filter((v) => !Number.isNaN(v)).sort();
  const distinct: number[] = [];
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]!);
  if (distinct.length <= maxBins) return Float32Array.from(distinct);
  // Quantile cuts by row count, so dense regions get more bins; ties collapse into one edge.
  const edges: number[] = [];
  for (let k = 1; k <= maxBins; k++) {
    const v = sorted[Math.ceil((k * sorted.length) / maxBins) - 1]!;
    if (edges.length === 0 || v > edges[edges.length - 1]!) edges.push(v);
  }
  return Float32Array.from(edges);
}

/** The bin of a value: the first edge >= v (values above the last edge and NaN go to the last bin). */
export function binOf(edges: Float32Array, v: number): number {
  if (Number.isNaN(v)) return Math.max(0, edges.length - 1);
  let lo = 0;
  let hi = edges.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid]! >= v) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Gradient and hessian of the log loss w.r.t. the margin: p - y and p(1 - p), written in place. */
export function logLossGradients(margin: ArrayLike<number>, labels: ArrayLike<number>, grad: Float64Array, hess: Float64Array): void {
  for (let i = 0; i < margin.length; i++) {
    const p = 1 / (1 + Math.exp(-margin[i]!));
    grad[i] = p - labels[i]!;
    // A floor keeps G / H finite when every row of a leaf is already predicted with certainty.
    hess[i] = Math.max(p * (1 - p), 1e-16);
  }
}

/** Mean log loss of margins (stable form: softplus(z) - y z). */
export function marginLogLoss(margin: ArrayLike<number>, labels: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < margin.length; i++) {
    const z = margin[i]!;
    s += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - labels[i]! * z;
  }
  return s / (margin.length || 1);
}

/**
 * The ensemble's margin for one row, exactly as onnxruntime's TreeEnsembleRegressor computes it
 * (float32 thresholds and leaves, float32 accumulation): the TypeScript reference for parity checks.
 */
export function predictMargin(trees: readonly Tree[], baseScore: number, row: ArrayLike<number>): number {
  return predictTrees(trees, row, baseScore);
}

type Split = { gain: number; feature: number; bin: number };

/**
 * Boosts trees on `x` / `labels` (0 or 1). With `valid`, keeps the trees up to the round with the best
 * validation log loss and stops `patience` rounds after it. Deterministic: no sampling, fixed order.
 */
export function trainGbdt(
  x: Matrix,
  labels: ArrayLike<number>,
  options: Partial<GbdtParams> = {},
  valid?: { x: Matrix; labels: ArrayLike<number> },
  onRound?: (r: GbdtRound) => void,
): GbdtModel {
  const p = { ...DEFAULT_GBDT_PARAMS, ...options };
  const { rows: n, cols: d } = x;
  if (n === 0) throw new Error("gbdt: no training rows");

  // Binning: per-feature edges, then each cell's global bin id (feature offset + bin) in row-major order,
  // so one pass over a row touches one histogram slot per feature.
  const edges: Float32Array[] = [];
  const offset = new Int32Array(d + 1);
  const column = new Float32Array(n);
  for (let f = 0; f < d; f++) {
    for (let i = 0; i < n; i++) column[i] = x.data[i * d + f]!;
    edges.push(binEdges(column, p.maxBins));
    offset[f + 1] = offset[f]! + Math.max(1, edges[f]!.length);
  }
  const totalBins = offset[d]!;
  const gbin = totalBins <= 65536 ? new Uint16Array(n * d) : new Uint32Array(n * d);
  for (let i = 0; i < n; i++)
    for (let f = 0; f < d; f++) gbin[i * d + f] = offset[f]! + binOf(edges[f]!, x.data[i * d + f]!);

  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i]!;
  const rate = Math.min(1 - 1e-6, Math.max(1e-6, positives / n));
  const baseScore = Math.fround(Math.log(rate / (1 - rate)));

  const margin = new Float64Array(n).fill(baseScore);
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const order = new Uint32Array(n);
  const scratch = new Uint32Array(n);
  const pool: Float64Array[] = [];
  const takeHist = () => pool.pop() ?? new Float64Array(3 * totalBins);

  // Histogram slot j holds [sum grad, sum hess, count] at 3j .. 3j+2.
  const buildHist = (hist: Float64Array, start: number, end: number) => {
    hist.fill(0);
    for (let k = start; k < end; k++) {
      const i = order[k]!;
      const g = grad[i]!;
      const h = hess[i]!;
      for (let q = i * d, stop = q + d; q < stop; q++) {
        const j = 3 * gbin[q]!;
        hist[j]! += g;
        hist[j + 1]! += h;
        hist[j + 2]! += 1;
      }
    }
  };

  const score = (g: number, h: number) => (g * g) / (h + p.l2);
  const bestSplit = (hist: Float64Array, G: number, H: number, C: number): Split | undefined => {
    let best: Split | undefined;
    const parent = score(G, H);
    for (let f = 0; f < d; f++) {
      let gl = 0, hl = 0, cl = 0;
      for (let b = offset[f]!, last = offset[f + 1]! - 1; b < last; b++) {
        gl += hist[3 * b]!;
        hl += hist[3 * b + 1]!;
        cl += hist[3 * b + 2]!;
        const cr = C - cl, hr = H - hl;
        if (cl < p.minLeafSize || hl < p.minLeafHessian) continue;
        if (cr < p.minLeafSize || hr < p.minLeafHessian) break;
        const gain = score(gl, hl) + score(G - gl, hr) - parent;
        // Strictly better only: ties keep the first feature and bin, so training is reproducible.
        if (gain > 1e-12 && (!best || gain > best.gain)) best = { gain, feature: f, bin: b - offset[f]! };
      }
    }
    return best;
  };

  const grow = (start: number, end: number, hist: Float64Array, G: number, H: number, C: number, depth: number): TreeNode => {
    const split = depth < p.maxDepth && C >= 2 * p.minLeafSize ? bestSplit(hist, G, H, C) : undefined;
    if (!split) {
      pool.push(hist);
      // Newton step for the leaf, shrunk by the learning rate; rounded to float32 as ONNX stores it, so
      // the margins boosting continues from are the exported model's.
      const value = Math.fround((-p.learningRate * G) / (H + p.l2));
      for (let k = start; k < end; k++) margin[order[k]!]! += value;
      return { value };
    }
    const limit = offset[split.feature]! + split.bin;
    let l = start, r = 0;
    for (let k = start; k < end; k++) {
      const i = order[k]!;
      if (gbin[i * d + split.feature]! <= limit) order[l++] = i;
      else scratch[r++] = i;
    }
    order.set(scratch.subarray(0, r), l);
    // Subtraction trick: build the smaller child's histogram from rows, the larger one as parent - smaller.
    const leftSmall = l - start <= end - l;
    const small = takeHist();
    buildHist(small, leftSmall ? start : l, leftSmall ? l : end);
    for (let j = 0; j < hist.length; j++) hist[j] = hist[j]! - small[j]!;
    const [lh, rh] = leftSmall ? [small, hist] : [hist, small];
    const sums = (h: Float64Array) => {
      let g = 0, hs = 0, c = 0;
      for (let b = offset[split.feature]!; b < offset[split.feature + 1]!; b++) {
        g += h[3 * b]!;
        hs += h[3 * b + 1]!;
        c += h[3 * b + 2]!;
      }
      return [g, hs, c] as const;
    };
    const [gl, hl, cl] = sums(lh);
    const left = grow(start, l, lh, gl, hl, cl, depth + 1);
    const right = grow(l, end, rh, G - gl, H - hl, C - cl, depth + 1);
    return { feature: split.feature, threshold: edges[split.feature]![split.bin]!, left, right };
  };

  const validRows = valid ? Array.from({ length: valid.x.rows }, (_, i) => valid.x.data.subarray(i * d, (i + 1) * d)) : [];
  const validMargin = new Float64Array(validRows.length).fill(baseScore);
  const trees: Tree[] = [];
  const trainLoss: number[] = [];
  const validLoss: number[] = [];
  let best = Infinity;
  let bestRounds = 0;
  for (let round = 0; round < p.rounds; round++) {
    logLossGradients(margin, labels, grad, hess);
    for (let i = 0; i < n; i++) order[i] = i;
    const root = takeHist();
    buildHist(root, 0, n);
    let G = 0, H = 0;
    for (let i = 0; i < n; i++) {
      G += grad[i]!;
      H += hess[i]!;
    }
    const tree = grow(0, n, root, G, H, n, 0);
    trees.push(tree);
    trainLoss.push(marginLogLoss(margin, labels));
    if (valid) {
      for (let i = 0; i < validRows.length; i++) validMargin[i]! += treeLeaf(tree, validRows[i]!);
      const loss = marginLogLoss(validMargin, valid.labels);
      validLoss.push(loss);
      if (loss < best - 1e-9) {
        best = loss;
        bestRounds = round + 1;
      }
    } else bestRounds = round + 1;
    onRound?.({ round: round + 1, rounds: p.rounds, trainLoss: trainLoss[round]!, validLoss: validLoss[round] });
    if (valid && round + 1 - bestRounds >= p.patience) break;
  }
  return { trees: trees.slice(0, bestRounds), baseScore, bestRounds, trainLoss, validLoss };
}
