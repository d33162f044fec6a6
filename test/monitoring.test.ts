import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getDb } from "../src/db/client.ts";
import { monitoringRuns } from "../src/db/schema-governance.ts";
import { runCalibrationCheck, runMonitoring, opsSnapshot } from "../src/monitoring/checks.ts";
import { runDriftCheck } from "../src/monitoring/drift-check.ts";
import { DEFAULT_POLICY } from "../src/routing/policy.ts";
import { invalidatePolicy } from "../src/routing/policy-store.ts";
import { call, HOT_LEAD, postLead, uniqueEmail } from "./helpers.ts";
import { decidePayloads, syntheticLeadsWithEvents, syntheticPayloads } from "./governance-helpers.ts";
import { TOKENS } from "./setup.ts";

const N = 150;
/** A campaign that brings in big, browsing, demo-hungry companies from one source: inputs far from training. */
const shifted = (p: Record<string, unknown>) => ({ ...p, employees: 20_000, pages_viewed: 45, demo_requested: true, source: "event" });

async function activatePolicy(drift: Partial<typeof DEFAULT_POLICY.drift>) {
  const res = await call("/v1/policies", {
    method: "POST",
    headers: { authorization: `Bearer ${TOKENS.admin}`, "content-type": "application/json" },
    body: JSON.stringify({ policy: { ...DEFAULT_POLICY, drift: { ...DEFAULT_POLICY.drift, ...drift } }, reason: "drift test" }),
  });
  expect(res.status).toBe(201);
  invalidatePolicy();
}

describe("drift monitoring", () => {
  it("does not alert on a stream drawn like the training data", async () => {
    await decidePayloads(await syntheticLeadsWithEvents(N, 9001));
    const check = (await runDriftCheck(env))!;
    expect(check.n).toBe(N);
    expect(check.score!.n).toBe(N);
    expect(Object.keys(check.features).length).toBeGreaterThan(20);
    expect(check.status).toBe("ok");
    expect(Object.values(check.features).every((f) => f.level === "ok")).toBe(true);
    const stored = await getDb(env.DB).select().from(monitoringRuns).all();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ kind: "drift", level: check.status, n: N, modelVersion: check.modelVersion });
  });

  it("alerts on a shifted stream, naming the shifted inputs", async () => {
    await decidePayloads(syntheticPayloads(N, 9001, shifted));
    const check = (await runDriftCheck(env))!;
    expect(check.status).toBe("alert");
    expect(check.features.employees_log!.level).toBe("alert");
    expect(check.features["source=event"]!.level).toBe("alert");
    expect(check.score!.level).toBe("alert");
  });

  it("reports insufficient data rather than a verdict on a handful of leads", async () => {
    await decidePayloads(syntheticPayloads(10, 5, shifted));
    expect((await runDriftCheck(env))!.status).toBe("insufficient");
  });

  it("with a rule_only guard, routes on rules while an alert holds and on the model once it clears", async () => {
    await activatePolicy({ guard: "rule_only", windowHours: 1 });
    await decidePayloads(syntheticPayloads(N, 77, shifted));
    expect((await runDriftCheck(env))!.status).toBe("alert");

    const guarded = await (await postLead({ ...HOT_LEAD, email: uniqueEmail() })).json<{ decision: { id: string; mode: string } }>();
    expect(guarded.decision.mode).toBe("rules");
    const lineage = await call(`/v1/decisions/${guarded.decision.id}`, { headers: { authorization: `Bearer ${TOKENS.admin}` } }).then((r) => r.json<{ lineage: { fallbackReason: string; shadow: unknown } }>());
    expect(lineage.lineage.fallbackReason).toMatch(/drift guard/);

    // Two hours later the shifted leads are out of the window: the check no longer alerts.
    expect((await runDriftCheck(env, Date.now() + 2 * 3_600_000))!.status).toBe("insufficient");
    const lifted = await (await postLead({ ...HOT_LEAD, email: uniqueEmail() })).json<{ decision: { mode: string } }>();
    expect(lifted.decision.mode).toBe("model");
  });

  it("keeps routing on the model after an alert when the policy's guard is off", async () => {
    await decidePayloads(syntheticPayloads(N, 78, shifted));
    expect((await runDriftCheck(env))!.status).toBe("alert");
    const res = await (await postLead({ ...HOT_LEAD, email: uniqueEmail() })).json<{ decision: { mode: string } }>();
    expect(res.decision.mode).toBe("model");
  });
});

describe("calibration and operations checks", () => {
  it("is insufficient without outcomes, then compares predictions with reported conversions", async () => {
    const decided = await decidePayloads(syntheticPayloads(40, 3));
    expect((await runCalibrationCheck(env))!.level).toBe("insufficient");
    for (const [i, { lead }] of decided.entries()) {
      const res = await call("/v1/outcomes", {
        method: "POST",
        headers: { authorization: `Bearer ${TOKENS.crm}`, "content-type": "application/json" },
        body: JSON.stringify({ id: `out_${i}`, leadId: lead.id, type: i % 4 === 0 ? "won" : "lost", occurredAt: new Date().toISOString() }),
      });
      expect(res.status).toBe(201);
    }
    const { report } = (await runCalibrationCheck(env))!;
    expect(report!.n).toBe(40);
    expect(report!.positives).toBe(10);
    expect(report!.deciles.reduce((s, d) => s + d.count, 0)).toBe(40);
    const probs = decided.map((d) => d.decision.probability!);
    expect(report!.meanPredicted).toBeCloseTo(probs.reduce((s, p) => s + p, 0) / probs.length, 9);
  });

  it("summarises latency per stage, fallbacks and queue depth", async () => {
    await decidePayloads(syntheticPayloads(12, 4));
    const ops = await opsSnapshot(env);
    expect(ops.decisions).toBe(12);
    expect(ops.latency.score!.n).toBe(12);
    expect(ops.latency.total!.p50).toBeGreaterThanOrEqual(0);
    expect(ops.fallbackRate).toBe(0);
    expect(Object.values(ops.byOutcome).reduce((s, v) => s + v, 0)).toBe(12);
    expect(ops.queueDepth).toBe(ops.byOutcome.queued ?? 0);
  });

  it("runs every check from the cron at most once per interval", async () => {
    await decidePayloads(syntheticPayloads(5, 6));
    const now = Date.now();
    expect(await runMonitoring(env, now)).toEqual({ ran: true, failed: [] });
    expect(await runMonitoring(env, now + 60_000)).toEqual({ ran: false, failed: [] });
    const kinds = (await getDb(env.DB).select().from(monitoringRuns).all()).map((r) => r.kind).sort();
    expect(kinds).toEqual(["calibration", "drift", "ops"]);
  });
});
