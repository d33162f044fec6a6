import { describe, expect, it } from "vitest";
import { assignArm, HOLDOUT } from "../src/routing/experiment-arm.ts";
import { DEFAULT_POLICY } from "../src/routing/policy.ts";
import { invalidatePolicy } from "../src/routing/policy-store.ts";
import { call, type ErrorJson } from "./helpers.ts";
import { adminCall, decidePayloads, modelVariant, syntheticPayloads, uploadModel } from "./governance-helpers.ts";
import { defaultModel, TOKENS } from "./setup.ts";

type ArmResult = { arm: string; leads: number; labelled: number; converted: number; conversion: { rate: number; low: number; high: number }; applied: number | null; differenceVsBaseline: { rate: number; low: number; high: number } | null; medianHoursToFirstAction: number | null };

async function reportOutcomes(leadIds: string[], won: (i: number) => boolean) {
  for (const [i, leadId] of leadIds.entries()) {
    const res = await call("/v1/outcomes", {
      method: "POST",
      headers: { authorization: `Bearer ${TOKENS.crm}`, "content-type": "application/json" },
      body: JSON.stringify({ id: `o_${leadId}`, leadId, type: won(i) ? "won" : "lost", occurredAt: new Date(Date.now() + 3_600_000).toISOString() }),
    });
    expect(res.status).toBe(201);
  }
}

describe("experiments", () => {
  it("routes a champion/challenger test by lead-id hash, holdout on the champion, and reports per arm", async () => {
    const champion = defaultModel().manifest.version;
    expect((await uploadModel(modelVariant("2.0.0", { method: "platt", a: 1, b: 1 }))).status).toBe(201);
    const exp = { id: "cc1", kind: "model", description: "platt-shifted challenger", holdoutShare: 0.2, arms: [{ name: "champion", share: 1, modelVersion: champion }, { name: "challenger", share: 1, modelVersion: "2.0.0" }], reason: "test the new calibration" };
    const created = await adminCall("/v1/admin/experiments", "POST", exp);
    expect(created.status).toBe(201);

    const decided = await decidePayloads(syntheticPayloads(60, 21));
    for (const { lead, decision } of decided) {
      const arm = assignArm(exp, lead.id);
      expect(decision.model!.version, arm).toBe(arm === "challenger" ? "2.0.0" : champion);
    }
    await reportOutcomes(decided.map((d) => d.lead.id), (i) => i % 3 === 0);

    const results = await (await adminCall("/v1/admin/experiments/cc1/results")).json<{ baseline: string; arms: ArmResult[] }>();
    expect(results.baseline).toBe(HOLDOUT);
    expect(results.arms.map((a) => a.arm)).toEqual([HOLDOUT, "champion", "challenger"]);
    expect(results.arms.reduce((s, a) => s + a.leads, 0)).toBe(60);
    for (const a of results.arms) {
      expect(a.leads).toBe(decided.filter((d) => assignArm(exp, d.lead.id) === a.arm).length);
      expect(a.labelled).toBe(a.leads);
      expect(a.conversion.low).toBeLessThanOrEqual(a.conversion.rate);
      expect(a.conversion.high).toBeGreaterThanOrEqual(a.conversion.rate);
      expect(a.medianHoursToFirstAction).toBeGreaterThan(0.9);
      if (a.arm !== HOLDOUT) expect(a.applied).toBe(1);
    }
    expect(results.arms.reduce((s, a) => s + a.converted, 0)).toBe(20);
    expect(results.arms[0]!.differenceVsBaseline).toBeNull();
    expect(results.arms[2]!.differenceVsBaseline!.rate).toBeCloseTo(results.arms[2]!.conversion.rate - results.arms[0]!.conversion.rate, 12);

    expect((await adminCall("/v1/admin/experiments/cc1/stop", "POST", { reason: "enough data" })).status).toBe(200);
    const after = await decidePayloads(syntheticPayloads(10, 22));
    expect(after.every((d) => d.decision.model!.version === champion)).toBe(true);
    const audit = await (await adminCall("/v1/admin/audit?entityType=experiment")).json<{ data: { action: string; reason: string }[] }>();
    expect(audit.data.map((r) => [r.action, r.reason])).toEqual([["experiment.stop", "enough data"], ["experiment.start", "test the new calibration"]]);
  });

  it("routes a policy A/B test under each arm's policy version", async () => {
    const draft = await adminCall("/v1/policies", "POST", { policy: { ...DEFAULT_POLICY, tiers: [{ name: "ae", minProbability: 0.05, pool: "ae" }, { name: "sdr", minProbability: 0.01, pool: "sdr" }, { name: "nurture", minProbability: 0, pool: null }] }, reason: "lower thresholds", activate: false });
    expect(await draft.json()).toMatchObject({ version: 2, status: "draft" });
    const exp = { id: "ab1", kind: "policy", description: "lower AE threshold", arms: [{ name: "control", share: 1, policyVersion: 1 }, { name: "treatment", share: 1, policyVersion: 2 }], reason: "try it" };
    expect((await adminCall("/v1/admin/experiments", "POST", exp)).status).toBe(201);
    invalidatePolicy();
    const decided = await decidePayloads(syntheticPayloads(40, 31));
    const arms = new Set<string>();
    for (const { lead, decision } of decided) {
      const arm = assignArm({ ...exp, holdoutShare: 0 }, lead.id);
      arms.add(arm);
      expect(decision.policyVersion).toBe(arm === "treatment" ? 2 : 1);
    }
    expect(arms.size).toBe(2);
    const list = await (await adminCall("/v1/admin/experiments")).json<{ data: { id: string; status: string; holdoutShare: number }[] }>();
    expect(list.data).toMatchObject([{ id: "ab1", status: "running", holdoutShare: 0 }]);
  });

  it("refuses unknown versions, a second running test of a kind, and bad bodies, with 4xx", async () => {
    const base = { id: "x1", kind: "policy", description: "d", arms: [{ name: "a", share: 1, policyVersion: 1 }, { name: "b", share: 1, policyVersion: 99 }], reason: "r" };
    const cases: [unknown, number][] = [
      [base, 422],
      [{ ...base, arms: [{ name: "a", share: 1, policyVersion: 1 }] }, 422],
      [{ ...base, arms: [{ name: "a", share: 1 }, { name: "b", share: 1, policyVersion: 1 }] }, 422],
      [{ ...base, arms: [{ name: "holdout", share: 1, policyVersion: 1 }, { name: "b", share: 1, policyVersion: 1 }] }, 422],
      [{ ...base, holdoutShare: 0.9, arms: [{ name: "a", share: 1, policyVersion: 1 }, { name: "b", share: 1, policyVersion: 1 }] }, 422],
      [{ ...base, kind: "model", arms: [{ name: "a", share: 1, modelVersion: "nope" }, { name: "b", share: 1, modelVersion: "nope2" }] }, 422],
    ];
    for (const [body, status] of cases) {
      const res = await adminCall("/v1/admin/experiments", "POST", body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect((await res.json<ErrorJson>()).error.code).toBe("validation_failed");
    }
    const ok = { ...base, arms: [{ name: "a", share: 1, policyVersion: 1 }, { name: "b", share: 1, policyVersion: 1 }] };
    expect((await adminCall("/v1/admin/experiments", "POST", ok)).status).toBe(201);
    expect((await adminCall("/v1/admin/experiments", "POST", ok)).status).toBe(409);
    expect((await adminCall("/v1/admin/experiments", "POST", { ...ok, id: "x2" })).status).toBe(409);
    expect((await adminCall("/v1/admin/experiments/none/stop", "POST", { reason: "r" })).status).toBe(404);
    expect((await adminCall("/v1/admin/experiments/none/results")).status).toBe(404);
    expect((await adminCall("/v1/admin/experiments/x1/stop", "POST", {})).status).toBe(422);
    expect((await adminCall("/v1/admin/experiments/x1/stop", "POST", { reason: "r" })).status).toBe(200);
    expect((await adminCall("/v1/admin/experiments/x1/stop", "POST", { reason: "r" })).status).toBe(409);
  });
});
