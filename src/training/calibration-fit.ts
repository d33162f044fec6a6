/**
 * Fits the manifest's calibration (see src/scoring/calibration.ts) on scores the model did not train
 * on: Platt scaling (two parameters, smooth, hard to overfit) or isotonic regression (any monotone
 * shape, needs more rows). Both take the model's raw output (a margin) and 0 / 1 labels.
 */

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * Platt scaling: a and b minimising the mean log loss of sigmoid(a * s + b), by Newton's method on
 * the 2×2 system with step halving. Starts at (1, 0), the identity on a logit, so an already
 * calibrated margin stays put.
 */
export function fitPlatt(scores: ArrayLike<number>, labels: ArrayLike<number>, maxIterations = 100): { a: number; b: number } {
  const n = scores.length;
  if (n === 0) throw new Error("platt: no rows to fit on");
  const loss = (a: number, b: number) => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const z = a * scores[i]! + b;
      s += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - labels[i]! * z;
    }
    return s / n;
  };
  let a = 1;
  let b = 0;
  let current = loss(a, b);
  for (let it = 0; it < maxIterations; it++) {
    let ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
    for (let i = 0; i < n; i++) {
      const s = scores[i]!;
      const p = sigmoid(a * s + b);
      const e = p - labels[i]!;
      const w = p * (1 - p);
      ga += e * s;
      gb += e;
      haa += w * s * s;
      hab += w * s;
      hbb += w;
    }
    // A tiny ridge keeps the system solvable when every score is equal (then only b is identified).
    haa = haa / n + 1e-12;
    hbb = hbb / n + 1e-12;
    hab /= n;
    ga /= n;
    gb /= n;
    const det = haa * hbb - hab * hab;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    let moved = false;
    for (let t = 1; t > 1e-8 && !moved; t /= 2) {
      const next = loss(a - t * da, b - t * db);
      if (next <= current + 1e-15) {
        a -= t * da;
        b -= t * db;
        current = next;
        moved = true;
      }
    }
    if (!moved || Math.max(Math.abs(da), Math.abs(db)) < 1e-10) break;
  }
  return { a, b };
}

/**
 * Pool adjacent violators: the non-decreasing sequence closest (weighted least squares) to `values`,
 * taken in the given order. Returns the fitted value of every input position.
 */
export function poolAdjacentViolators(values: ArrayLike<number>, weights?: ArrayLike<number>): number[] {
  const mean: number[] = [];
  const weight: number[] = [];
  const size: number[] = [];
  for (let i = 0; i < values.length; i++) {
    mean.push(values[i]!);
    weight.push(weights ? weights[i]! : 1);
    size.push(1);
    // Merge backwards while the last block is below the one before it.
    while (mean.length > 1 && mean[mean.length - 2]! > mean[mean.length - 1]!) {
      const w2 = weight.pop()!, m2 = mean.pop()!, s2 = size.pop()!;
      const k = mean.length - 1;
      const w = weight[k]! + w2;
      mean[k] = (mean[k]! * weight[k]! + m2 * w2) / w;
      weight[k] = w;
      size[k]! += s2;
    }
  }
  const out: number[] = [];
  mean.forEach((m, k) => {
    for (let j = 0; j < size[k]!; j++) out.push(m);
  });
  return out;
}

/**
 * Isotonic regression of labels on scores, as knots for the manifest's piecewise-linear calibration:
 * rows sorted by score (equal scores pooled first, so ties get one value), PAV, then each constant block
 * becomes its two end points (x strictly increasing). Between blocks `calibrate` interpolates linearly;
 * outside the knots it holds the end values. Probabilities are kept inside [minProbability, 1 - it] so a
 * block of all negatives does not claim certainty (infinite log loss on the next positive).
 */
export function fitIsotonic(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  minProbability = 1e-4,
): { x: number[]; y: number[] } {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((i, j) => scores[i]! - scores[j]!);
  const xs: number[] = [];
  const ys: number[] = [];
  const ws: number[] = [];
  for (const i of idx) {
    const s = scores[i]!;
    const last = xs.length - 1;
    if (last >= 0 && xs[last] === s) {
      ys[last] = (ys[last]! * ws[last]! + labels[i]!) / (ws[last]! + 1);
      ws[last]! += 1;
    } else {
      xs.push(s);
      ys.push(labels[i]!);
      ws.push(1);
    }
  }
  if (xs.length === 0) throw new Error("isotonic: no rows to fit on");
  const fitted = poolAdjacentViolators(ys, ws).map((v) => Math.min(1 - minProbability, Math.max(minProbability, v)));
  const x: number[] = [];
  const y: number[] = [];
  for (let k = 0; k < xs.length; k++) {
    // Keep a knot where the block starts or ends; interior points of a constant run add nothing.
    const startsBlock = k === 0 || fitted[k - 1] !== fitted[k];
    const endsBlock = k === xs.length - 1 || fitted[k + 1] !== fitted[k];
    if (startsBlock || endsBlock) {
      x.push(xs[k]!);
      y.push(fitted[k]!);
    }
  }
  // The manifest needs two knots; a single distinct score becomes a flat line around it.
  if (x.length === 1) return { x: [x[0]! - 1, x[0]! + 1], y: [y[0]!, y[0]!] };
  return { x, y };
}
