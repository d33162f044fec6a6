/** Small descriptive statistics for reports. Pure. */

/** The q-quantile (0..1) by linear interpolation between order statistics; null for no values. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export type Percentiles = { n: number; p50: number | null; p90: number | null; p99: number | null; max: number | null };

export function percentiles(values: readonly number[]): Percentiles {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return { n: sorted.length, p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), p99: quantile(sorted, 0.99), max: sorted.length ? sorted[sorted.length - 1]! : null };
}

export type Interval = { rate: number; low: number; high: number };

/** Wilson score interval of a proportion (z = 1.96: 95 %); defined for n = 0 as [0, 1]. */
export function wilsonInterval(successes: number, n: number, z = 1.96): Interval {
  if (n === 0) return { rate: 0, low: 0, high: 1 };
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { rate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** Difference of two proportions (a − b) with a normal-approximation interval (z = 1.96: 95 %). */
export function differenceInterval(a: { successes: number; n: number }, b: { successes: number; n: number }, z = 1.96): Interval | null {
  if (a.n === 0 || b.n === 0) return null;
  const pa = a.successes / a.n;
  const pb = b.successes / b.n;
  const se = Math.sqrt((pa * (1 - pa)) / a.n + (pb * (1 - pb)) / b.n);
  return { rate: pa - pb, low: pa - pb - z * se, high: pa - pb + z * se };
}

/** Count of each key, in first-seen order. */
export function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}
