import { describe, expect, it } from "vitest";
import { HOT_LEAD, type ErrorJson } from "./helpers.ts";
import { adminCall } from "./governance-helpers.ts";
import { TOKENS } from "./setup.ts";
import { EMEA_FAMILY, EMEA_POLICY, postLeadTo, seedEmeaTeam, tokenCall } from "./team-helpers.ts";

type Decided = { decision: { tier: string; repId: string; policyVersion: number; probability: number; model: { name: string; version: string } } };

async function activeVersion(team?: string): Promise<number> {
  const res = await adminCall(`/v1/policies/active${team ? `?team=${team}` : ""}`);
  return ((await res.json()) as { version: number }).version;
}

describe("teams: a policy and a model family per team", () => {
  it("routes the same lead differently for two teams with different policies and models", async () => {
    await seedEmeaTeam();
    const created = await adminCall("/v1/policies?team=emea", "POST", { policy: EMEA_POLICY, reason: "emea thresholds" });
    expect(created.status).toBe(201);
    const { version } = (await created.json()) as { version: number };
    const na = (await (await postLeadTo("pk_demo", HOT_LEAD)).json()) as Decided;
    const emea = (await (await postLeadTo("pk_emea", HOT_LEAD)).json()) as Decided;
    expect(na.decision.model.name).toBe("lead-conversion");
    expect(emea.decision.model.name).toBe(EMEA_FAMILY);
    expect(emea.decision.probability).toBeLessThan(na.decision.probability);
    expect(na.decision.policyVersion).toBe(1);
    expect(emea.decision.policyVersion).toBe(version);
    expect(na.decision.tier).toBe("ae");
    expect(emea.decision.tier).toBe("sdr");
    expect(emea.decision.repId).toBe("rep_emea_sdr");
  });

  it("keeps a team's model family when the team is updated without naming one", async () => {
    await seedEmeaTeam();
    const res = await adminCall("/v1/admin/teams/emea", "PUT", { name: "EMEA SMB (renamed)" });
    expect(await res.json()).toMatchObject({ name: "EMEA SMB (renamed)", modelFamily: EMEA_FAMILY });
  });

  it("refuses a model family name that is not a family name with 422", async () => {
    const res = await adminCall("/v1/admin/teams/emea", "PUT", { name: "EMEA", modelFamily: "Not A Family!" });
    expect(res.status).toBe(422);
  });

  it("accepts an upload of a model family only once a team names it", async () => {
    const { modelVariant, uploadModel } = await import("./governance-helpers.ts");
    const v = modelVariant("1.0.0", { method: "none" });
    const named = { bytes: v.bytes, manifest: { ...v.manifest, name: "apac-conversion" } };
    expect((await uploadModel(named)).status).toBe(422);
    await adminCall("/v1/admin/teams/apac", "PUT", { name: "APAC", modelFamily: "apac-conversion" });
    expect((await uploadModel(named)).status).toBe(201);
  });

  it("uses the default policy for a team without one of its own", async () => {
    await seedEmeaTeam();
    const res = await adminCall("/v1/policies/active?team=emea");
    expect(await res.json()).toMatchObject({ version: 1, owner: null });
  });

  it("rolls back one team's policy without touching the other team's or the default", async () => {
    await seedEmeaTeam();
    const v = async (team: string | null, tweak: number) => {
      const res = await adminCall(`/v1/policies${team ? `?team=${team}` : ""}`, "POST", { policy: { ...EMEA_POLICY, defaultDealValue: tweak }, reason: "tune" });
      return ((await res.json()) as { version: number }).version;
    };
    const emea1 = await v("emea", 1_000);
    await v("emea", 2_000);
    const demo2 = await v("demo", 3_000);
    const rolled = await adminCall("/v1/policies/rollback?team=emea", "POST", { reason: "emea regression" });
    expect(rolled.status).toBe(200);
    expect(await activeVersion("emea")).toBe(emea1);
    expect(await activeVersion("demo")).toBe(demo2);
    expect(await activeVersion()).toBe(1);
    const audit = (await (await adminCall("/v1/admin/audit?action=policy.rollback")).json()) as { data: { after: { team: string } }[] };
    expect(audit.data[0]!.after.team).toBe("emea");
  });

  it("rolls back one team's model family without touching the default family", async () => {
    await seedEmeaTeam();
    const { modelVariant, uploadModel } = await import("./governance-helpers.ts");
    const next = modelVariant("1.1.0", { method: "platt", a: 1, b: -1 });
    await uploadModel({ bytes: next.bytes, manifest: { ...next.manifest, name: EMEA_FAMILY } });
    await adminCall(`/v1/models/${EMEA_FAMILY}/1.1.0/status`, "POST", { to: "active", reason: "try" });
    expect(((await (await postLeadTo("pk_emea", HOT_LEAD)).json()) as Decided).decision.model.version).toBe("1.1.0");
    expect((await adminCall(`/v1/models/${EMEA_FAMILY}/rollback`, "POST", { reason: "worse" })).status).toBe(200);
    const emea = (await (await postLeadTo("pk_emea", { ...HOT_LEAD, email: "other@bigcorp.example" })).json()) as Decided;
    const na = (await (await postLeadTo("pk_demo", HOT_LEAD)).json()) as Decided;
    expect(emea.decision.model).toMatchObject({ name: EMEA_FAMILY, version: "1.0.0" });
    expect(na.decision.model).toMatchObject({ name: "lead-conversion", version: "1.0.0" });
  });

  it("holds each team's assignments to its own policy's SLA", async () => {
    await seedEmeaTeam();
    await adminCall("/v1/policies?team=emea", "POST", { policy: { ...EMEA_POLICY, slaMinutes: 5 }, reason: "fast follow-up" });
    const emea = (await (await postLeadTo("pk_emea", HOT_LEAD)).json()) as Decided & { decision: { id: string } };
    const na = (await (await postLeadTo("pk_demo", HOT_LEAD)).json()) as Decided & { decision: { id: string } };
    const { rerouteSlaBreaches } = await import("../src/scheduled.ts");
    const { env } = await import("cloudflare:workers");
    expect(await rerouteSlaBreaches(env, Date.now() + 10 * 60_000)).toMatchObject({ breached: 1 });
    const status = async (id: string) => (await env.DB.prepare("SELECT crm_status FROM decisions WHERE id = ?").bind(id).first("crm_status")) as string;
    expect(await status(emea.decision.id)).toBe("rejected");
    expect(await status(na.decision.id)).toBe("new");
  });

  it("refuses a team token reading another team's policy", async () => {
    await seedEmeaTeam();
    const res = await tokenCall("/v1/policies/active?team=emea", TOKENS.crm);
    expect(res.status).toBe(403);
    expect(((await res.json()) as ErrorJson).error.code).toBe("forbidden");
  });

  it("answers 404 for another team's policy version, as for an unknown one", async () => {
    await seedEmeaTeam();
    const { version } = (await (await adminCall("/v1/policies?team=emea", "POST", { policy: EMEA_POLICY, reason: "emea" })).json()) as { version: number };
    expect((await tokenCall(`/v1/policies/${version}`, TOKENS.crm)).status).toBe(404);
  });

  it("refuses a team's review token changing another team's policy", async () => {
    const { reviewToken } = await seedEmeaTeam();
    const res = await tokenCall("/v1/policies?team=demo", reviewToken, "POST", { policy: EMEA_POLICY, reason: "sneaky" });
    expect(res.status).toBe(403);
    expect(await activeVersion("demo")).toBe(1);
  });

  it("refuses a team's review token activating the default policy's version as its own", async () => {
    const { reviewToken } = await seedEmeaTeam();
    expect((await tokenCall("/v1/policies/1/activate", reviewToken, "POST", { reason: "x" })).status).toBe(404);
  });

  it("lets a team's review token create and activate its own team's policy", async () => {
    const { reviewToken } = await seedEmeaTeam();
    const res = await tokenCall("/v1/policies", reviewToken, "POST", { policy: EMEA_POLICY, reason: "ours" });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ team: "emea", status: "active" });
    expect(await activeVersion()).toBe(1);
  });

  it("lets a team's token simulate against its own team only: another team's leads are unknown", async () => {
    const { crmToken } = await seedEmeaTeam();
    const demoLead = ((await (await postLeadTo("pk_demo", HOT_LEAD)).json()) as { lead: { id: string } }).lead.id;
    const emeaLead = ((await (await postLeadTo("pk_emea", HOT_LEAD)).json()) as { lead: { id: string } }).lead.id;
    const refused = await tokenCall("/v1/policies/simulate", crmToken, "POST", { policy: EMEA_POLICY, leadIds: [demoLead] });
    expect(refused.status).toBe(422);
    const own = await tokenCall("/v1/policies/simulate", crmToken, "POST", { policy: EMEA_POLICY, leadIds: [emeaLead] });
    const body = (await own.json()) as { results: { repId: string | null }[] };
    expect(body.results.map((r) => r.repId)).toEqual(["rep_emea_sdr"]);
  });

  it("refuses a CRM token changing even its own team's policy", async () => {
    const res = await tokenCall("/v1/policies", TOKENS.crm, "POST", { policy: EMEA_POLICY, reason: "crm" });
    expect(res.status).toBe(403);
  });

  it("answers 404 when an admin names a team that does not exist", async () => {
    expect((await adminCall("/v1/policies/active?team=nobody")).status).toBe(404);
  });

  it("runs a policy experiment for one team only", async () => {
    await seedEmeaTeam();
    const a = ((await (await adminCall("/v1/policies?team=emea", "POST", { policy: EMEA_POLICY, reason: "a", activate: false })).json()) as { version: number }).version;
    const b = ((await (await adminCall("/v1/policies?team=emea", "POST", { policy: { ...EMEA_POLICY, defaultDealValue: 9_000 }, reason: "b", activate: false })).json()) as { version: number }).version;
    const started = await adminCall("/v1/admin/experiments", "POST", { id: "emea-ab", kind: "policy", description: "emea a/b", teamId: "emea", arms: [{ name: "a", share: 1, policyVersion: a }, { name: "b", share: 1, policyVersion: b }], reason: "test" });
    expect(started.status).toBe(201);
    const emea = (await (await postLeadTo("pk_emea", HOT_LEAD)).json()) as Decided;
    const na = (await (await postLeadTo("pk_demo", HOT_LEAD)).json()) as Decided;
    expect([a, b]).toContain(emea.decision.policyVersion);
    expect(na.decision.policyVersion).toBe(1);
  });

  it("refuses a team experiment whose arm is another team's policy version", async () => {
    await seedEmeaTeam();
    const mine = ((await (await adminCall("/v1/policies?team=demo", "POST", { policy: EMEA_POLICY, reason: "demo", activate: false })).json()) as { version: number }).version;
    const res = await adminCall("/v1/admin/experiments", "POST", { id: "bad", kind: "policy", description: "x", teamId: "emea", arms: [{ name: "a", share: 1, policyVersion: 1 }, { name: "b", share: 1, policyVersion: mine }], reason: "test" });
    expect(res.status).toBe(422);
  });
});

describe("teams: reports by team", () => {
  it("shows a team's token only its own team's routing report", async () => {
    const { crmToken } = await seedEmeaTeam();
    await postLeadTo("pk_demo", HOT_LEAD);
    await postLeadTo("pk_emea", HOT_LEAD);
    await postLeadTo("pk_emea", { ...HOT_LEAD, email: "b@bigcorp.example" });
    const emea = (await (await tokenCall("/v1/reports/routing", crmToken)).json()) as { team: string; decisions: number; recent: { leadId: string }[]; repLoad: { teamId: string }[] };
    const demo = (await (await tokenCall("/v1/reports/routing", TOKENS.crm)).json()) as { team: string; decisions: number };
    expect(emea).toMatchObject({ team: "emea", decisions: 2 });
    expect(new Set(emea.repLoad.map((r) => r.teamId))).toEqual(new Set(["emea"]));
    expect(demo).toMatchObject({ team: "demo", decisions: 1 });
  });

  it("refuses a team's token asking for another team's report", async () => {
    await seedEmeaTeam();
    for (const path of ["drift", "calibration", "ops", "fairness", "routing", "shadow", "alerts"]) {
      expect((await tokenCall(`/v1/reports/${path}?team=emea`, TOKENS.crm)).status, path).toBe(403);
    }
  });

  it("lets an admin see every team, or one team it names", async () => {
    await seedEmeaTeam();
    await postLeadTo("pk_demo", HOT_LEAD);
    await postLeadTo("pk_emea", HOT_LEAD);
    const all = (await (await adminCall("/v1/admin/reports/routing")).json()) as { decisions: number };
    const emea = (await (await adminCall("/v1/admin/reports/routing?team=emea")).json()) as { decisions: number; models: { versions: { version: string }[] } };
    expect(all.decisions).toBe(2);
    expect(emea.decisions).toBe(1);
    expect(emea.models.versions.map((v) => v.version)).toEqual(["1.0.0"]);
  });

  it("shows a team the alerts of its own model family, not another's", async () => {
    const { crmToken } = await seedEmeaTeam();
    const { raiseAlert } = await import("../src/db/alerts.ts");
    const { getDb } = await import("../src/db/client.ts");
    const { env } = await import("cloudflare:workers");
    await raiseAlert(getDb(env.DB), { kind: "model_unavailable", subject: EMEA_FAMILY, severity: "alert", message: "emea down" });
    await raiseAlert(getDb(env.DB), { kind: "model_unavailable", subject: "lead-conversion", severity: "alert", message: "default down" });
    const emea = (await (await tokenCall("/v1/reports/alerts", crmToken)).json()) as { data: { subject: string }[] };
    const demo = (await (await tokenCall("/v1/reports/alerts", TOKENS.crm)).json()) as { data: { subject: string }[] };
    expect(emea.data.map((a) => a.subject)).toEqual([EMEA_FAMILY]);
    expect(demo.data.map((a) => a.subject)).toEqual(["lead-conversion"]);
  });

  it("runs drift monitoring for each team's model family", async () => {
    await seedEmeaTeam();
    await postLeadTo("pk_emea", HOT_LEAD);
    const { runMonitoring } = await import("../src/monitoring/checks.ts");
    const { env } = await import("cloudflare:workers");
    expect((await runMonitoring(env)).failed).toEqual([]);
    const emea = (await (await adminCall("/v1/admin/reports/drift?team=emea")).json()) as { modelFamily: string; history: { modelName: string; n: number }[] };
    expect(emea.modelFamily).toBe(EMEA_FAMILY);
    expect(emea.history.map((h) => [h.modelName, h.n])).toEqual([[EMEA_FAMILY, 1]]);
  });
});
