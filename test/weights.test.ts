import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CapacitySnapshot } from "../src/capacity/rep-capacity.ts";
import { rankCandidates, type RankInput } from "../src/routing/rank.ts";
import { HOT_LEAD, postLead, uniqueEmail } from "./helpers.ts";
import { admin } from "./trust-helpers.ts";

type Rep = { repId: string; weight: number; today: number; vtime: number; atWork: boolean; maxPerDay: number };
const snap = (r: Rep): CapacitySnapshot => ({ open: r.today, held: 0, today: r.today, day: "2026-12-02", maxOpen: 1_000, maxPerDay: r.maxPerDay, vtime: r.vtime });

/**
 * Routes `n` leads among `reps` as the router does: the first rep with room and at work takes each, and its
 * Durable Object moves its fair-share clock on (vtime ← max(vtime, floor) + 1 / weight, as RepCapacity.reserve).
 */
function route(reps: Rep[], n: number): Map<string, number> {
  const got = new Map(reps.map((r) => [r.repId, 0]));
  for (let i = 0; i < n; i++) {
    const inputs: RankInput[] = reps.map((r) => ({ repId: r.repId, weight: r.weight, winRateFactor: 1, snapshot: snap(r), atWork: r.atWork }));
    const pick = rankCandidates(inputs, 0.7, 10_000, 0.5).find((c) => c.available && c.atWork !== false);
    if (!pick) break;
    const rep = reps.find((r) => r.repId === pick.repId)!;
    rep.today++;
    rep.vtime = Math.max(rep.vtime, pick.fairFloor ?? -Infinity) + 1 / rep.weight;
    got.set(rep.repId, got.get(rep.repId)! + 1);
  }
  return got;
}

const team = (weights: number[], maxPerDay = 1_000): Rep[] => weights.map((weight, i) => ({ repId: `rep_${i}`, weight, today: 0, vtime: 0, atWork: true, maxPerDay }));

describe("weights that weigh (pure ranking)", () => {
  it("shares 60 leads 10/20/30 among equals weighted 1/2/3, and k/2k/3k after every 6k leads", () => {
    const reps = team([1, 2, 3]);
    for (let k = 1; k <= 10; k++) {
      route(reps, 6);
      expect(reps.map((r) => r.today)).toEqual([k, 2 * k, 3 * k]);
    }
  });

  it("keeps every window of leads within two leads of the weights' shares", () => {
    const reps = team([1, 2, 3]);
    const order: number[] = [];
    for (let n = 0; n < 120; n++) {
      const before = reps.map((r) => r.today);
      route(reps, 1);
      order.push(reps.findIndex((r, i) => r.today > before[i]!));
    }
    for (let from = 0; from < order.length; from++) {
      const got = [0, 0, 0];
      for (let to = from; to < order.length; to++) {
        got[order[to]!]!++;
        const length = to - from + 1;
        got.forEach((g, i) => expect(Math.abs(g - (length * reps[i]!.weight) / 6)).toBeLessThanOrEqual(2));
      }
    }
  });

  it("does not flood a rep back from leave: it gets its share going forward, not a catch-up run", () => {
    const reps = team([1, 1, 1]);
    reps[2]!.atWork = false;
    route(reps, 30); // two reps share 30 while the third is out of office
    expect(reps.map((r) => r.today)).toEqual([15, 15, 0]);
    reps[2]!.atWork = true;
    const next = [...route(reps, 30).values()];
    // Its share of the next 30 is 10: it may be one lead ahead (it rejoins one lead behind), never a run of 15.
    for (const got of next) expect(Math.abs(got - 10)).toBeLessThanOrEqual(1);
    expect(next[2]).toBeLessThanOrEqual(11);
  });

  it("does not flood a new hire either", () => {
    const reps = team([2, 2]);
    route(reps, 40);
    reps.push({ repId: "rep_new", weight: 1, today: 0, vtime: 0, atWork: true, maxPerDay: 1_000 });
    const next = [...route(reps, 50).values()];
    // Shares of the next 50 by weight 2/2/1: 20/20/10, each within one lead; the hire is not handed a run.
    next.forEach((got, i) => expect(Math.abs(got - [20, 20, 10][i]!)).toBeLessThanOrEqual(1));
  });

  it("keeps the shares among the others while one rep is capped, and after its cap", () => {
    const reps = team([1, 2, 3]);
    reps[2]!.maxPerDay = 6; // the weight-3 rep fills its day after 6
    const got = route(reps, 36);
    expect([...got.values()]).toEqual([10, 20, 6]);
  });

  it("lets a clearly better rep (outside the band) come before the equals", () => {
    const inputs: RankInput[] = [
      { repId: "rep_a", weight: 5, winRateFactor: 1, snapshot: snap({ repId: "rep_a", weight: 5, today: 0, vtime: 0, atWork: true, maxPerDay: 100 }) },
      { repId: "rep_star", weight: 1, winRateFactor: 1.5, snapshot: snap({ repId: "rep_star", weight: 1, today: 50, vtime: 50, atWork: true, maxPerDay: 100 }) },
    ];
    expect(rankCandidates(inputs, 0.5, 10_000, 0.5, { evBand: 0.1 }).map((r) => r.repId)).toEqual(["rep_star", "rep_a"]);
    expect(rankCandidates(inputs, 0.5, 10_000, 0.5, { evBand: 0.5 })[0]!.repId).toBe("rep_a");
  });
});

describe("the fair-share clock in the rep's Durable Object", () => {
  it("moves on by 1 / weight from the floor on each reservation it grants, and not on a refusal", async () => {
    const rep = env.REP_CAPACITY.getByName("rep_clock");
    const caps = { maxOpen: 2, maxPerDay: 10, timezone: "UTC" };
    expect((await rep.snapshot(caps)).vtime).toBe(0);
    expect((await rep.reserve("l1", caps, 60_000, { weight: 2, floor: 5 })).after.vtime).toBe(5.5);
    expect((await rep.reserve("l2", caps, 60_000, { weight: 2, floor: 1 })).after.vtime).toBe(6);
    const refused = await rep.reserve("l3", caps, 60_000, { weight: 2, floor: 100 });
    expect(refused.ok).toBe(false);
    expect((await rep.snapshot(caps)).vtime).toBe(6);
  });
});

describe("weights that weigh (through the lead path)", () => {
  it("gives AEs weighted 1/2/3 with equal caps 10/20/30 of 60 leads, and the routing report shows the shares", async () => {
    expect((await admin("/v1/admin/teams/weighted", "PUT", { name: "Weighted" })).status).toBe(201);
    for (const [i, weight] of [1, 2, 3].entries()) {
      const res = await admin(`/v1/admin/reps/rep_w${weight}`, "PUT", { teamId: "weighted", name: `W${weight}`, email: `w${i}@example.com`, role: "ae", maxOpen: 100, maxPerDay: 100, weight });
      expect(res.status).toBe(201);
    }
    expect((await admin("/v1/admin/sites/pk_weighted", "PUT", { name: "Weighted", teamId: "weighted" })).status).toBe(201);
    for (let i = 0; i < 60; i++) {
      const res = await postLead({ ...HOT_LEAD, email: uniqueEmail("w") }, { "x-site-key": "pk_weighted" });
      expect(res.status).toBe(201);
    }
    const rows = await env.DB.prepare("SELECT rep_id, count(*) AS n FROM decisions WHERE team_id = 'weighted' AND is_current = 1 GROUP BY rep_id ORDER BY rep_id").all();
    expect(rows.results).toEqual([
      { rep_id: "rep_w1", n: 10 },
      { rep_id: "rep_w2", n: 20 },
      { rep_id: "rep_w3", n: 30 },
    ]);
    const report = (await (await admin("/v1/admin/reports/routing", "GET")).json()) as { shares: { teamId: string; role: string; repId: string; weight: number; assigned: number; share: number; weightShare: number }[] };
    const shares = report.shares.filter((s) => s.teamId === "weighted");
    expect(shares.map((s) => [s.repId, s.assigned, s.share, s.weightShare])).toEqual([
      ["rep_w1", 10, 10 / 60, 1 / 6],
      ["rep_w2", 20, 20 / 60, 2 / 6],
      ["rep_w3", 30, 30 / 60, 3 / 6],
    ]);
  });
});
