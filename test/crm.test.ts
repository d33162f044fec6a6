import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, crmGet, HOT_LEAD, postLead, uniqueEmail, type ErrorJson } from "./helpers.ts";
import { TOKENS } from "./setup.ts";

type LeadResponse = { lead: { id: string }; decision: { id: string; repId: string | null; outcome: string } };
type Feed = { data: { id: string; seq: number; lead: { id: string } }[]; nextCursor: string; hasMore: boolean };

const json = (token: string) => ({ authorization: `Bearer ${token}`, "content-type": "application/json" });
const act = (id: string, action: string, body: unknown = {}, token: string = TOKENS.crm) =>
  call(`/v1/assignments/${id}/${action}`, { method: "POST", headers: json(token), body: JSON.stringify(body) });
const hot = async () => (await (await postLead({ ...HOT_LEAD, email: uniqueEmail() })).json()) as LeadResponse;
const snapshot = (repId: string) => env.REP_CAPACITY.getByName(repId).snapshot({ maxOpen: 100, maxPerDay: 100, timezone: "UTC" });
/** Slots taken: open assignments and holds the rep's alarm has not settled yet. */
const taken = (s: { open: number; held: number }) => s.open + s.held;

async function mintToken(scopes: string[], teamId: string | null = "demo"): Promise<{ id: string; secret: string }> {
  const res = await call("/v1/admin/tokens", { method: "POST", headers: json(TOKENS.admin), body: JSON.stringify({ name: `t-${scopes.join("+")}`, scopes, teamId }) });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; secret: string };
}

describe("CRM actions on assignments", () => {
  it("acks, then accepts, and refuses to go back", async () => {
    const { decision } = await hot();
    expect(await (await act(decision.id, "ack")).json()).toMatchObject({ crmStatus: "acked" });
    expect(await (await act(decision.id, "accept", { note: "calling today" })).json()).toMatchObject({ crmStatus: "accepted" });
    expect((await act(decision.id, "ack")).status).toBe(409);
  });

  it("re-routes a rejected lead to another rep, frees the slot and keeps the history", async () => {
    const { lead, decision } = await hot();
    const first = decision.repId!;
    expect(taken(await snapshot(first))).toBe(1);
    const res = await act(decision.id, "reject", { reason: "not my territory" });
    expect(res.status).toBe(200);
    const { next } = (await res.json()) as { next: { id: string; repId: string; outcome: string } };
    expect(next.outcome).toBe("assigned");
    expect(next.repId).not.toBe(first);
    expect(taken(await snapshot(first))).toBe(0);
    expect(taken(await snapshot(next.repId))).toBe(1);
    const rows = await env.DB.prepare("SELECT id, is_current, crm_status, crm_note, supersedes FROM decisions WHERE lead_id = ? ORDER BY seq").bind(lead.id).all();
    expect(rows.results).toEqual([
      { id: decision.id, is_current: 0, crm_status: "rejected", crm_note: "not my territory", supersedes: null },
      { id: next.id, is_current: 1, crm_status: "new", crm_note: null, supersedes: decision.id },
    ]);
    const feed = (await (await crmGet("/v1/assignments")).json()) as Feed;
    expect(feed.data.map((d) => d.id)).toEqual([decision.id, next.id]);
    expect((await act(decision.id, "reject", { reason: "again" })).status).toBe(409);
  });

  it("closes an assignment on a won outcome, freeing the rep, and stores each outcome once", async () => {
    const { lead, decision } = await hot();
    const outcome = { id: "crm-evt-1", leadId: lead.id, type: "won", amount: 42_000, occurredAt: "2026-11-20T10:00:00Z" };
    const post = () => call("/v1/outcomes", { method: "POST", headers: json(TOKENS.crm), body: JSON.stringify(outcome) });
    expect(await (await post()).json()).toEqual({ id: "crm-evt-1", duplicate: false });
    expect(await (await post()).json()).toEqual({ id: "crm-evt-1", duplicate: true });
    expect(taken(await snapshot(decision.repId!))).toBe(0);
    expect(await env.DB.prepare("SELECT crm_status FROM decisions WHERE id = ?").bind(decision.id).first("crm_status")).toBe("closed");
    expect(await env.DB.prepare("SELECT count(*) AS n FROM outcomes").first("n")).toBe(1);
  });

  it("refuses an outcome with a bad type or date", async () => {
    const { lead } = await hot();
    const res = await call("/v1/outcomes", { method: "POST", headers: json(TOKENS.crm), body: JSON.stringify({ id: "x", leadId: lead.id, type: "maybe", occurredAt: "yesterday" }) });
    expect(res.status).toBe(422);
  });
});

describe("every auth failure answers 401/403 with the error shape", () => {
  const cases: [string, () => Promise<Response>, number][] = [
    ["missing token on the feed", () => call("/v1/assignments"), 401],
    ["malformed authorization header", () => call("/v1/assignments", { headers: { authorization: "Token abc" } }), 401],
    ["invalid token", () => crmGet("/v1/assignments", "lr_not_a_real_token"), 401],
    ["CRM token on the admin API", () => call("/v1/admin/tokens", { headers: { authorization: `Bearer ${TOKENS.crm}` } }), 403],
    ["CRM token uploading a model", () => call("/v1/models", { method: "POST", headers: { authorization: `Bearer ${TOKENS.crm}` } }), 403],
  ];
  for (const [name, send, status] of cases) {
    it(name, async () => {
      const res = await send();
      expect(res.status).toBe(status);
      const body = (await res.json()) as ErrorJson;
      expect(body.error.code).toBe(status === 401 ? "unauthorized" : "forbidden");
      expect(body.error.requestId).toBeTruthy();
    });
  }

  it("a revoked token stops working at once", async () => {
    const { id, secret } = await mintToken(["crm:read"]);
    expect((await crmGet("/v1/assignments", secret)).status).toBe(200);
    expect((await call(`/v1/admin/tokens/${id}`, { method: "DELETE", headers: json(TOKENS.admin) })).status).toBe(200);
    expect((await crmGet("/v1/assignments", secret)).status).toBe(401);
  });

  it("a read-only token cannot act on assignments (403)", async () => {
    const { secret } = await mintToken(["crm:read"]);
    const { decision } = await hot();
    const res = await act(decision.id, "accept", {}, secret);
    expect(res.status).toBe(403);
  });

  it("another team's token cannot see or act on the assignment (404, nothing changed)", async () => {
    const { decision, lead } = await hot();
    expect((await act(decision.id, "reject", { reason: "x" }, TOKENS.otherTeam)).status).toBe(404);
    const outcome = await call("/v1/outcomes", { method: "POST", headers: json(TOKENS.otherTeam), body: JSON.stringify({ id: "o", leadId: lead.id, type: "won", occurredAt: "2026-11-20T10:00:00Z" }) });
    expect(outcome.status).toBe(404);
    expect(await env.DB.prepare("SELECT crm_status FROM decisions WHERE id = ?").bind(decision.id).first("crm_status")).toBe("new");
  });

  it("a token shown once is stored only as a hash", async () => {
    const { id, secret } = await mintToken(["crm:read"]);
    const row = await env.DB.prepare("SELECT token_hash FROM api_tokens WHERE id = ?").bind(id).first<{ token_hash: string }>();
    expect(row!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.token_hash).not.toContain(secret);
    const list = JSON.stringify(await (await call("/v1/admin/tokens", { headers: json(TOKENS.admin) })).json());
    expect(list).not.toContain(secret);
  });
});

describe("the CRM feed under concurrent writes", () => {
  it("has no gaps and no duplicates while leads are being written", async () => {
    await env.DB.prepare("UPDATE reps SET max_open = 1000, max_per_day = 1000").run();
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const waves = 6;
    const perWave = 10;
    let done = false;
    const leadIds = new Set<string>();
    // Writers: waves of concurrent posts, so the reader's pulls land between and during writes.
    const writers = (async () => {
      for (let w = 0; w < waves; w++) {
        const responses = await Promise.all(Array.from({ length: perWave }, (_, i) => postLead({ ...HOT_LEAD, email: uniqueEmail(`feed${w}-${i}`) })));
        for (const r of responses) leadIds.add(((await r.json()) as LeadResponse).lead.id);
        await sleep(3);
      }
      done = true;
    })();
    const seen: { id: string; seq: number; lead: { id: string } }[] = [];
    let cursor = "0";
    let pulls = 0;
    let pullsWhileWriting = 0;
    for (; pulls < 5_000; pulls++) {
      const page = (await (await crmGet(`/v1/assignments?limit=7&cursor=${cursor}`)).json()) as Feed;
      if (!done && page.data.length > 0) pullsWhileWriting++;
      seen.push(...page.data);
      cursor = page.nextCursor;
      if (done && !page.hasMore && seen.length >= waves * perWave) break;
      await sleep(1);
    }
    await writers;
    expect(pullsWhileWriting).toBeGreaterThan(1);
    expect(new Set(seen.map((s) => s.id)).size).toBe(seen.length);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.seq).toBeGreaterThan(seen[i - 1]!.seq);
    expect(new Set(seen.map((s) => s.lead.id))).toEqual(leadIds);
  });
});
