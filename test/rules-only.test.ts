import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, HOT_LEAD, postLead, uniqueEmail, type ErrorJson } from "./helpers.ts";
import { admin } from "./trust-helpers.ts";

type Posted = { decision: { id: string; mode: string; probability: number | null; model: unknown; reason: string } };
const flip = (enabled: boolean, reason = "model under review after a pricing change", team = "demo") => admin(`/v1/admin/teams/${team}/rules-only`, "PUT", { enabled, reason });
const hot = async () => (await (await postLead({ ...HOT_LEAD, email: uniqueEmail() })).json()) as Posted;

describe("a team's rules-only switch", () => {
  it("routes the team's leads on rules alone while on, recording the switch as the fallback reason", async () => {
    expect((await flip(true)).status).toBe(200);
    const { decision } = await hot();
    expect(decision).toMatchObject({ mode: "rules", probability: null, model: null });
    expect(decision.reason).toContain("rules only");
    const fallback = await env.DB.prepare("SELECT fallback_reason FROM lineage WHERE decision_id = ?").bind(decision.id).first<string>("fallback_reason");
    expect(fallback).toContain("rules-only switch");
    expect(fallback).toContain("model under review after a pricing change");
  });

  it("routes with the model again once turned off", async () => {
    await flip(true);
    expect((await hot()).decision.mode).toBe("rules");
    expect((await flip(false, "review done")).status).toBe(200);
    const { decision } = await hot();
    expect(decision.mode).toBe("model");
    expect(decision.probability).toBeGreaterThan(0);
  });

  it("leaves other teams on the model", async () => {
    expect((await admin("/v1/admin/teams/other", "PUT", { name: "Other" })).status).toBe(201);
    expect((await flip(true, "other team only", "other")).status).toBe(200);
    expect((await hot()).decision.mode).toBe("model");
  });

  it("audits each flip with its reason, before and after", async () => {
    await flip(true, "going to rules");
    await flip(false, "back to the model");
    const rows = await env.DB.prepare("SELECT action, entity_id, reason, before, after FROM audit_log WHERE action LIKE 'team.rules_only.%' ORDER BY id").all<Record<string, string>>();
    expect(rows.results.map((r) => [r.action, r.entity_id, r.reason, JSON.parse(r.before!).enabled, JSON.parse(r.after!).enabled])).toEqual([
      ["team.rules_only.on", "demo", "going to rules", false, true],
      ["team.rules_only.off", "demo", "back to the model", true, false],
    ]);
  });

  it("needs a reason, a known team, and an actual change", async () => {
    expect((await admin("/v1/admin/teams/demo/rules-only", "PUT", { enabled: true })).status).toBe(422);
    expect((await flip(true, "x", "ghost")).status).toBe(404);
    await flip(true);
    const again = await flip(true);
    expect(again.status).toBe(409);
    expect(((await again.json()) as ErrorJson).error.code).toBe("conflict");
  });

  it("cannot be flipped for another team by a team-bound admin token (404)", async () => {
    expect((await admin("/v1/admin/teams/other", "PUT", { name: "Other" })).status).toBe(201);
    const { secret } = (await (await admin("/v1/admin/tokens", "POST", { name: "other admin", scopes: ["admin"], teamId: "other" })).json()) as { secret: string };
    const res = await call("/v1/admin/teams/demo/rules-only", { method: "PUT", headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" }, body: JSON.stringify({ enabled: true, reason: "not mine" }) });
    expect(res.status).toBe(404);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM rules_only_switches").first("n")).toBe(0);
  });

  it("is shown in the routing report the dashboard draws, and by its own GET", async () => {
    await flip(true, "shown on the dashboard");
    const report = (await (await admin("/v1/admin/reports/routing", "GET")).json()) as { rulesOnly: { teamId: string; reason: string }[] };
    expect(report.rulesOnly).toMatchObject([{ teamId: "demo", reason: "shown on the dashboard" }]);
    expect(await (await admin("/v1/admin/teams/demo/rules-only", "GET")).json()).toMatchObject({ teamId: "demo", enabled: true, reason: "shown on the dashboard" });
    const script = await (await call("/dashboard/dashboard.js")).text();
    expect(script).toContain("r.rulesOnly");
  });
});
