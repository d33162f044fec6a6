import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CapacitySnapshot } from "../src/capacity/rep-capacity.ts";
import { hasRoom, rankCandidates, type RankInput } from "../src/routing/rank.ts";

const snapshot = fc
  .record({ maxOpen: fc.integer({ min: 1, max: 20 }), maxPerDay: fc.integer({ min: 1, max: 50 }) })
  .chain(({ maxOpen, maxPerDay }) =>
    fc.record({
      open: fc.integer({ min: 0, max: maxOpen }),
      held: fc.constant(0),
      today: fc.integer({ min: 0, max: maxPerDay }),
      day: fc.constant("2026-11-25"),
      maxOpen: fc.constant(maxOpen),
      maxPerDay: fc.constant(maxPerDay),
    }),
  ) as fc.Arbitrary<CapacitySnapshot>;

const candidates = fc.uniqueArray(
  fc.record({
    repId: fc.stringMatching(/^rep_[a-z]{1,6}$/),
    weight: fc.double({ min: 0.1, max: 5, noNaN: true }),
    winRateFactor: fc.double({ min: 0.1, max: 3, noNaN: true }),
    snapshot,
  }),
  { selector: (c) => c.repId, maxLength: 12 },
) as fc.Arbitrary<RankInput[]>;

const p = fc.double({ min: 0, max: 1, noNaN: true });

describe("rankCandidates", () => {
  it("is a permutation of its input", () => {
    fc.assert(
      fc.property(candidates, p, (cs, prob) => {
        const ranked = rankCandidates(cs, prob, 10_000, 0.5);
        expect(ranked.map((r) => r.repId).sort()).toEqual(cs.map((c) => c.repId).sort());
      }),
    );
  });

  it("puts every rep with room before every rep without", () => {
    fc.assert(
      fc.property(candidates, p, (cs, prob) => {
        const flags = rankCandidates(cs, prob, 10_000, 0.5).map((r) => r.available);
        expect(flags).toEqual([...flags].sort((a, b) => Number(b) - Number(a)));
        expect(flags.filter(Boolean)).toHaveLength(cs.filter((c) => hasRoom(c.snapshot)).length);
      }),
    );
  });

  it("puts the equals first, then orders the other available reps by expected value, highest first", () => {
    fc.assert(
      fc.property(candidates, p, (cs, prob) => {
        const available = rankCandidates(cs, prob, 10_000, 0.5).filter((r) => r.available);
        const flags = available.map((r) => r.equal);
        expect(flags).toEqual([...flags].sort((a, b) => Number(b) - Number(a)));
        const evs = available.filter((r) => !r.equal).map((r) => r.expectedValue);
        for (let i = 1; i < evs.length; i++) expect(evs[i - 1]!).toBeGreaterThanOrEqual(evs[i]!);
      }),
    );
  });

  it("counts as equals exactly the reps with room whose value is within the band of the best", () => {
    fc.assert(
      fc.property(candidates, p, fc.double({ min: 0, max: 1, noNaN: true }), (cs, prob, evBand) => {
        const ranked = rankCandidates(cs, prob, 10_000, 0.5, { evBand });
        const value = (r: RankInput) => prob * 10_000 * r.winRateFactor;
        const best = Math.max(0, ...ranked.filter((r) => r.available).map(value));
        for (const r of ranked) expect(r.equal).toBe(r.available && value(r) >= best * (1 - evBand));
      }),
    );
  });

  it("does not depend on the order candidates arrive in (replay)", () => {
    fc.assert(
      fc.property(candidates, p, (cs, prob) => {
        const a = rankCandidates(cs, prob, 5_000, 0.3).map((r) => r.repId);
        const b = rankCandidates([...cs].reverse(), prob, 5_000, 0.3).map((r) => r.repId);
        expect(b).toEqual(a);
      }),
    );
  });

  it("prefers the less loaded of two otherwise equal reps", () => {
    const base = { weight: 1, winRateFactor: 1 };
    const snap = (open: number): CapacitySnapshot => ({ open, held: 0, today: open, day: "d", maxOpen: 10, maxPerDay: 100 });
    const ranked = rankCandidates(
      [
        { ...base, repId: "rep_busy", snapshot: snap(6) },
        { ...base, repId: "rep_idle", snapshot: snap(1) },
      ],
      0.7,
      10_000,
      0.5,
    );
    expect(ranked.map((r) => r.repId)).toEqual(["rep_idle", "rep_busy"]);
  });
});
