/**
 * Holdout metrics of a probabilistic classifier (labels are 0 / 1) and the histograms drift checks
 * compare against. Pure functions over arrays, shared by the trainer, its reports and the Worker.
 */

/** Area under the ROC curve by ranks (ties get their average rank, so all-equal scores give 0.5). */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let pos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[idx[k]!] === 1) {
      rankSumPos += avgRank;
      pos++;
    }
    i = j + 1;
  }
  const neg = idx.length - pos;
  if (pos === 0 || neg === 0) return 0.5;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Mean log loss; probabilities are clipped to [1e-15, 1 - 1e-15] so a confident miss stays finite. */
export function logLoss(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const q = Math.min(1 - 1e-15, Math.max(1e-15, p[i]!));
    s -= y[i]! * Math.log(q) + (1 - y[i]!) * Math.log(1 - q);
  }
  return s / p.length;
}

/** Mean squared error of the probabilities (Brier score). */
export function brier(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += (p[i]! - y[i]!) ** 2;
  return s / p.length;
}

/** Expected calibration error over `bins` equal-width probability bins (weighted by bin size). */
export function ece(p: ArrayLike<number>, y: ArrayLike<number>, bins = 10): number {
  const sumP = new Array<number>(bins).fill(0);
  const sumY = new Array<number>(bins).fill(0);
  const n = new Array<number>(bins).fill(0);
  for (let i = 0; i < p.length; i++) {
    const b = Math.min(bins - 1, Math.floor(p[i]! * bins));
    sumP[b]! += p[i]!;
    sumY[b]! += y[i]!;
    n[b]!++;
  }
  let e = 0;
  for (let b = 0; b < bins; b++) if (n[b]! > 0) e += (n[b]! / p.length) * Math.abs(sumP[b]! / n[b]! - sumY[b]! / n[b]!);
  return e;
}

export type CalibrationRow = { bin: number; count: number; meanPredicted: number; observedRate: number };

/**
 * Reliability table: rows sorted by predicted probability and cut into `groups` groups of (nearly)
 * equal size (deciles by default), each with its mean prediction and observed positive rate.
 */
export function calibrationTable(p: ArrayLike<number>, y: ArrayLike<number>, groups = 10): CalibrationRow[] {
  const idx = Array.from({ length: p.length }, (_, i) => i).sort((a, b) => p[a]! - p[b]! || a - b);
  const rows: CalibrationRow[] = [];
  for (let g = 0; g < groups; g++) {
    const from = Math.floor((g * idx.length) / groups);
    const to = Math.floor(((g + 1) * idx.length) / groups);
    let sp = 0, sy = 0;
    for (let k = from; k < to; k++) {
      sp += p[idx[k]!]!;
      sy += y[idx[k]!]!;
    }
    const count = to - from;
    rows.push({ bin: g + 1, count, meanPredicted: count ? sp / count : 0, observedRate: count ? sy / count : 0 });
  }
  return rows;
}

export type Histogram = { edges: number[]; counts: number[] };

/** A histogram over `bins` equal-width bins spanning [min, max] of the values (for drift references). */
export function histogram(values: ArrayLike<number>, bins = 10): Histogram {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]!);
    hi = Math.max(hi, values[i]!);
  }
  if (!Number.isFinite(lo)) return { edges: [], counts: [] };
  if (hi === lo) hi = lo + 1;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
  return histogramWithEdges(values, edges);
}

/**
 * A histogram with edges at the quantiles of the values (deciles by default; repeated edges merge),
 * so each bin holds a similar share of the reference: what PSI on a skewed score needs.
 */
export function quantileHistogram(values: ArrayLike<number>, bins = 10): Histogram {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return { edges: [], counts: [] };
  const edges = [sorted[0]!];
  for (let k = 1; k < bins; k++) {
    const v = sorted[Math.floor((k * sorted.length) / bins)]!;
    if (v > edges[edges.length - 1]!) edges.push(v);
  }
  const top = sorted[sorted.length - 1]!;
  edges.push(top > edges[edges.length - 1]! ? top : edges[edges.length - 1]! + 1);
  return histogramWithEdges(values, edges);
}

/**
 * Counts values into the bins [edges[k], edges[k+1]) (the last bin closed). Values outside the edges
 * count in the first or last bin, so live data binned with a reference's edges loses nothing.
 */
export function histogramWithEdges(values: ArrayLike<number>, edges: readonly number[]): Histogram {
  const bins = Math.max(0, edges.length - 1);
  const counts = new Array<number>(bins).fill(0);
  if (bins === 0) return { edges: [...edges], counts };
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    let lo = 0;
    let hi = bins - 1;
    // The last bin whose left edge is <= v.
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (edges[mid]! <= v) lo = mid;
      else hi = mid - 1;
    }
    counts[lo]!++;
  }
  return { edges: [...edges], counts };
}

/**
 * Population stability index between a reference histogram and another over the same bins:
 * Σ (a - e) ln(a / e) over bin shares. Empty bins get a share of `epsilon` so one empty bin does not
 * make it infinite. Rule of thumb: < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 major shift.
 */
export function psi(expected: Histogram | readonly number[], actual: Histogram | readonly number[], epsilon = 1e-4): number {
  const e = "counts" in expected ? expected.counts : expected;
  const a = "counts" in actual ? actual.counts : actual;
  if (e.length !== a.length) throw new Error(`psi: ${e.length} reference bins vs ${a.length} bins`);
  const te = e.reduce((s, v) => s + v, 0) || 1;
  const ta = a.reduce((s, v) => s + v, 0) || 1;
  let s = 0;
  for (let k = 0; k < e.length; k++) {
    const pe = Math.max(e[k]! / te, epsilon);
    const pa = Math.max(a[k]! / ta, epsilon);
    s += (pa - pe) * Math.log(pa / pe);
  }
  return s;
}
