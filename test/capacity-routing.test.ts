import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { HOT_LEAD, postLead } from "./helpers.ts";

type LeadResponse = { lead: { id: string }; decision: { outcome: string; repId: string | null } };

const CAP = 7;

/** Leaves one AE (rep_ada) with an open cap of CAP: every hot lead competes for her. */
beforeEach(async () => {
  await env.DB.batch([
    env.DB.prepare("UPDATE reps SET deleted_at = 1 WHERE id = 'rep_grace'"),
    env.DB.prepare("UPDATE reps SET max_open = ?, max_per_day = 1000 WHERE id = 'rep_ada'").bind(CAP),
  ]);
});

async function currentDecisionsPerLead(): Promise<Map<string, number>> {
  const rows = await env.DB.prepare(
    "SELECT l.id AS lead, count(d.seq) AS n FROM leads l LEFT JOIN decisions d ON d.lead_id = l.id AND d.is_current = 1 GROUP BY l.id",
  ).all<{ lead: string; n: number }>();
  return new Map(rows.results.map((r) => [r.lead, r.n]));
}

describe("capacity through the API", () => {
  it("gives a rep with cap N exactly N of N+k leads posted one by one; the rest are queued", async () => {
    const outcomes: LeadResponse[] = [];
    for (let i = 0; i < CAP + 3; i++) outcomes.push((await (await postLead({ ...HOT_LEAD, email: `s${i}@bigcorp.example` })).json()) as LeadResponse);
    expect(outcomes.filter((o) => o.decision.repId === "rep_ada")).toHaveLength(CAP);
    expect(outcomes.filter((o) => o.decision.outcome === "queued")).toHaveLength(3);
  });

  it("holds the cap exactly when 200 leads are posted concurrently, each with one decision", async () => {
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => postLead({ ...HOT_LEAD, email: `c${i}@bigcorp.example` })),
    );
    expect(responses.map((r) => r.status).every((s) => s === 201)).toBe(true);
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as LeadResponse[];
    expect(bodies.filter((b) => b.decision.repId === "rep_ada")).toHaveLength(CAP);
    expect(bodies.filter((b) => b.decision.outcome === "queued")).toHaveLength(200 - CAP);

    const snapshot = await env.REP_CAPACITY.getByName("rep_ada").snapshot({ maxOpen: CAP, maxPerDay: 1000, timezone: "UTC" });
    expect(snapshot).toMatchObject({ open: CAP, held: 0 });
    const perLead = await currentDecisionsPerLead();
    expect(perLead.size).toBe(200);
    expect([...perLead.values()].every((n) => n === 1)).toBe(true);
    const assigned = await env.DB.prepare("SELECT count(*) AS n FROM decisions WHERE rep_id = 'rep_ada' AND is_current = 1").first<{ n: number }>();
    expect(assigned!.n).toBe(CAP);
  });
});
