import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { HOT_LEAD, postLead, storedCandidates } from "./helpers.ts";

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

    // Every slot is taken by a hold; once their TTL is past, one alarm reads D1 and opens them all.
    const rep = env.REP_CAPACITY.getByName("rep_ada");
    const repCaps = { maxOpen: CAP, maxPerDay: 1000, timezone: "UTC" };
    expect(await rep.snapshot(repCaps)).toMatchObject({ open: 0, held: CAP });
    await runInDurableObject(rep, (_i, state) => void state.storage.sql.exec("UPDATE reservations SET expires_at = ?", Date.now() - 1));
    expect(await runDurableObjectAlarm(rep)).toBe(true);
    expect(await rep.snapshot(repCaps)).toMatchObject({ open: CAP, held: 0 });
    const perLead = await currentDecisionsPerLead();
    expect(perLead.size).toBe(200);
    expect([...perLead.values()].every((n) => n === 1)).toBe(true);
    const assigned = await env.DB.prepare("SELECT count(*) AS n FROM decisions WHERE rep_id = 'rep_ada' AND is_current = 1").first<{ n: number }>();
    expect(assigned!.n).toBe(CAP);
  });
});

// The isolate keeps capacity hints (the counters each rep's object last reported) to rank without a round
// trip per candidate. Changes made by another isolate are simulated here by calling the object directly.
describe("capacity hints", () => {
  const ada = () => env.REP_CAPACITY.getByName("rep_ada");
  const adaCaps = { maxOpen: CAP, maxPerDay: 1000, timezone: "UTC" };
  const trace = storedCandidates;

  it("cannot overfill a rep: a hint with room is stale, the object refuses and the lead is queued", async () => {
    const first = (await (await postLead({ ...HOT_LEAD, email: "h0@bigcorp.example" })).json()) as LeadResponse & { decision: { id: string } };
    expect(first.decision.repId).toBe("rep_ada");
    for (let i = 1; i < CAP; i++) expect((await ada().reserve(`elsewhere-${i}`, adaCaps, 60_000)).ok).toBe(true);
    const next = (await (await postLead({ ...HOT_LEAD, email: "h1@bigcorp.example" })).json()) as LeadResponse & { decision: { id: string } };
    expect(next.decision.outcome).toBe("queued");
    expect((await trace(next.decision.id)).find((c) => c.repId === "rep_ada")?.result).toBe("max_open");
  });

  it("reads a rep again before passing it over: a hint that shows no room is not trusted", async () => {
    for (let i = 0; i < CAP; i++) await postLead({ ...HOT_LEAD, email: `f${i}@bigcorp.example` });
    const full = (await (await postLead({ ...HOT_LEAD, email: "full@bigcorp.example" })).json()) as LeadResponse;
    expect(full.decision.outcome).toBe("queued");
    // Another isolate closes one of her leads.
    const open = await runInDurableObject(ada(), (_i, state) => state.storage.sql.exec<{ lead_id: string }>("SELECT lead_id FROM reservations LIMIT 1").one().lead_id);
    expect(await ada().release(open)).toBe(true);
    const after = (await (await postLead({ ...HOT_LEAD, email: "room@bigcorp.example" })).json()) as LeadResponse;
    expect(after.decision.repId).toBe("rep_ada");
  });
});
