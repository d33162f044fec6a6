import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TOKENS, defaultModel } from "./setup.ts";
import { crmGet, HOT_LEAD, postLead, storedCandidates } from "./helpers.ts";

type LeadResponse = {
  lead: { id: string; status: string };
  decision: { id: string; outcome: string; tier: string; repId: string | null; mode: string; probability: number; model: { sha256: string; version: string } };
};
type Feed = { data: { id: string; seq: number; rep: { id: string }; lead: { id: string; email: string }; reasons: unknown[] }[]; nextCursor: string; hasMore: boolean };

describe("the lead path", () => {
  it("stores, scores, routes and records a lead, then the CRM pulls it", async () => {
    const res = await postLead(HOT_LEAD);
    expect(res.status).toBe(201);
    expect(res.headers.get("server-timing")).toMatch(/score;dur=/);
    const body = (await res.json()) as LeadResponse;
    const { manifest } = defaultModel();
    expect(body.decision).toMatchObject({ outcome: "assigned", tier: "ae", mode: "model" });
    expect(body.decision.model).toMatchObject({ sha256: manifest.sha256, version: manifest.version });
    expect(body.decision.probability).toBeGreaterThanOrEqual(0.6);
    expect(["rep_ada", "rep_grace"]).toContain(body.decision.repId);

    // The decision and its lineage are in D1.
    const row = await env.DB.prepare("SELECT * FROM decisions WHERE lead_id = ?").bind(body.lead.id).all();
    expect(row.results).toHaveLength(1);
    const lineage = await env.DB.prepare("SELECT * FROM lineage WHERE decision_id = ?").bind(body.decision.id).first<{ vector: string; candidates: string }>();
    expect(JSON.parse(lineage!.vector)).toHaveLength(manifest.input.dim);
    const candidates = await storedCandidates(body.decision.id);
    expect(candidates.find((c) => c.result === "reserved")?.repId).toBe(body.decision.repId);
    expect(candidates.every((c) => c.snapshot !== null)).toBe(true);

    // The decision endpoint returns it with its lineage.
    const dec = await crmGet(`/v1/decisions/${body.decision.id}`);
    expect(dec.status).toBe(200);
    const decBody = (await dec.json()) as { modelSha256: string; lineage: { features: Record<string, number>; candidates: unknown[] } };
    expect(decBody.modelSha256).toBe(manifest.sha256);
    expect(Object.keys(decBody.lineage.features)).toHaveLength(manifest.input.dim);

    // The CRM feed has it, once.
    const feed = (await (await crmGet("/v1/assignments")).json()) as Feed;
    expect(feed.data.map((d) => d.lead.id)).toEqual([body.lead.id]);
    expect(feed.data[0]!.rep.id).toBe(body.decision.repId);
    const next = (await (await crmGet(`/v1/assignments?cursor=${feed.nextCursor}`)).json()) as Feed;
    expect(next.data).toEqual([]);
    expect(next.nextCursor).toBe(feed.nextCursor);
  });

  it("sends a low-probability lead to nurture, which the CRM feed does not list", async () => {
    const res = await postLead({ email: "kid@gmail.com", job_title: "Student", employees: 1, pages_viewed: 0, source: "organic", demo_requested: false });
    const body = (await res.json()) as LeadResponse;
    expect(res.status).toBe(201);
    expect(body.decision).toMatchObject({ outcome: "nurture", tier: "nurture", repId: null });
    const feed = (await (await crmGet("/v1/assignments")).json()) as Feed;
    expect(feed.data).toEqual([]);
  });

  it("hides a team's assignments and decisions from another team's token", async () => {
    const body = (await (await postLead(HOT_LEAD)).json()) as LeadResponse;
    const feed = (await (await crmGet("/v1/assignments", TOKENS.otherTeam)).json()) as Feed;
    expect(feed.data).toEqual([]);
    expect((await crmGet(`/v1/decisions/${body.decision.id}`, TOKENS.otherTeam)).status).toBe(404);
    expect((await crmGet(`/v1/decisions/${body.decision.id}`, TOKENS.admin)).status).toBe(200);
  });

  it("routes on rules only when the active model's artifact is gone, and keeps the lead", async () => {
    const { manifest } = defaultModel();
    await env.MODELS.delete(`models/${manifest.name}/${manifest.version}/model.onnx`);
    const res = await postLead(HOT_LEAD);
    expect(res.status).toBe(201);
    const body = (await res.json()) as LeadResponse;
    expect(body.decision).toMatchObject({ mode: "rules", tier: "ae", outcome: "assigned", probability: null });
    const lineage = await env.DB.prepare("SELECT fallback_reason FROM lineage WHERE decision_id = ?").bind(body.decision.id).first<{ fallback_reason: string }>();
    expect(lineage!.fallback_reason).toMatch(/missing from R2/);
  });

  it("pages through the feed with a cursor, in order, without repeats", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(((await (await postLead({ ...HOT_LEAD, email: `p${i}@bigcorp.example` })).json()) as LeadResponse).lead.id);
    const seen: string[] = [];
    let cursor = "0";
    for (;;) {
      const page = (await (await crmGet(`/v1/assignments?limit=2&cursor=${cursor}`)).json()) as Feed;
      seen.push(...page.data.map((d) => d.lead.id));
      cursor = page.nextCursor;
      if (!page.hasMore) break;
    }
    expect(seen).toEqual(ids);
  });
});
