import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_POLICY } from "../src/routing/policy.ts";
import { reviewReasons } from "../src/routing/review.ts";
import { drainQueues } from "../src/scheduled.ts";
import { call, crmGet, HOT_LEAD, postLead, uniqueEmail, type ErrorJson } from "./helpers.ts";
import { TOKENS } from "./setup.ts";
import { json } from "./signal-helpers.ts";

type Decision = { id: string; outcome: string; tier: string; repId: string | null; queue: string | null; reason: string };
type Next = { id: string; outcome: string; repId: string | null; supersedes: string; reason: string };
type Hold = { decisionId: string; leadId: string; proposedRepId: string | null; why: string[]; status: string; nextDecisionId: string | null };

/** Slots the rep's object counts taken: open assignments and holds its alarm has not settled yet. */
const open = async (repId: string) => {
  const s = await env.REP_CAPACITY.getByName(repId).snapshot({ maxOpen: 1000, maxPerDay: 1000, timezone: "UTC" });
  return s.open + s.held;
};
const post = (path: string, body: unknown, token: string) => call(path, { method: "POST", headers: json(token), body: JSON.stringify(body) });
const BIG_DEAL = { ...HOT_LEAD, deal_value: 250_000 };
const lead = async (body: Record<string, unknown>, email = uniqueEmail()) => (await (await postLead({ ...body, email })).json()) as { lead: { id: string }; decision: Decision };
const holds = async (token: string, status = "pending") => ((await (await call(`/v1/reviews?status=${status}`, { headers: json(token) })).json()) as { data: Hold[] }).data;
const history = async (leadId: string) => (await env.DB.prepare("SELECT id, outcome, rep_id, is_current, supersedes, reason FROM decisions WHERE lead_id = ? ORDER BY seq").bind(leadId).all<Record<string, unknown>>()).results;

let manager: string;
beforeEach(async () => {
  const policy = { ...DEFAULT_POLICY, review: { strategicAccounts: true, minProbability: null, minDealValue: 200_000 } };
  expect((await post("/v1/policies", { policy, reason: "hold big deals" }, TOKENS.admin)).status).toBe(201);
  const res = await post("/v1/admin/tokens", { name: "sales manager", scopes: ["review:write"], teamId: "demo" }, TOKENS.admin);
  manager = ((await res.json()) as { secret: string }).secret;
});

describe("review rules (pure)", () => {
  const rules = { strategicAccounts: true, minProbability: 0.8, minDealValue: 50_000 };
  it("names every bound a lead reaches, and holds nothing without rules", () => {
    expect(reviewReasons(rules, { probability: 0.85, dealValue: 60_000, strategicAccount: "acme.example" })).toEqual(["strategic account acme.example", "probability 0.8500 ≥ 0.8", "deal value 60000 ≥ 50000"]);
    expect(reviewReasons(rules, { probability: 0.79, dealValue: 49_999, strategicAccount: null })).toEqual([]);
    expect(reviewReasons(rules, { probability: null, dealValue: 0, strategicAccount: null })).toEqual([]);
    expect(reviewReasons(null, { probability: 1, dealValue: 1e9, strategicAccount: "acme.example" })).toEqual([]);
  });
});

describe("holding high-impact decisions", () => {
  it("holds a big deal for review without reserving a rep, and lists it with the proposed rep", async () => {
    const before = { rep_ada: await open("rep_ada"), rep_grace: await open("rep_grace") };
    const { lead: l, decision } = await lead(BIG_DEAL);
    expect(decision).toMatchObject({ outcome: "queued", queue: "review", repId: null, tier: "ae" });
    expect(decision.reason).toContain("held for review (deal value 250000 ≥ 200000)");
    const [hold] = await holds(manager);
    expect(hold).toMatchObject({ decisionId: decision.id, leadId: l.id, status: "pending", why: ["deal value 250000 ≥ 200000"] });
    expect(["rep_ada", "rep_grace"]).toContain(hold!.proposedRepId);
    expect({ rep_ada: await open("rep_ada"), rep_grace: await open("rep_grace") }).toEqual(before);
    expect((await lead(HOT_LEAD)).decision.outcome).toBe("assigned");
  });

  it("holds a lead of a strategic account", async () => {
    await call("/v1/admin/accounts/bigbank.example", { method: "PUT", headers: json(TOKENS.admin), body: JSON.stringify({ name: "Big Bank", teamId: "demo", strategic: true }) });
    const { decision } = await lead(HOT_LEAD, "cfo@bigbank.example");
    expect(decision.queue).toBe("review");
    expect((await holds(manager))[0]!.why).toContain("strategic account bigbank.example");
  });

  it("replays a held decision to the same result", async () => {
    const { decision } = await lead(BIG_DEAL);
    const res = await call(`/v1/decisions/${decision.id}/replay`, { method: "POST", headers: { authorization: `Bearer ${TOKENS.admin}` } });
    expect(await res.json()).toMatchObject({ same: true, replayed: { outcome: "queued", repId: null } });
  });

  it("leaves a held lead alone when the queue drains", async () => {
    await lead(BIG_DEAL);
    expect(await drainQueues(env)).toEqual({ queued: 0, assigned: 0 });
    expect(await holds(manager)).toHaveLength(1);
  });
});

describe("a manager resolves a hold", () => {
  it("approves: the proposed rep gets the lead, linked to the held decision and audited", async () => {
    const { lead: l, decision } = await lead(BIG_DEAL);
    const proposed = (await holds(manager))[0]!.proposedRepId!;
    const res = await post(`/v1/reviews/${decision.id}/approve`, { note: "go" }, manager);
    expect(res.status).toBe(200);
    const { next } = (await res.json()) as { next: Next };
    expect(next).toMatchObject({ outcome: "assigned", repId: proposed, supersedes: decision.id });
    expect(await open(proposed)).toBe(1);
    expect((await holds(manager, "approved"))[0]).toMatchObject({ status: "approved", nextDecisionId: next.id });
    expect((await history(l.id)).map((d) => [d.outcome, d.is_current])).toEqual([["queued", 0], ["assigned", 1]]);
    const feed = (await (await crmGet("/v1/assignments")).json()) as { data: { id: string }[] };
    expect(feed.data.map((d) => d.id)).toContain(next.id);
    const audit = await env.DB.prepare("SELECT actor, action, entity_id, reason FROM audit_log WHERE action LIKE 'review.%'").all();
    expect(audit.results).toEqual([{ actor: "sales manager", action: "review.approve", entity_id: l.id, reason: "go" }]);
    expect((await post(`/v1/reviews/${decision.id}/approve`, {}, manager)).status).toBe(409);
  });

  it("overrides to another rep: the override is in the lineage and the audit log", async () => {
    const { decision } = await lead(BIG_DEAL);
    const proposed = (await holds(manager))[0]!.proposedRepId!;
    const other = proposed === "rep_ada" ? "rep_grace" : "rep_ada";
    const res = await post(`/v1/reviews/${decision.id}/override`, { repId: other, reason: "knows the buyer" }, manager);
    const { next } = (await res.json()) as { next: Next };
    expect(next).toMatchObject({ outcome: "assigned", repId: other, supersedes: decision.id });
    expect(next.reason).toBe("review.override by sales manager: knows the buyer");
    const lineage = await env.DB.prepare("SELECT json_extract(context, '$.manual') AS manual, json_extract(candidates, '$[0].repId') AS rep FROM lineage WHERE decision_id = ?").bind(next.id).first<{ manual: string; rep: string }>();
    expect(JSON.parse(lineage!.manual)).toMatchObject({ actor: "sales manager", action: "review.override", reason: "knows the buyer", previous: decision.id });
    expect(lineage!.rep).toBe(other);
    const audit = await env.DB.prepare("SELECT before, after, reason FROM audit_log WHERE action = 'review.override'").first<{ before: string; after: string; reason: string }>();
    expect(JSON.parse(audit!.before)).toEqual({ decisionId: decision.id, outcome: "queued", repId: null });
    expect(JSON.parse(audit!.after)).toEqual({ decisionId: next.id, outcome: "assigned", repId: other });
    expect(audit!.reason).toBe("knows the buyer");
    expect(await open(other)).toBe(1);
    expect(await open(proposed)).toBe(0);
  });

  it("refuses an override to a full rep (409) and keeps the hold pending", async () => {
    const { decision } = await lead(BIG_DEAL);
    await env.DB.prepare("UPDATE reps SET max_open = 0 WHERE id = 'rep_grace'").run();
    const res = await post(`/v1/reviews/${decision.id}/override`, { repId: "rep_grace", reason: "x" }, manager);
    expect(res.status).toBe(409);
    expect(((await res.json()) as ErrorJson).error.message).toContain("max_open");
    expect((await holds(manager))[0]!.status).toBe("pending");
    expect((await post(`/v1/reviews/${decision.id}/override`, { repId: "rep_nobody", reason: "x" }, manager)).status).toBe(422);
    expect((await holds(manager))[0]!.status).toBe("pending");
  });

  it("sends back: the lead goes to nurture, linked and audited", async () => {
    const { lead: l, decision } = await lead(BIG_DEAL);
    const res = await post(`/v1/reviews/${decision.id}/send-back`, { reason: "budget not confirmed" }, manager);
    const { next } = (await res.json()) as { next: Next };
    expect(next).toMatchObject({ outcome: "nurture", repId: null, supersedes: decision.id });
    expect((await history(l.id)).at(-1)).toMatchObject({ outcome: "nurture", is_current: 1 });
    expect((await holds(manager, "sent_back"))[0]!.nextDecisionId).toBe(next.id);
  });

  it("refuses bad input and other callers", async () => {
    const { decision } = await lead(BIG_DEAL);
    expect((await post(`/v1/reviews/${decision.id}/override`, { repId: "rep_ada" }, manager)).status).toBe(422);
    expect((await post(`/v1/reviews/${decision.id}/send-back`, {}, manager)).status).toBe(422);
    expect((await post(`/v1/reviews/dec_nope/approve`, {}, manager)).status).toBe(404);
    expect((await post(`/v1/reviews/${decision.id}/approve`, {}, TOKENS.crm)).status).toBe(403);
    await call("/v1/admin/teams/other", { method: "PUT", headers: { authorization: `Bearer ${TOKENS.admin}`, "content-type": "application/json" }, body: JSON.stringify({ name: "Other" }) });
    const res = await post("/v1/admin/tokens", { name: "other manager", scopes: ["review:write"], teamId: "other" }, TOKENS.admin);
    const otherManager = ((await res.json()) as { secret: string }).secret;
    expect((await post(`/v1/reviews/${decision.id}/approve`, {}, otherManager)).status).toBe(404);
    expect(await holds(otherManager)).toEqual([]);
    expect((await holds(manager))[0]!.status).toBe("pending");
  });
});

describe("manual reassignment by an admin", () => {
  it("moves an assigned lead to another rep with a reason, freeing the first rep's slot", async () => {
    const { lead: l, decision } = await lead(HOT_LEAD);
    const to = decision.repId === "rep_ada" ? "rep_grace" : "rep_ada";
    const res = await post(`/v1/admin/leads/${l.id}/reassign`, { repId: to, reason: "territory swap" }, TOKENS.admin);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: "assigned", repId: to, supersedes: decision.id });
    expect(await open(decision.repId!)).toBe(0);
    expect(await open(to)).toBe(1);
    const audit = await env.DB.prepare("SELECT action, entity_id, reason FROM audit_log WHERE action = 'lead.reassign'").first();
    expect(audit).toEqual({ action: "lead.reassign", entity_id: l.id, reason: "territory swap" });
  });

  it("takes a held lead out of the review queue", async () => {
    const { lead: l } = await lead(BIG_DEAL);
    expect((await post(`/v1/admin/leads/${l.id}/reassign`, { repId: "rep_alan", reason: "SDR qualifies first" }, TOKENS.admin)).status).toBe(200);
    expect(await holds(manager)).toEqual([]);
    expect((await holds(manager, "overridden"))[0]).toMatchObject({ leadId: l.id, status: "overridden" });
  });

  it("needs an admin, a reason, a known rep and a known lead", async () => {
    const { lead: l, decision } = await lead(HOT_LEAD);
    expect((await post(`/v1/admin/leads/${l.id}/reassign`, { repId: "rep_alan", reason: "x" }, manager)).status).toBe(403);
    expect((await post(`/v1/admin/leads/${l.id}/reassign`, { repId: "rep_alan" }, TOKENS.admin)).status).toBe(422);
    expect((await post(`/v1/admin/leads/${l.id}/reassign`, { repId: "rep_ghost", reason: "x" }, TOKENS.admin)).status).toBe(422);
    expect((await post(`/v1/admin/leads/lead_nope/reassign`, { repId: "rep_alan", reason: "x" }, TOKENS.admin)).status).toBe(404);
    expect((await post(`/v1/admin/leads/${l.id}/reassign`, { repId: decision.repId, reason: "x" }, TOKENS.admin)).status).toBe(409);
    expect(await history(l.id)).toHaveLength(1);
  });
});
