import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { call, HOT_LEAD, postLead, type ErrorJson } from "./helpers.ts";
import { TOKENS } from "./setup.ts";
import { DAY, eventsToken, HOUR, iso, json, postEvents } from "./signal-helpers.ts";

type Ingested = { stored: number; duplicates: string[]; conflicts: string[]; events: { id: string; occurredAt: string; stored: boolean; status: string }[] };

const click = (id: string, email = "ann@acme.example", occurredAt = iso(HOUR)) => ({ id, type: "email_click", subject: { email }, occurredAt, properties: { campaign: "q4" }, source: "hubspot" });
const count = async () => (await env.DB.prepare("SELECT count(*) AS n FROM signal_events").first("n")) as number;

let token: string;
beforeEach(async () => {
  token = await eventsToken();
});

describe("POST /v1/events", () => {
  it("stores a batch, normalising every timestamp to UTC", async () => {
    // Two hours ago, written as wall-clock time in UTC+02:00.
    const utc = Math.floor((Date.now() - 2 * HOUR) / 1000) * 1000;
    const local = `${new Date(utc + 2 * HOUR).toISOString().slice(0, 19)}+02:00`;
    const res = await postEvents({ events: [click("e1", "Ann@Acme.example", local)] }, token);
    expect(res.status).toBe(201);
    const body = (await res.json()) as Ingested;
    expect(body.events).toEqual([{ id: "e1", occurredAt: new Date(utc).toISOString(), stored: true, status: "stored" }]);
    const row = await env.DB.prepare("SELECT subject, occurred_at, source, ingested_at, ingested_by, type FROM signal_events WHERE id = 'e1'").first<Record<string, unknown>>();
    expect(row).toMatchObject({ subject: "ann@acme.example", occurred_at: utc, source: "hubspot", type: "email_click" });
    expect(row!.ingested_at).toBeGreaterThan(Date.now() - 60_000);
    expect(String(row!.ingested_by)).toMatch(/^tok_/);
  });

  it("stores a duplicate event id once, within a batch and across batches", async () => {
    const at = iso(HOUR);
    const first = (await (await postEvents({ events: [click("d1", undefined, at), click("d2", undefined, at), click("d1", undefined, at)] }, token)).json()) as Ingested;
    expect(first.stored).toBe(2);
    expect(first.duplicates).toEqual(["d1"]);
    const again = await postEvents({ events: [click("d2", undefined, at), click("d3", undefined, at)] }, token);
    expect(again.status).toBe(201);
    expect(((await again.json()) as Ingested).duplicates).toEqual(["d2"]);
    const replay = await postEvents({ events: [click("d3", undefined, at)] }, token);
    expect(replay.status).toBe(200);
    expect(await count()).toBe(3);
  });

  it("refuses events outside the time window with a 422 naming each one, and stores none of the batch", async () => {
    const res = await postEvents({ events: [click("ok"), click("old", undefined, iso(91 * DAY)), click("future", undefined, iso(-HOUR))] }, token);
    expect(res.status).toBe(422);
    const { error } = (await res.json()) as ErrorJson;
    expect(error.code).toBe("validation_failed");
    expect(error.message).toContain("events.1.occurredAt");
    expect(error.message).toContain("older than 90 days");
    expect(error.message).toContain("events.2.occurredAt");
    expect(error.message).toContain("in the future");
    expect(await count()).toBe(0);
  });

  it("accepts an event a few minutes ahead (clock skew) and one 89 days old", async () => {
    const res = await postEvents({ events: [click("skew", undefined, iso(-2 * 60_000)), click("old", undefined, iso(89 * DAY))] }, token);
    expect(res.status).toBe(201);
    expect(await count()).toBe(2);
  });

  const bad: [string, unknown, RegExp][] = [
    ["an unknown type", { ...click("x"), type: "telepathy" }, /events\.0\.type/],
    ["no subject", { ...click("x"), subject: {} }, /events\.0\.subject/],
    ["a subject with both email and domain", { ...click("x"), subject: { email: "a@b.example", domain: "b.example" } }, /events\.0\.subject/],
    ["a timestamp without an offset", { ...click("x"), occurredAt: "2026-11-25T09:30:00" }, /events\.0\.occurredAt/],
    ["a seats event without a number of seats", { ...click("x"), type: "seats", properties: { seats: "many" } }, /events\.0\.properties\.seats/],
    ["a CRM update about a person", { ...click("x"), type: "account_arr", properties: { arr: 1000 } }, /events\.0\.subject/],
    ["a nested property", { ...click("x"), properties: { a: { b: 1 } } }, /events\.0\.properties\.a/],
    ["no source", { ...click("x"), source: "" }, /events\.0\.source/],
  ];
  for (const [name, event, field] of bad) {
    it(`refuses ${name} with a 422 naming the field`, async () => {
      const res = await postEvents({ events: [click("fine"), event] }, token);
      expect(res.status).toBe(422);
      expect(((await res.json()) as ErrorJson).error.message.replace("events.1", "events.0")).toMatch(field);
      expect(await count()).toBe(0);
    });
  }

  it("refuses an empty batch and one over 500 events", async () => {
    expect((await postEvents({ events: [] }, token)).status).toBe(422);
    const many = Array.from({ length: 501 }, (_, i) => click(`m${i}`));
    expect((await postEvents({ events: many }, token)).status).toBe(422);
  });

  it("takes a batch of 500 events in one request", async () => {
    const many = Array.from({ length: 500 }, (_, i) => ({ ...click(`m${i}`, `p${i % 50}@acme.example`), type: "page_view", properties: { url: `/pricing/${i}` } }));
    const res = await postEvents({ events: many }, token);
    expect(res.status).toBe(201);
    expect(((await res.json()) as Ingested).stored).toBe(500);
    expect(await count()).toBe(500);
  });

  it("answers bad JSON with 400 and a wrong content type with 415", async () => {
    expect((await call("/v1/events", { method: "POST", headers: json(token), body: "{nope" })).status).toBe(400);
    expect((await call("/v1/events", { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "text/plain" }, body: "{}" })).status).toBe(415);
  });
});

describe("who may post events", () => {
  it("needs a token with events:write", async () => {
    expect((await call("/v1/events", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status).toBe(401);
    expect((await postEvents({ events: [click("a")] }, TOKENS.crm)).status).toBe(403);
  });

  it("keeps a team-bound token to its own team, and makes an admin token name the team", async () => {
    expect((await postEvents({ teamId: "other", events: [click("a")] }, token)).status).toBe(403);
    const res = await postEvents({ events: [click("a")] }, TOKENS.admin);
    expect(res.status).toBe(422);
    expect(((await res.json()) as ErrorJson).error.message).toMatch(/teamId/);
    expect((await postEvents({ teamId: "demo", events: [click("a")] }, TOKENS.admin)).status).toBe(201);
    expect((await postEvents({ teamId: "nobody", events: [click("b")] }, TOKENS.admin)).status).toBe(422);
  });

  it("keeps the same event id of two teams apart", async () => {
    await call("/v1/admin/teams/other", { method: "PUT", headers: json(TOKENS.admin), body: JSON.stringify({ name: "Other" }) });
    const other = await eventsToken("other");
    expect((await postEvents({ events: [click("same")] }, token)).status).toBe(201);
    expect((await postEvents({ events: [click("same")] }, other)).status).toBe(201);
    expect(await count()).toBe(2);
  });
});

describe("account join", () => {
  it("files a person's event under the most specific known account of their domain, never under a free-mail domain", async () => {
    await call("/v1/admin/accounts/acme.example", { method: "PUT", headers: json(TOKENS.admin), body: JSON.stringify({ name: "Acme", teamId: "demo" }) });
    await postEvents({ events: [click("a", "bob@eu.acme.example"), click("b", "carol@gmail.com"), click("c", "dan@unknown.example"), { id: "d", type: "account_arr", subject: { domain: "WWW.Acme.example" }, occurredAt: iso(HOUR), properties: { arr: 50_000 }, source: "salesforce" }] }, token);
    const rows = await env.DB.prepare("SELECT id, subject_type, domain FROM signal_events ORDER BY id").all();
    expect(rows.results).toEqual([
      { id: "a", subject_type: "email", domain: "acme.example" },
      { id: "b", subject_type: "email", domain: null },
      { id: "c", subject_type: "email", domain: "unknown.example" },
      { id: "d", subject_type: "domain", domain: "acme.example" },
    ]);
  });
});

describe("CRM owner changes", () => {
  it("move a known account to its new owner (the newest change wins), so owner-first routing follows", async () => {
    await call("/v1/admin/accounts/acme.example", { method: "PUT", headers: json(TOKENS.admin), body: JSON.stringify({ name: "Acme", teamId: "demo", ownerRepId: "rep_ada" }) });
    const owner = (id: string, rep: string, ago: number) => ({ id, type: "owner_change", subject: { domain: "acme.example" }, occurredAt: iso(ago), properties: { ownerRepId: rep }, source: "salesforce" });
    const first = (await (await postEvents({ events: [owner("o1", "rep_grace", HOUR)] }, token)).json()) as { ownersChanged: string[] };
    expect(first.ownersChanged).toEqual(["acme.example"]);
    const late = (await (await postEvents({ events: [owner("o0", "rep_alan", 2 * HOUR)] }, token)).json()) as { ownersChanged: string[] };
    expect(late.ownersChanged).toEqual([]);
    expect(await env.DB.prepare("SELECT owner_rep_id FROM accounts WHERE domain = 'acme.example'").first("owner_rep_id")).toBe("rep_grace");
    const audit = await env.DB.prepare("SELECT action, entity_id, before, after FROM audit_log WHERE action = 'account.owner_change'").all<Record<string, string>>();
    expect(audit.results.map((r) => [r.entity_id, JSON.parse(r.before!), JSON.parse(r.after!)])).toEqual([["acme.example", { ownerRepId: "rep_ada" }, { ownerRepId: "rep_grace" }]]);
    const lead = (await (await postLead({ ...HOT_LEAD, email: "buyer@acme.example" })).json()) as { decision: { repId: string; reason: string } };
    expect(lead.decision.repId).toBe("rep_grace");
    expect(lead.decision.reason).toContain("owner stage");
  });

  it("leave an unknown account alone", async () => {
    const res = await postEvents({ events: [{ id: "o", type: "owner_change", subject: { domain: "nobody.example" }, occurredAt: iso(HOUR), properties: { ownerRepId: "rep_ada" }, source: "salesforce" }] }, token);
    expect(((await res.json()) as { ownersChanged: string[] }).ownersChanged).toEqual([]);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM accounts").first("n")).toBe(0);
  });
});

describe("API document", () => {
  it("describes the signal, review, reassignment and KPI endpoints", async () => {
    const doc = (await (await call("/openapi.json")).json()) as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { required?: string[] } }> } }>> };
    expect(doc.paths["/v1/events"]!.post!.requestBody!.content["application/json"]!.schema.required).toEqual(["events"]);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/v1/reviews", "/v1/reviews/{id}/override", "/v1/admin/leads/{id}/reassign", "/v1/reports/kpis"]));
  });
});
