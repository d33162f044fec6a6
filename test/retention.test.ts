import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index.ts";
import { applyRetention } from "../src/privacy/retention.ts";
import { call, HOT_LEAD, postLead, uniqueEmail, type ErrorJson } from "./helpers.ts";
import { adminCall } from "./governance-helpers.ts";
import { TOKENS } from "./setup.ts";
import { eventsToken, iso, postEvents } from "./signal-helpers.ts";

const DAY = 86_400_000;
type Posted = { lead: { id: string }; decision: { id: string; model: { name: string; version: string }; tier: string } };

async function leadAged(days: number, name = "Old Person"): Promise<Posted & { email: string }> {
  const email = uniqueEmail("old");
  const posted = (await (await postLead({ ...HOT_LEAD, email, name })).json()) as Posted;
  await env.DB.prepare("UPDATE leads SET received_at = ? WHERE id = ?").bind(Date.now() - days * DAY, posted.lead.id).run();
  return { ...posted, email };
}

const setRetention = (days: number | null) => adminCall("/v1/admin/teams/demo", "PUT", { name: "Demo inbound team", retentionDays: days });

const leadRow = (id: string) => env.DB.prepare("SELECT email, payload, masked_by FROM leads WHERE id = ?").bind(id).first<{ email: string; payload: string; masked_by: string | null }>();

describe("retention", () => {
  it("masks the personal fields of a team's leads older than its setting", async () => {
    expect((await setRetention(30)).status).toBe(200);
    const old = await leadAged(40);
    const row = (await applyRetention(env), await leadRow(old.lead.id))!;
    expect(row.email).toBe("");
    expect(row.masked_by).toBe("retention");
    expect(JSON.parse(row.payload)).not.toHaveProperty("name");
    expect(JSON.stringify(row)).not.toContain(old.email);
  });

  it("leaves leads younger than the setting untouched", async () => {
    await setRetention(30);
    const young = await leadAged(10);
    await applyRetention(env);
    expect((await leadRow(young.lead.id))!.email).toBe(young.email);
  });

  it("keeps the counts and the decision's model lineage", async () => {
    await setRetention(30);
    const old = await leadAged(40);
    const count = async () => (await env.DB.prepare("SELECT (SELECT count(*) FROM leads) + (SELECT count(*) FROM decisions) + (SELECT count(*) FROM lineage) AS n").first("n")) as number;
    const before = await count();
    await applyRetention(env);
    expect(await count()).toBe(before);
    const d = await env.DB.prepare("SELECT model_name, model_version, tier FROM decisions WHERE id = ?").bind(old.decision.id).first();
    expect(d).toEqual({ model_name: old.decision.model.name, model_version: old.decision.model.version, tier: old.decision.tier });
  });

  it("masks nothing for a team without a retention setting", async () => {
    const old = await leadAged(4_000);
    expect(await applyRetention(env)).toEqual({ masked: 0, teams: 0 });
    expect((await leadRow(old.lead.id))!.email).toBe(old.email);
  });

  it("deletes the team's email-keyed signal events older than the setting", async () => {
    await setRetention(30);
    const token = await eventsToken();
    const event = (id: string, daysAgo: number) => ({ id, type: "email_click", subject: { email: "ev@bigcorp.example" }, occurredAt: iso(daysAgo * DAY), properties: {}, source: "hubspot" });
    await postEvents({ events: [event("old", 40), event("new", 1)] }, token);
    await applyRetention(env);
    const ids = (await env.DB.prepare("SELECT id FROM signal_events ORDER BY id").all<{ id: string }>()).results.map((r) => r.id);
    expect(ids).toEqual(["new"]);
  });

  it("masks the team's webhook delivery bodies older than the setting", async () => {
    await setRetention(30);
    const insert = (id: string, daysAgo: number) =>
      env.DB.prepare("INSERT INTO webhook_deliveries (id, subscription_id, team_id, event_id, event_type, body, status, created_at, updated_at) VALUES (?, 'whs', 'demo', ?, 'decision.assigned', ?, 'delivered', ?, ?)")
        .bind(id, `evt_${id}`, JSON.stringify({ lead: { email: `${id}@bigcorp.example` } }), Date.now() - daysAgo * DAY, Date.now())
        .run();
    await insert("old", 40);
    await insert("new", 1);
    await applyRetention(env);
    const rows = (await env.DB.prepare("SELECT id, body, status FROM webhook_deliveries ORDER BY id").all()).results;
    expect(rows).toEqual([
      { id: "new", body: JSON.stringify({ lead: { email: "new@bigcorp.example" } }), status: "delivered" },
      { id: "old", body: JSON.stringify({ masked: true }), status: "delivered" },
    ]);
  });

  it("runs from the cron trigger", async () => {
    await setRetention(30);
    const old = await leadAged(40);
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect((await leadRow(old.lead.id))!.masked_by).toBe("retention");
  });

  it("answers a replay of a masked lead with 410 naming the retention policy", async () => {
    await setRetention(30);
    const old = await leadAged(40);
    await applyRetention(env);
    const res = await call(`/v1/decisions/${old.decision.id}/replay`, { method: "POST", headers: { authorization: `Bearer ${TOKENS.admin}` } });
    expect(res.status).toBe(410);
    expect(((await res.json()) as ErrorJson).error.message).toMatch(/retention/);
  });

  it("refuses a retention of zero days with 422", async () => {
    expect((await setRetention(0)).status).toBe(422);
  });
});
