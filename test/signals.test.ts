import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { getDb } from "../src/db/client.ts";
import { assumptionChecks } from "../src/db/schema-signals.ts";
import { insertEvents } from "../src/db/signals.ts";
import { isFailedNoEventsCheck, noEventsCheck, teamHasEvents } from "../src/signals/team-events.ts";
import { cachedAccountContexts } from "../src/routing/facts-cache.ts";
import { computeSignals, type SignalEvent } from "../src/signals/aggregates.ts";
import { loadLeadSignals, loadSignals } from "../src/signals/load-signals.ts";
import { featureInput, signalColumns } from "../src/signals/feature-input.ts";
import { computeFeatures } from "../src/scoring/features.ts";
import type { FeatureSpec } from "../src/scoring/manifest.ts";
import { call, HOT_LEAD, postLead } from "./helpers.ts";
import { defaultModel, TOKENS } from "./setup.ts";
import { activateLinearModel, DAY, DEMO_SIGNAL_FEATURES, eventsToken, HOUR, iso, json, postEvents } from "./signal-helpers.ts";

const NOW = Date.parse("2026-11-20T12:00:00Z");
const ev = (id: string, type: string, hoursAgo: number, properties: Record<string, unknown> = {}, ingestedHoursAgo = hoursAgo): SignalEvent => ({ id, type, occurredAt: NOW - hoursAgo * HOUR, ingestedAt: NOW - ingestedHoursAgo * HOUR, properties });
const signals = (leadEvents: SignalEvent[], accountEvents: SignalEvent[] = [], receivedHoursAgo = 100) =>
  computeSignals({ leadEvents, accountEvents, accountDomain: "acme.example", account: null, leadReceivedAt: NOW - receivedHoursAgo * HOUR, asOf: NOW });

describe("signal aggregates (pure)", () => {
  it("counts each type over 1, 7 and 30 days and knows the days since the last one", () => {
    const s = signals([ev("a", "page_view", 2), ev("b", "page_view", 50), ev("c", "page_view", 24 * 20), ev("d", "page_view", 24 * 40), ev("e", "demo_request", 30)]);
    // Durations are rounded to 1e-6, so training and serving agree to the digit.
    expect(s.values.events.page_view).toEqual({ count_1d: 1, count_7d: 2, count_30d: 3, days_since_last: 0.083333 });
    expect(s.values.events.any).toMatchObject({ count_1d: 1, count_7d: 3, count_30d: 4 });
    expect(s.values.events.demo_request).toEqual({ count_1d: 0, count_7d: 1, count_30d: 1, days_since_last: 1.25 });
    expect(s.sources["events.page_view.count_7d"]).toEqual(["b", "a"]);
    expect(s.values.events.webinar).toBeUndefined();
  });

  it("ignores events that had not happened or had not been ingested at the point in time", () => {
    const s = signals([ev("past", "demo_request", 5), ev("late", "demo_request", 5, {}, -1), ev("future", "demo_request", -2)]);
    expect(s.values.events.demo_request).toMatchObject({ count_1d: 1 });
    expect(s.sources["events.demo_request.count_1d"]).toEqual(["past"]);
  });

  it("measures time to first interaction and response latency", () => {
    const s = signals([ev("before", "page_view", 60), ev("open", "email_open", 40), ev("click", "email_click", 37)], [], 48);
    expect(s.values.events.hours_to_first_interaction).toBe(8);
    expect(s.values.events.response_latency_hours).toBe(3);
    expect(s.sources["events.response_latency_hours"]).toEqual(["open", "click"]);
  });

  it("takes account context from the account row, overridden by the latest CRM update", () => {
    const s = computeSignals({
      leadEvents: [],
      accountEvents: [ev("arr1", "account_arr", 48, { arr: 10_000 }), ev("arr2", "account_arr", 5, { arr: 80_000 }), ev("seats", "seats", 3, { seats: 40 })],
      accountDomain: "acme.example",
      account: { domain: "acme.example", industry: "retail", employees: 900, arr: 5_000, territoryId: "emea", ownerRepId: "rep_ada", strategic: false },
      leadReceivedAt: NOW,
      asOf: NOW,
    });
    expect(s.values.account).toMatchObject({ known: true, industry: "retail", employees: 900, arr: 80_000, territory: "emea", owner: "rep_ada" });
    expect(s.sources["account.arr"]).toEqual(["arr2"]);
    expect(s.sources["account.industry"]).toEqual(["account:acme.example"]);
    expect((s.values.account.events as Record<string, unknown>).seats_latest).toBe(40);
  });
});

type Lineage = { vector: number[]; features: Record<string, number>; provenance: { asOf: number; features: Record<string, { from: string; refs?: string[]; value: unknown; raw?: unknown }> } };
const decisionOf = async (id: string) => (await (await call(`/v1/decisions/${id}`, { headers: json(TOKENS.admin) })).json()) as { lineage: Lineage; outcome: string };

describe("signals as flat CSV columns (the training export's shape)", () => {
  const demoSignals = () => signals([ev("a", "demo_request", 48), ev("b", "demo_request", 24 * 20)]);
  const specs = [...DEMO_SIGNAL_FEATURES, { name: "demo_30d", source: "events.demo_request.count_30d", type: "number" as const, transform: "none" as const, default: 0 }];

  it("gives the trainer the same feature vector from flat columns as live scoring from nested signals", () => {
    const form = { email: "csv@acme.example", employees: 42 };
    const live = computeFeatures(specs, featureInput(form, demoSignals()));
    const columns = signalColumns(demoSignals().values);
    expect(columns["events.demo_request.count_7d"]).toBe(1);
    // A CSV cell arrives as text; the feature code parses it the same way.
    const csvRow = Object.fromEntries(Object.entries({ ...form, ...columns }).map(([k, v]) => [k, v === null || v === undefined ? "" : String(v)]));
    expect(computeFeatures(specs, csvRow)).toEqual(live);
    expect(Array.from(live)).toEqual([1, 42, 2]);
  });

  it("never lets a form field spelled like a signal path stand in for the signal", () => {
    const forged = { email: "x@acme.example", employees: 42, "events.demo_request.count_7d": 99 };
    expect(computeFeatures(specs, featureInput(forged, demoSignals()))[0]).toBe(1);
    expect(computeFeatures(specs, featureInput(forged, null))[0]).toBe(0);
  });
});

describe("features from signals in live scoring", () => {
  it("traces a feature value back to the events that produced it, and a form feature to its field", async () => {
    await activateLinearModel(DEMO_SIGNAL_FEATURES, [4, 0], -3);
    const token = await eventsToken();
    const email = "trace@acme.example";
    await postEvents({ events: [
      { id: "demo-1", type: "demo_request", subject: { email }, occurredAt: iso(2 * DAY), source: "hubspot" },
      { id: "demo-old", type: "demo_request", subject: { email }, occurredAt: iso(10 * DAY), source: "hubspot" },
      { id: "view-1", type: "page_view", subject: { email }, occurredAt: iso(HOUR), source: "segment" },
      { id: "other", type: "demo_request", subject: { email: "someone@acme.example" }, occurredAt: iso(HOUR), source: "hubspot" },
    ] }, token);
    const { decision } = (await (await postLead({ email, employees: 42 })).json()) as { decision: { id: string; probability: number } };
    expect(decision.probability).toBeCloseTo(1 / (1 + Math.exp(-1)), 5);
    const { lineage } = await decisionOf(decision.id);
    expect(lineage.features.demo_7d).toBe(1);
    expect(lineage.provenance.features.demo_7d).toMatchObject({ from: "signals", value: 1, refs: ["demo-1"] });
    expect(lineage.provenance.features.employees).toMatchObject({ from: "form", value: 42 });
    // The raw form value stays in the lead's payload only (personal data is not copied into lineage).
    expect(lineage.provenance.features.employees).not.toHaveProperty("raw");
    const row = await env.DB.prepare("SELECT source, ingested_at FROM signal_events WHERE id = ?").bind(lineage.provenance.features.demo_7d!.refs![0]).first<{ source: string; ingested_at: number }>();
    expect(row!.source).toBe("hubspot");
    expect(row!.ingested_at).toBeLessThanOrEqual(lineage.provenance.asOf);
  });

  it("scores a form-only model exactly as before, events or not", async () => {
    const formOnly: FeatureSpec[] = [
      { name: "employees", source: "employees", type: "number", transform: "log1p", default: 10 },
      { name: "demo", source: "demo_requested", type: "boolean", transform: "none", default: false },
    ];
    await activateLinearModel(formOnly, [0.3, 2], -3, "form-only");
    const token = await eventsToken();
    const email = "same@bigcorp.example";
    await postEvents({ events: [{ id: "x", type: "demo_request", subject: { email }, occurredAt: iso(HOUR), source: "hubspot" }] }, token);
    const { decision } = (await (await postLead({ ...HOT_LEAD, email, demo_requested: false })).json()) as { decision: { id: string } };
    const { lineage } = await decisionOf(decision.id);
    const expected = Array.from(computeFeatures(formOnly, { ...HOT_LEAD, email, demo_requested: false }));
    expect(lineage.vector).toEqual(expected);
    expect(Object.values(lineage.provenance.features).every((p) => p.from === "form")).toBe(true);
  });
});

describe("account context in live scoring", () => {
  it("joins a lead to its account by email domain, and never a free-mail lead", async () => {
    await activateLinearModel(
      [
        { name: "known", source: "account.known", type: "boolean", transform: "none", default: false },
        { name: "arr", source: "account.arr", type: "number", transform: "log1p", default: 0 },
        { name: "industry", source: "account.industry", type: "category", transform: "lower", categories: ["retail", "software"], default: "" },
      ],
      [0.5, 0.1, 0.2, 0.3],
      -2,
    );
    // An account's territory must be one of its team's.
    await call("/v1/admin/territories/emea", { method: "PUT", headers: json(TOKENS.admin), body: JSON.stringify({ name: "EMEA", teamId: "demo" }) });
    const put = await call("/v1/admin/accounts/acme.example", { method: "PUT", headers: json(TOKENS.admin), body: JSON.stringify({ name: "Acme", teamId: "demo", industry: "Retail", arr: 99_000, territoryId: "emea" }) });
    expect(put.status).toBe(201);
    await call("/v1/admin/accounts/gmail.com", { method: "PUT", headers: json(TOKENS.admin), body: JSON.stringify({ name: "Not an account", teamId: "demo", arr: 1 }) });
    const features = async (email: string) => {
      const { decision } = (await (await postLead({ email })).json()) as { decision: { id: string } };
      return (await decisionOf(decision.id)).lineage;
    };
    const joined = await features("eve@eu.acme.example");
    expect(joined.features).toMatchObject({ known: 1, "industry=retail": 1, "industry=software": 0 });
    expect(joined.features.arr).toBeCloseTo(Math.log1p(99_000), 4);
    expect(joined.provenance.features.arr).toMatchObject({ from: "signals", refs: ["account:acme.example"] });
    const free = await features("eve@gmail.com");
    expect(free.features).toMatchObject({ known: 0, arr: 0, "industry=retail": 0 });
  });

  it("refuses bad account context with 422", async () => {
    const res = await call("/v1/admin/accounts/acme.example", { method: "PUT", headers: json(TOKENS.admin), body: JSON.stringify({ name: "Acme", teamId: "demo", arr: -5 }) });
    expect(res.status).toBe(422);
  });
});

describe("signals read from a D1 read replica (Sessions API)", () => {
  it("answers an events post with a bookmark; a lead sent with it, or with a malformed one, is scored on those events", async () => {
    await activateLinearModel(DEMO_SIGNAL_FEATURES, [4, 0], -3);
    const token = await eventsToken();
    const emails = ["bm-a@acme.example", "bm-b@acme.example", "bm-c@acme.example"];
    const res = await postEvents({ events: emails.map((email, i) => ({ id: `bm-${i}`, type: "demo_request", subject: { email }, occurredAt: iso(HOUR), source: "hubspot" })) }, token);
    const bookmark = res.headers.get("x-d1-bookmark");
    expect(bookmark).toMatch(/^[0-9a-f]+(-[0-9a-f]+)+$/i);
    const bookmarks = [bookmark!, "not a bookmark", "ffffffff-ffffffff-ffffffff-ffffffff"];
    for (const [i, email] of emails.entries()) {
      const posted = await postLead({ email, employees: 7 }, { "x-d1-bookmark": bookmarks[i]! });
      expect(posted.status).toBe(201);
      const { decision } = (await posted.json()) as { decision: { id: string; mode: string } };
      expect(decision.mode).toBe("model");
      const { lineage } = await decisionOf(decision.id);
      expect(lineage.provenance.features.demo_7d).toMatchObject({ from: "signals", value: 1, refs: [`bm-${i}`] });
    }
  });
});

describe("replay of a decision scored on signals", () => {
  it("recomputes the same probability from the events ingested by then, whatever arrived later", async () => {
    await activateLinearModel(DEMO_SIGNAL_FEATURES, [4, 0], -3);
    const token = await eventsToken();
    const email = "replay@acme.example";
    await postEvents({ events: [{ id: "r1", type: "demo_request", subject: { email }, occurredAt: iso(HOUR), source: "hubspot" }] }, token);
    const { decision } = (await (await postLead({ email, employees: 10 })).json()) as { decision: { id: string } };
    await postEvents({ events: [{ id: "r2", type: "demo_request", subject: { email }, occurredAt: iso(0), source: "hubspot" }] }, token);
    const res = await call(`/v1/decisions/${decision.id}/replay`, { method: "POST", headers: { authorization: `Bearer ${TOKENS.admin}` } });
    expect(await res.json()).toMatchObject({ same: true, differences: [] });
  });
});

describe("training export", () => {
  it("gives the same features for a lead as live scoring did, even after later events", async () => {
    const manifest = await activateLinearModel(
      [...DEMO_SIGNAL_FEATURES, { name: "views_30d", source: "events.page_view.count_30d", type: "number", transform: "log1p", default: 0 }, { name: "acct_arr", source: "account.arr", type: "number", transform: "log1p", default: 0 }],
      [4, 0, 0.3, 0.1],
      -3,
    );
    await call("/v1/admin/accounts/acme.example", { method: "PUT", headers: json(TOKENS.admin), body: JSON.stringify({ name: "Acme", teamId: "demo" }) });
    const token = await eventsToken();
    const email = "parity@acme.example";
    await postEvents({ events: [
      { id: "v1", type: "page_view", subject: { email }, occurredAt: iso(3 * DAY), source: "segment" },
      { id: "v2", type: "page_view", subject: { email }, occurredAt: iso(HOUR), source: "segment" },
      { id: "arr", type: "account_arr", subject: { domain: "acme.example" }, occurredAt: iso(DAY), properties: { arr: 120_000 }, source: "salesforce" },
    ] }, token);
    const { lead, decision } = (await (await postLead({ email, employees: 300 })).json()) as { lead: { id: string }; decision: { id: string } };
    const live = (await decisionOf(decision.id)).lineage;
    expect(live.features.acct_arr).toBeCloseTo(Math.log1p(120_000), 4);
    // Events arriving after the decision must not change the lead's training row.
    await postEvents({ events: [{ id: "v3", type: "page_view", subject: { email }, occurredAt: iso(0), source: "segment" }, { id: "arr2", type: "account_arr", subject: { domain: "acme.example" }, occurredAt: iso(0), properties: { arr: 1 }, source: "salesforce" }] }, token);
    await call("/v1/outcomes", { method: "POST", headers: json(TOKENS.crm), body: JSON.stringify({ id: "o1", leadId: lead.id, type: "won", occurredAt: iso(0) }) });
    const page = (await (await call("/v1/exports/training", { headers: json(TOKENS.admin) })).json()) as { data: { leadId: string; fields: Record<string, unknown>; signals: { events: unknown; account: unknown } }[] };
    const row = page.data.find((r) => r.leadId === lead.id)!;
    const exported = Array.from(computeFeatures(manifest.features, featureInput(row.fields, { values: row.signals as never, sources: {} })));
    expect(exported).toEqual(live.vector);
    expect(exported[2]).toBeCloseTo(Math.log1p(2), 5);
  });
});

describe("the lead path's one-statement signals read", () => {
  it("gives what the batched read (replay, export) gives: own events, the account's by its most specific known domain, none for free-mail", async () => {
    await call("/v1/admin/accounts/acme.example", { method: "PUT", headers: json(TOKENS.admin), body: JSON.stringify({ name: "Acme", teamId: "demo", industry: "Retail", employees: 40, arr: 50_000 }) });
    const token = await eventsToken();
    const posted = await postEvents({ events: [
      { id: "one-1", type: "page_view", subject: { email: "one@eu.acme.example" }, occurredAt: iso(2 * HOUR), source: "segment" },
      { id: "one-2", type: "demo_request", subject: { email: "one@eu.acme.example" }, occurredAt: iso(3 * DAY), source: "segment" },
      { id: "one-old", type: "demo_request", subject: { email: "one@eu.acme.example" }, occurredAt: iso(80 * DAY), source: "segment" },
      { id: "one-acct", type: "page_view", subject: { domain: "acme.example" }, occurredAt: iso(DAY), source: "segment" },
      { id: "one-sub", type: "page_view", subject: { domain: "eu.acme.example" }, occurredAt: iso(DAY), source: "segment" },
      { id: "one-other", type: "page_view", subject: { email: "two@acme.example" }, occurredAt: iso(HOUR), source: "segment" },
      { id: "one-free", type: "demo_request", subject: { email: "one@gmail.com" }, occurredAt: iso(HOUR), source: "segment" },
    ] }, token);
    expect(posted.status, await posted.clone().text()).toBe(201);
    // Another team's events for the same people are never read.
    await call("/v1/admin/teams/other-signals", { method: "PUT", headers: json(TOKENS.admin), body: JSON.stringify({ name: "Other" }) });
    await postEvents({ events: [{ id: "one-1", type: "demo_request", subject: { email: "one@eu.acme.example" }, occurredAt: iso(HOUR), source: "segment" }] }, await eventsToken("other-signals"));
    const accounts = (await cachedAccountContexts(env, "demo"))!;
    expect(accounts.get("acme.example")).toMatchObject({ industry: "Retail", employees: 40, arr: 50_000 });
    for (const email of ["one@eu.acme.example", "two@acme.example", "one@gmail.com", "nobody@nowhere.example"]) {
      const subject = { leadId: `lead_${email}`, teamId: "demo", email, receivedAt: Date.now(), asOf: Date.now() };
      const one = await loadLeadSignals(env.DB, subject, accounts);
      const batched = (await loadSignals(getDb(env.DB), "demo", [subject])).get(subject.leadId)!;
      expect(one).toEqual(batched);
      if (email === "one@eu.acme.example") {
        expect(one.values.events).toMatchObject({ page_view: { count_1d: 1 }, demo_request: { count_7d: 1 } });
        expect(one.values.account).toMatchObject({ known: true, arr: 50_000 });
      }
    }
  });
});

describe("a team with no signal events", () => {
  it("decides its leads without reading events; one whose events came through another isolate is caught by the write's check and decided on them, with one hold", async () => {
    await activateLinearModel(DEMO_SIGNAL_FEATURES, [4, 0], -3);
    const first = (await (await postLead({ email: "quiet-1@acme.example", employees: 7 })).json()) as { decision: { id: string } };
    expect((await decisionOf(first.decision.id)).lineage.provenance.features.demo_7d).toMatchObject({ from: "signals", value: 0 });
    // Events stored behind this isolate's back (another isolate's POST /v1/events): its view still says none.
    const email = "quiet-2@acme.example";
    await insertEvents(getDb(env.DB), [{ teamId: "demo", id: "quiet-ev", subjectType: "email", subject: email, domain: "acme.example", type: "demo_request", occurredAt: Date.now() - HOUR, properties: {}, source: "hubspot", ingestedAt: Date.now() - HOUR, ingestedBy: "test" }]);
    expect(await teamHasEvents(env.DB, "demo")).toBe(false);
    const posted = await postLead({ email, employees: 7 });
    expect(posted.status).toBe(201);
    const { lead, decision } = (await posted.json()) as { lead: { id: string }; decision: { id: string; mode: string; repId: string | null } };
    expect(decision.mode).toBe("model");
    expect((await decisionOf(decision.id)).lineage.provenance.features.demo_7d).toMatchObject({ from: "signals", value: 1, refs: ["quiet-ev"] });
    // One stored lead, one decision (the checked batch left nothing), and its rep holds it once.
    const rows = await env.DB.prepare("SELECT (SELECT COUNT(*) FROM leads WHERE email = ?1) AS leads, (SELECT COUNT(*) FROM decisions WHERE lead_id = ?2) AS decisions").bind(email, lead.id).first<{ leads: number; decisions: number }>();
    expect(rows).toEqual({ leads: 1, decisions: 1 });
    expect(decision.repId).not.toBeNull();
    expect(await env.REP_CAPACITY.getByName(decision.repId!).holding([lead.id])).toEqual([lead.id]);
    // The failed check made this isolate read the team's events again.
    expect(await teamHasEvents(env.DB, "demo")).toBe(true);
  });

  it("proves the assumption in the write: the check fails its batch exactly when the lead or its account has events", async () => {
    const db = getDb(env.DB);
    const since = Date.now() - 90 * DAY;
    const check = (email: string, domains: string[]) => db.batch([db.insert(assumptionChecks).select(sql`SELECT NULL WHERE 0`), noEventsCheck(db, { teamId: "demo", email, since }, domains)]);
    await insertEvents(db, [
      { teamId: "demo", id: "chk-email", subjectType: "email", subject: "has@one.example", domain: "one.example", type: "page_view", occurredAt: Date.now() - DAY, properties: {}, source: "segment", ingestedAt: Date.now(), ingestedBy: "test" },
      { teamId: "demo", id: "chk-domain", subjectType: "domain", subject: "two.example", domain: "two.example", type: "page_view", occurredAt: Date.now() - DAY, properties: {}, source: "segment", ingestedAt: Date.now(), ingestedBy: "test" },
      { teamId: "other", id: "chk-other", subjectType: "email", subject: "none@three.example", domain: "three.example", type: "page_view", occurredAt: Date.now() - DAY, properties: {}, source: "segment", ingestedAt: Date.now(), ingestedBy: "test" },
    ]);
    await expect(check("none@three.example", ["three.example"])).resolves.toBeDefined();
    for (const [email, domains] of [["has@one.example", []], ["x@eu.two.example", ["eu.two.example", "two.example"]]] as const) {
      const err = await check(email, [...domains]).then(() => null, (e: unknown) => e);
      expect(isFailedNoEventsCheck(err), String(err)).toBe(true);
    }
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM assumption_checks").first<{ n: number }>())!.n).toBe(0);
  });
});
