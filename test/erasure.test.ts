import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../src/lib/hashing.ts";
import { call, HOT_LEAD, postLead, type ErrorJson } from "./helpers.ts";
import { adminCall, modelVariant, uploadModel } from "./governance-helpers.ts";
import { TOKENS } from "./setup.ts";
import { eventsToken, HOUR, iso, postEvents } from "./signal-helpers.ts";

const EMAIL = "zelda.quixote@bigcorp.example";
const NAME = "Zelda Quixote";
const PERSON = { ...HOT_LEAD, email: EMAIL, name: NAME, phone: "+44 20 7946 0000", message: `Hi, ${NAME} here` };

type Posted = { lead: { id: string }; decision: { id: string; repId: string; tier: string; probability: number; policyVersion: number; model: { name: string; version: string } } };

/** Every row of every table (sqlite_master), as text: what the erasure test searches. */
async function dumpAllTables(): Promise<Record<string, string>> {
  const { results } = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'").all<{ name: string }>();
  const out: Record<string, string> = {};
  for (const { name } of results) out[name] = JSON.stringify((await env.DB.prepare(`SELECT * FROM "${name}"`).all()).results).toLowerCase();
  return out;
}

/** Every object in R2, as text. */
async function dumpR2(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const listed = await env.MODELS.list();
  for (const o of listed.objects) out[o.key] = (await (await env.MODELS.get(o.key))!.text()).toLowerCase();
  return out;
}

const erase = (email = EMAIL, token: string = TOKENS.admin) =>
  call("/v1/admin/erasures", { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ email, reason: "subject access request #42" }) });

/** The person everywhere the router stores them: a lead (with an idempotency key), a repeat, an event, a CRM note, an audit reason, a model manifest. */
async function seedPerson(): Promise<Posted> {
  const posted = (await (await postLead(PERSON, { "idempotency-key": "zelda-1" })).json()) as Posted;
  expect((await postLead({ ...PERSON, message: "again" })).status).toBe(200);
  expect((await postEvents({ events: [{ id: "z1", type: "email_click", subject: { email: EMAIL }, occurredAt: iso(HOUR), properties: { who: NAME }, source: "hubspot" }] }, await eventsToken())).status).toBeLessThan(300);
  await call(`/v1/assignments/${posted.decision.id}/accept`, { method: "POST", headers: { authorization: `Bearer ${TOKENS.crm}`, "content-type": "application/json" }, body: JSON.stringify({ note: `called ${NAME} at ${EMAIL}` }) });
  const other = posted.decision.repId === "rep_ada" ? "rep_grace" : "rep_ada";
  expect((await adminCall(`/v1/admin/leads/${posted.lead.id}/reassign`, "POST", { repId: other, reason: `${NAME} prefers ${other}` })).status).toBe(200);
  // A webhook delivery that carried the lead (as the fan-out writes it).
  await env.DB.prepare("INSERT INTO webhook_deliveries (id, subscription_id, team_id, event_id, event_type, body, status, updated_at) VALUES ('whd_z', 'whs_z', 'demo', 'evt_z', 'decision.assigned', ?, 'delivered', ?)")
    .bind(JSON.stringify({ id: "whd_z", type: "decision.assigned", data: { lead: { id: posted.lead.id, email: EMAIL, company: "BigCorp" }, text: `*New lead*: BigCorp (${EMAIL}) ${NAME}` } }), Date.now())
    .run();
  // A model whose golden rows quote the person (as a trainer's sample might).
  const v = modelVariant("2.0.0", { method: "none" });
  const golden = [{ ...v.manifest.golden[0]!, payload: { ...v.manifest.golden[0]!.payload, email: EMAIL, name: NAME } }, ...v.manifest.golden.slice(1)];
  expect((await uploadModel({ bytes: v.bytes, manifest: { ...v.manifest, golden } })).status).toBe(201);
  return posted;
}

const mentions = (dump: Record<string, string>) => Object.entries(dump).filter(([, text]) => text.includes(EMAIL) || text.includes(NAME.toLowerCase())).map(([k]) => k);

describe("erasure of a person by email", () => {
  it("leaves the email and the name in no table of D1 and no object of R2", async () => {
    await seedPerson();
    expect(mentions(await dumpAllTables()).sort()).toEqual(expect.arrayContaining(["leads", "submissions", "signal_events", "decisions", "audit_log", "models", "webhook_deliveries"]));
    const res = await erase();
    expect(res.status).toBe(200);
    expect(mentions(await dumpAllTables())).toEqual([]);
    expect(mentions(await dumpR2())).toEqual([]);
  });

  it("leaves the person out of the training export", async () => {
    const posted = await seedPerson();
    await call("/v1/outcomes", { method: "POST", headers: { authorization: `Bearer ${TOKENS.crm}`, "content-type": "application/json" }, body: JSON.stringify({ id: "o-z", leadId: posted.lead.id, type: "won", amount: 1000, occurredAt: new Date().toISOString() }) });
    const exported = async () => (await (await call("/v1/exports/training", { headers: { authorization: `Bearer ${TOKENS.admin}` } })).text()).toLowerCase();
    expect(await exported()).toContain(EMAIL);
    await erase();
    const after = await exported();
    expect(after).not.toContain(EMAIL);
    expect(after).not.toContain(NAME.toLowerCase());
  });

  it("keeps the decision's non-personal lineage: model, policy, probability, tier and rep", async () => {
    const posted = await seedPerson();
    await erase();
    const res = await call(`/v1/decisions/${posted.decision.id}`, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
    const d = (await res.json()) as { modelName: string; modelVersion: string; policyVersion: number; probability: number; tier: string; repId: string; lineage: { candidates: unknown[]; inputHash: string } };
    expect(d).toMatchObject({ modelName: posted.decision.model.name, modelVersion: posted.decision.model.version, policyVersion: posted.decision.policyVersion, probability: posted.decision.probability, tier: posted.decision.tier, repId: posted.decision.repId });
    expect(d.lineage.candidates.length).toBeGreaterThan(0);
    expect(d.lineage.inputHash).toBe("masked");
  });

  it("keeps the lead's non-personal fields and marks it erased", async () => {
    const posted = await seedPerson();
    await erase();
    const row = await env.DB.prepare("SELECT email, payload, masked_by FROM leads WHERE id = ?").bind(posted.lead.id).first<{ email: string; payload: string; masked_by: string }>();
    expect(row!.email).toBe("");
    expect(JSON.parse(row!.payload)).toEqual({ employees: 5000, industry: "software", country: "US", source: "referral", pages_viewed: 25, demo_requested: true, masked: true });
    expect(row!.masked_by).toBe("erasure");
  });

  it("records who erased, when and a hash of the email, never the email", async () => {
    await seedPerson();
    await erase();
    const row = await env.DB.prepare("SELECT actor, entity_type, entity_id, reason, created_at AS at FROM audit_log WHERE action = 'person.erase'").first<Record<string, unknown>>();
    expect(row).toMatchObject({ actor: "admin", entity_type: "person", entity_id: `sha256:${await sha256Hex(EMAIL)}`, reason: "subject access request #42" });
    expect(row!.at).toBeTypeOf("number");
  });

  it("answers a replay of the erased lead's decision with 410 saying it was erased", async () => {
    const posted = await seedPerson();
    await erase();
    const res = await call(`/v1/decisions/${posted.decision.id}/replay`, { method: "POST", headers: { authorization: `Bearer ${TOKENS.admin}` } });
    expect(res.status).toBe(410);
    const body = (await res.json()) as ErrorJson;
    expect(body.error.code).toBe("gone");
    expect(body.error.message).toMatch(/erased/);
  });

  it("is idempotent: a second erasure changes nothing and says when the first was", async () => {
    await seedPerson();
    const first = (await (await erase()).json()) as { leads: number; previouslyErasedAt: string | null };
    const { audit_log: _a, ...before } = await dumpAllTables();
    const second = await erase("Zelda.Quixote@BigCorp.example");
    expect(second.status).toBe(200);
    const body = (await second.json()) as { leads: number; previouslyErasedAt: string | null };
    const { audit_log: _b, ...after } = await dumpAllTables();
    expect(first).toMatchObject({ leads: 1, previouslyErasedAt: null });
    expect(body.leads).toBe(0);
    expect(body.previouslyErasedAt).not.toBeNull();
    expect(after).toEqual(before);
  });

  it("leaves other people's leads untouched", async () => {
    await seedPerson();
    const other = (await (await postLead({ ...HOT_LEAD, email: "someone.else@bigcorp.example", name: "Someone Else" })).json()) as Posted;
    await erase();
    const row = await env.DB.prepare("SELECT email, masked_at FROM leads WHERE id = ?").bind(other.lead.id).first();
    expect(row).toEqual({ email: "someone.else@bigcorp.example", masked_at: null });
  });

  it("writes nothing the router logs with the email or the name", async () => {
    await seedPerson();
    const seen: string[] = [];
    const original = { log: console.log, error: console.error, warn: console.warn, info: console.info };
    for (const k of Object.keys(original) as (keyof typeof original)[]) console[k] = (...args: unknown[]) => void seen.push(args.map(String).join(" "));
    try {
      await erase();
      await postLead({ ...HOT_LEAD, email: "after@bigcorp.example" });
    } finally {
      Object.assign(console, original);
    }
    expect(seen.filter((s) => s.toLowerCase().includes(EMAIL) || s.includes(NAME))).toEqual([]);
  });

  it("refuses a team-bound token", async () => {
    const res = await call("/v1/admin/tokens", { method: "POST", headers: { authorization: `Bearer ${TOKENS.admin}`, "content-type": "application/json" }, body: JSON.stringify({ name: "team admin", scopes: ["admin"], teamId: "demo" }) });
    const { secret } = (await res.json()) as { secret: string };
    expect((await erase(EMAIL, secret)).status).toBe(403);
  });

  it("refuses a request without a valid email with 422", async () => {
    const res = await erase("not-an-email");
    expect(res.status).toBe(422);
    expect(((await res.json()) as ErrorJson).error.code).toBe("validation_failed");
  });
});
