import type { CapacitySnapshot } from "../capacity/rep-capacity.ts";

export type RankInput = {
  repId: string;
  weight: number;
  winRateFactor: number;
  snapshot: CapacitySnapshot;
};

export type Ranked = RankInput & {
  expectedValue: number;
  loadRatio: number;
  available: boolean;
};

/** Open plus held work over the open cap: 0 is idle, 1 is full. */
export function loadRatio(s: CapacitySnapshot): number {
  return s.maxOpen <= 0 ? 1 : (s.open + s.held) / s.maxOpen;
}

export function hasRoom(s: CapacitySnapshot): boolean {
  return s.open + s.held < s.maxOpen && s.today < s.maxPerDay;
}

/**
 * Orders candidates for one lead. Pure and deterministic: the same inputs give the same order (replay).
 * - expected value = p × deal value × rep factor × (1 − loadPenalty × load ratio);
 * - among equals, weighted fairness: the lowest load per unit of weight first (a ratio, not a rotating
 *   pointer, so it holds through vacations and new hires), then the rep id;
 * - reps without room sort last and are marked unavailable.
 */
export function rankCandidates(
  candidates: readonly RankInput[],
  probability: number,
  dealValue: number,
  loadPenalty: number,
): Ranked[] {
  const ranked = candidates.map((c) => {
    const ratio = loadRatio(c.snapshot);
    const ev = probability * dealValue * c.winRateFactor * (1 - loadPenalty * Math.min(1, ratio));
    return { ...c, expectedValue: ev, loadRatio: ratio, available: hasRoom(c.snapshot) };
  });
  return ranked.sort(
    (a, b) =>
      Number(b.available) - Number(a.available) ||
      b.expectedValue - a.expectedValue ||
      a.loadRatio / a.weight - b.loadRatio / b.weight ||
      (a.repId < b.repId ? -1 : a.repId > b.repId ? 1 : 0),
  );
}
