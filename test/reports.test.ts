import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runDriftCheck } from "../src/monitoring/drift-check.ts";
import { call, type ErrorJson } from "./helpers.ts";
import { adminCall, decidePayloads, modelVariant, syntheticPayloads, uploadModel } from "./governance-helpers.ts";
import { TOKENS } from "./setup.ts";

type Segment = { value: string; n: number; aeRate: number; disparateImpact: number | null; tierRates: Record<string, number>; labelled: number; lowSample: boolean };

async function seed(n: number, seed = 41) {
  const decided = await decidePayloads(syntheticPayloads(n, seed));
  for (const [i, { lead }] of decided.entries()) {
    if (i % 2) continue;
    await call("/v1/outcomes", {
      method: "POST",
      headers: { authorization: `Bearer ${TOKENS.crm}`, "content-type": "application/json" },
      body: JSON.stringify({ id: `o${i}`, leadId: lead.id, type: i % 4 === 0 ? "opportunity_created" : "lost", occurredAt: new Date().toISOString() }),
    });
  }
  return decided;
}

const get = async <T>(path: string) => {
  const res = await adminCall(path);
  expect(res.status, path).toBe(200);
  return res.json<T>();
};

describe("governance reports", () => {
  it("shows routing by tier and rep, the score distribution, rep load against caps and the model timeline", async () => {
    // No outcomes here: a won or lost outcome frees the rep's slot, and this compares slots with assignments.
    const before = await get<{ repLoad: { repId: string; open: number; held: number }[] }>("/v1/admin/reports/routing");
    const takenBefore = new Map(before.repLoad.map((l) => [l.repId, l.open + l.held]));
    const decided = await decidePayloads(syntheticPayloads(30, 41));
    const r = await get<{
      decisions: number;
      byTier: Record<string, number>;
      byRep: Record<string, number>;
      scoreHistogram: { edges: number[]; counts: number[] };
      repLoad: { repId: string; open: number; held: number; maxOpen: number }[];
      models: { versions: { version: string; status: string }[]; events: unknown[] };
      recent: { id: string; reason: string; lineage: { policyVersion: number; href: string } }[];
    }>("/v1/admin/reports/routing");
    expect(r.decisions).toBe(30);
    expect(Object.values(r.byTier).reduce((s, v) => s + v, 0)).toBe(30);
    expect(r.scoreHistogram.counts.reduce((s, v) => s + v, 0)).toBe(30);
    expect(r.scoreHistogram.edges).toHaveLength(21);
    for (const tier of new Set(decided.map((d) => d.decision.tier))) expect(r.byTier[tier]).toBe(decided.filter((d) => d.decision.tier === tier).length);
    // What the Durable Objects count as newly taken (open, or held until their alarm settles it) is what the decisions assigned.
    for (const load of r.repLoad) expect(load.open + load.held - takenBefore.get(load.repId)!, load.repId).toBe(r.byRep[load.repId] ?? 0);
    expect(r.repLoad.find((l) => l.repId === "rep_ada")!.maxOpen).toBe(5);
    expect(r.models.versions.some((v) => v.status === "active")).toBe(true);
    expect(r.recent).toHaveLength(25);
    expect(r.recent[0]!.id).toBe(decided[decided.length - 1]!.decision.id);
    expect(r.recent[0]!.lineage.href).toBe(`/v1/decisions/${r.recent[0]!.id}`);
  });

  it("breaks routing down by segment with disparate-impact ratios, and reps by lead quality", async () => {
    await seed(40);
    const f = await get<{ n: number; segments: Record<string, Segment[]>; reps: { repId: string; n: number; parity: number | null; share: number }[]; aeTiers: string[] }>("/v1/admin/reports/fairness?fields=industry");
    expect(f.n).toBe(40);
    // The default policy's rules name demo_requested; industry was asked for.
    expect(Object.keys(f.segments).sort()).toEqual(["country", "demo_requested", "industry", "size_band", "source"]);
    for (const stats of Object.values(f.segments)) {
      expect(stats.reduce((s, g) => s + g.n, 0)).toBe(40);
      expect(stats.reduce((s, g) => s + g.labelled, 0)).toBe(20);
      for (const g of stats) {
        expect(Object.values(g.tierRates).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 9);
        if (g.disparateImpact !== null) expect(g.disparateImpact).toBeLessThanOrEqual(g.lowSample ? Infinity : 1);
      }
    }
    expect(f.aeTiers).toEqual(["ae"]);
    expect(f.reps.reduce((s, r) => s + r.share, 0)).toBeCloseTo(1, 9);
    expect(f.reps.every((r) => r.parity === null || r.parity > 0)).toBe(true);
  });

  it("puts model uploads, activations and rollbacks on the timeline, oldest first", async () => {
    expect((await uploadModel(modelVariant("3.0.0", { method: "platt", a: 1, b: 0.2 }))).status).toBe(201);
    expect((await adminCall("/v1/models/lead-conversion/3.0.0/status", "POST", { to: "active", reason: "better" })).status).toBe(200);
    expect((await adminCall("/v1/models/lead-conversion/rollback", "POST", { reason: "worse after all" })).status).toBe(200);
    const { models } = await get<{ models: { versions: { version: string; status: string }[]; events: { action: string; version: string; reason: string | null }[] } }>("/v1/admin/reports/routing");
    expect(models.versions.find((v) => v.version === "3.0.0")!.status).not.toBe("active");
    const mine = models.events.filter((e) => e.version === "3.0.0");
    expect(mine[0]).toMatchObject({ action: "model.upload" });
    expect(mine.map((e) => e.reason)).toEqual([null, "better", "worse after all"]);
  });

  it("reports calibration, operations, drift history and shadow results", async () => {
    await seed(30);
    const cal = await get<{ current: { n: number; positives: number; deciles: unknown[] } }>("/v1/admin/reports/calibration");
    expect(cal.current).toMatchObject({ n: 15, positives: 8 });
    const ops = await get<{ current: { decisions: number; latency: Record<string, { n: number }>; fallbackRate: number } }>("/v1/admin/reports/ops?days=1");
    expect(ops.current.decisions).toBe(30);
    expect(ops.current.latency.total!.n).toBe(30);
    expect((await get<{ latest: null }>("/v1/admin/reports/drift")).latest).toBeNull();
    await runDriftCheck(env);
    const drift = await get<{ latest: { level: string; n: number }; history: unknown[] }>("/v1/admin/reports/drift");
    expect(drift.latest).toMatchObject({ level: "insufficient", n: 30 });
    expect(drift.history).toHaveLength(1);
    expect((await get<{ data: unknown[] }>("/v1/admin/reports/shadow")).data).toEqual([]);
  });

  it("answers bad windows with 422 and anyone but an admin with 401/403", async () => {
    for (const q of ["/v1/admin/reports/routing?days=0", "/v1/admin/reports/ops?from=nope", "/v1/admin/reports/fairness?fields=a;b", "/v1/admin/reports/drift?runs=0", "/v1/admin/reports/calibration?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z"]) {
      const res = await adminCall(q);
      expect(res.status, q).toBe(422);
      expect((await res.json<ErrorJson>()).error.code).toBe("validation_failed");
    }
    expect((await call("/v1/admin/reports/routing")).status).toBe(401);
    expect((await call("/v1/admin/reports/routing", { headers: { authorization: `Bearer ${TOKENS.crm}` } })).status).toBe(403);
  });
});
