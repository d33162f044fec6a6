import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_POLICY } from "../src/routing/policy.ts";
import { HOT_LEAD, call, postLead, uniqueEmail } from "./helpers.ts";
import { TOKENS } from "./setup.ts";

type Posted = { lead: { id: string; status: string }; decision: { id: string; tier: string; repId: string | null; outcome: string } | null };
const admin = { authorization: `Bearer ${TOKENS.admin}`, "content-type": "application/json" };
const REPS = ["rep_ada", "rep_grace", "rep_alan", "rep_katherine", "rep_linus"];

async function reservationsPerRep(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const rep of REPS) {
    const s = await env.REP_CAPACITY.getByName(rep).snapshot({ maxOpen: 100, maxPerDay: 100, timezone: "UTC" });
    out[rep] = s.open + s.held;
  }
  return out;
}

describe("one decision for live, replay and simulation", () => {
  it("a policy simulation and live routing give the same tier and rep for the same lead, model, signals and snapshot", async () => {
    const leads = [
      { ...HOT_LEAD, email: uniqueEmail() },
      { ...HOT_LEAD, email: uniqueEmail(), demo_requested: false, job_title: "Engineer", employees: 200, pages_viewed: 4 },
      { email: uniqueEmail("low"), company: "Tiny", employees: 3, industry: "retail", country: "FR", job_title: "Intern", source: "ads", pages_viewed: 1 },
    ];
    for (const lead of leads) {
      // Simulate first (it reserves nothing), then route the same lead live against the same counters.
      const sim = await call("/v1/policies/simulate", { method: "POST", headers: admin, body: JSON.stringify({ policy: DEFAULT_POLICY, leads: [lead] }) });
      expect(sim.status).toBe(200);
      const [simulated] = ((await sim.json()) as { results: { tier: string; repId: string | null; outcome: string; probability: number | null }[] }).results;
      const live = (await (await postLead(lead)).json()) as Posted;
      expect(simulated).toMatchObject({ tier: live.decision!.tier, repId: live.decision!.repId, outcome: live.decision!.outcome });
    }
  });

  it("replays a live decision exactly from its compact lineage", async () => {
    const live = (await (await postLead({ ...HOT_LEAD, email: uniqueEmail() })).json()) as Posted;
    const res = await call(`/v1/decisions/${live.decision!.id}/replay`, { method: "POST", headers: admin, body: "{}" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ same: true, exact: true, replayed: { repId: live.decision!.repId, tier: live.decision!.tier } });
  });
});

describe("the lead path's one durable write", () => {
  afterEach(() => vi.restoreAllMocks());

  it("stores a lead, its decision and its lineage in one batch: a failing lineage write leaves no decision and no hold", async () => {
    await env.DB.prepare("CREATE TRIGGER no_lineage BEFORE INSERT ON lineage BEGIN SELECT RAISE(ABORT, 'injected'); END").run();
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await postLead({ ...HOT_LEAD, email: uniqueEmail() });
    expect(res.status).toBe(202);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM decisions").first("n")).toBe(0);
    expect(await env.DB.prepare("SELECT status FROM leads").first("status")).toBe("pending");
    expect(Object.values(await reservationsPerRep()).every((n) => n === 0)).toBe(true);
    await env.DB.prepare("DROP TRIGGER no_lineage").run();
  });
});
