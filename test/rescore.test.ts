import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, postLead } from "./helpers.ts";
import { TOKENS } from "./setup.ts";
import { activateLinearModel, DEMO_SIGNAL_FEATURES, eventsToken, HOUR, iso, json, postEvents } from "./signal-helpers.ts";

type Decision = { id: string; outcome: string; tier: string; repId: string | null; reason: string };
type Rescored = { rescored: { leadId: string; from: string; outcome: string; decisionId: string | null }[] };
const lead = async (email: string, extra: Record<string, unknown> = {}) => (await (await postLead({ email, employees: 50, ...extra })).json()) as { lead: { id: string }; decision: Decision };
const demo = (id: string, email: string) => ({ id, type: "demo_request", subject: { email }, occurredAt: iso(HOUR), source: "hubspot" });
const history = async (leadId: string) => (await env.DB.prepare("SELECT id, outcome, is_current, supersedes, reason FROM decisions WHERE lead_id = ? ORDER BY seq").bind(leadId).all<Record<string, unknown>>()).results;

describe("re-scoring on a new signal", () => {
  it("with the shipped default model, a demo request forwards a nurture lead to an SDR", async () => {
    const token = await eventsToken();
    const reader = { job_title: "Engineer", source: "organic", industry: "software", country: "US", pages_viewed: 3 };
    const { lead: l, decision: first } = await lead("reader@default.example", reader);
    expect(first).toMatchObject({ outcome: "nurture" });
    const { rescored } = (await (await postEvents({ events: [demo("default-demo", "reader@default.example")] }, token)).json()) as Rescored;
    expect(rescored).toEqual([{ leadId: l.id, from: first.id, outcome: "assigned", decisionId: expect.any(String) }]);
    const next = (await history(l.id)).at(-1)!;
    expect(String(next.reason)).toMatch(/^nurture-forward: p=0\.3/);
  });

  it("routes a nurture lead that crosses the threshold after a demo request, linked to its first decision", async () => {
    await activateLinearModel(DEMO_SIGNAL_FEATURES, [4, 0], -3);
    const token = await eventsToken();
    const { lead: l, decision: first } = await lead("nurtured@acme.example");
    expect(first.outcome).toBe("nurture");
    const res = await postEvents({ events: [demo("demo-1", "nurtured@acme.example")] }, token);
    const { rescored } = (await res.json()) as Rescored;
    expect(rescored).toEqual([{ leadId: l.id, from: first.id, outcome: "assigned", decisionId: expect.any(String) }]);
    const rows = await history(l.id);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ id: first.id, outcome: "nurture", is_current: 0 });
    expect(rows[1]).toMatchObject({ id: rescored[0]!.decisionId, outcome: "assigned", is_current: 1, supersedes: first.id });
    expect(String(rows[1]!.reason)).toMatch(/^nurture-forward: p=0\.73/);
    const trigger = await env.DB.prepare("SELECT json_extract(context, '$.trigger') AS t FROM lineage WHERE decision_id = ?").bind(rescored[0]!.decisionId).first("t");
    expect(trigger).toBe("nurture-forward");
  });

  it("leaves a nurture lead alone when the signal does not cross a threshold, and writes nothing", async () => {
    await activateLinearModel(DEMO_SIGNAL_FEATURES, [4, 0], -3);
    const token = await eventsToken();
    const { lead: l } = await lead("reader@acme.example");
    const res = await postEvents({ events: [{ ...demo("v", "reader@acme.example"), type: "page_view" }] }, token);
    expect(((await res.json()) as Rescored).rescored).toEqual([{ leadId: l.id, from: expect.any(String), outcome: "unchanged", decisionId: null }]);
    expect(await history(l.id)).toHaveLength(1);
  });

  it("does not re-score on a duplicate event, nor a lead another team owns", async () => {
    await activateLinearModel(DEMO_SIGNAL_FEATURES, [4, 0], -3);
    const { lead: l } = await lead("dup@acme.example");
    await call("/v1/admin/teams/other", { method: "PUT", headers: json(TOKENS.admin), body: JSON.stringify({ name: "Other" }) });
    const other = await eventsToken("other");
    expect(((await (await postEvents({ events: [demo("d", "dup@acme.example")] }, other)).json()) as Rescored).rescored).toEqual([]);
    const token = await eventsToken();
    await postEvents({ events: [{ ...demo("d2", "dup@acme.example"), type: "page_view" }] }, token);
    expect(((await (await postEvents({ events: [{ ...demo("d2", "dup@acme.example"), type: "page_view" }] }, token)).json()) as Rescored).rescored).toEqual([]);
    expect(await history(l.id)).toHaveLength(1);
  });

  it("moves a queued lead to a rep when a signal lifts it into a tier with room", async () => {
    // Policy v1 routes 0.25-0.6 to SDRs: with every SDR full, a lead at p≈0.27 waits in the team queue.
    await activateLinearModel(DEMO_SIGNAL_FEATURES, [2, 0], -3, "signals-2");
    await env.DB.prepare("UPDATE reps SET max_open = 0 WHERE role = 'sdr'").run();
    const token = await eventsToken();
    await postEvents({ events: [demo("q1", "queued@acme.example")] }, token);
    const { lead: l, decision: first } = await lead("queued@acme.example");
    expect(first).toMatchObject({ outcome: "queued", tier: "sdr" });
    const res = await postEvents({ events: [demo("q2", "queued@acme.example")] }, token);
    const { rescored } = (await res.json()) as Rescored;
    expect(rescored).toEqual([{ leadId: l.id, from: first.id, outcome: "assigned", decisionId: expect.any(String) }]);
    const rows = await history(l.id);
    expect(rows[1]).toMatchObject({ outcome: "assigned", supersedes: first.id, is_current: 1 });
  });

  it("re-scores the account's waiting leads on an account-level event", async () => {
    await activateLinearModel([{ name: "acct_demo", source: "account.events.demo_request.count_7d", type: "number", transform: "none", default: 0 }], [4], -3);
    const token = await eventsToken();
    const a = await lead("a@eu.acme.example");
    const b = await lead("b@zeta.example");
    expect([a.decision.outcome, b.decision.outcome]).toEqual(["nurture", "nurture"]);
    const { rescored } = (await (await postEvents({ events: [{ ...demo("acct", "x"), subject: { domain: "eu.acme.example" } }] }, token)).json()) as Rescored;
    expect(rescored.map((r) => [r.leadId, r.outcome])).toEqual([[a.lead.id, "assigned"]]);
  });
});
