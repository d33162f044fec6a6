import type { CapacitySnapshot } from "../capacity/rep-capacity.ts";

export type RankInput = {
  repId: string;
  weight: number;
  winRateFactor: number;
  snapshot: CapacitySnapshot;
  /** False when the rep is away now (status, out of office, outside working hours); such a rep is nobody's equal. */
  atWork?: boolean;
};

export type Ranked = RankInput & {
  expectedValue: number;
  loadRatio: number;
  available: boolean;
  /** In the group the policy treats as equals (fairness by weight decides among them). */
  equal: boolean;
  /** For an equal: the floor its fair-share clock is lifted to if it takes the lead (see fairShareKeys). */
  fairFloor?: number;
};

/** How the policy shares leads among equals (see the policy's `fairness`). */
export type Fairness = {
  /**
   * Reps whose expected value before the load penalty (p × deal value × rep factor) is within this
   * fraction of the best one's are equals: among them leads go in proportion to weight.
   */
  evBand: number;
};

export const DEFAULT_FAIRNESS: Fairness = { evBand: 0.1 };

/** Open plus held work over the open cap: 0 is idle, 1 is full. */
export function loadRatio(s: CapacitySnapshot): number {
  return s.maxOpen <= 0 ? 1 : (s.open + s.held) / s.maxOpen;
}

export function hasRoom(s: CapacitySnapshot): boolean {
  return s.open + s.held < s.maxOpen && s.today < s.maxPerDay;
}

/**
 * Weighted fair order among equals: weighted fair queueing over the reps' fair-share clocks (`vtime`,
 * kept by each rep's Durable Object and moved on by every reservation it grants: vtime ← max(vtime, floor)
 * + 1 / weight). The next lead goes to the rep whose clock would read lowest after taking it, so over any
 * run of leads each rep's count stays within about one lead of its weight's share (weights 1/2/3 over 60
 * leads give 10/20/30). A rep's floor is the lowest clock among the other equals less one lead of its own:
 * a rep whose clock stood still while it was away (leave, a new hire, a cap, outside its hours) rejoins
 * the rotation at once, one lead behind the others, and is not flooded to catch up. Returns each rep's
 * sort key and floor.
 */
export function fairShareKeys(reps: readonly { repId: string; weight: number; vtime: number }[]): Map<string, { key: number; floor: number }> {
  return new Map(
    reps.map((r) => {
      const others = reps.filter((o) => o.repId !== r.repId).map((o) => o.vtime);
      const floor = others.length > 0 ? Math.min(...others) - 1 / r.weight : r.vtime;
      return [r.repId, { key: Math.max(r.vtime, floor) + 1 / r.weight, floor }];
    }),
  );
}

const byId = (a: { repId: string }, b: { repId: string }) => (a.repId < b.repId ? -1 : a.repId > b.repId ? 1 : 0);

/**
 * Orders candidates for one lead. Pure and deterministic: the same inputs give the same order (replay).
 * - value = p × deal value × rep factor; expected value = value × (1 − loadPenalty × load ratio);
 * - equals: reps with room and at work whose value is within `fairness.evBand` of the best such rep's;
 *   they come first, in weighted fair order (fairShareKeys); ties go to the lower load per unit of weight,
 *   then the heavier weight, then the rep id;
 *   the load penalty does not reorder them (the fair-share clock already spreads the load by weight);
 * - then the other reps with room by expected value, highest first; then reps without room (unavailable).
 */
export function rankCandidates(
  candidates: readonly RankInput[],
  probability: number,
  dealValue: number,
  loadPenalty: number,
  fairness: Fairness = DEFAULT_FAIRNESS,
): Ranked[] {
  const value = (c: RankInput) => probability * dealValue * c.winRateFactor;
  const ranked: Ranked[] = candidates.map((c) => {
    const ratio = loadRatio(c.snapshot);
    const ev = value(c) * (1 - loadPenalty * Math.min(1, ratio));
    return { ...c, expectedValue: ev, loadRatio: ratio, available: hasRoom(c.snapshot), equal: false };
  });
  const eligible = ranked.filter((r) => r.available && r.atWork !== false);
  const best = Math.max(0, ...eligible.map(value));
  for (const r of eligible) r.equal = value(r) >= best * (1 - fairness.evBand);
  const keys = fairShareKeys(eligible.filter((r) => r.equal).map((r) => ({ repId: r.repId, weight: r.weight, vtime: r.snapshot.vtime ?? 0 })));
  for (const r of ranked) if (r.equal) r.fairFloor = keys.get(r.repId)!.floor;
  return ranked.sort(
    (a, b) =>
      Number(b.available) - Number(a.available) ||
      Number(b.equal) - Number(a.equal) ||
      (a.equal && b.equal ? keys.get(a.repId)!.key - keys.get(b.repId)!.key || a.loadRatio / a.weight - b.loadRatio / b.weight || b.weight - a.weight : b.expectedValue - a.expectedValue) ||
      byId(a, b),
  );
}
