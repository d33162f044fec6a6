import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { calibrate } from "../src/scoring/calibration.ts";
import { computeFeatures } from "../src/scoring/features.ts";
import type { FeatureSpec } from "../src/scoring/manifest.ts";
import { parseCsv } from "../src/training/csv.ts";
import { trainingCsv, type ExportRow } from "../src/training/export-csv.ts";
import { trainModel } from "../src/training/train.ts";
import { call, postLead } from "./helpers.ts";
import { TOKENS } from "./setup.ts";
import { DAY, eventsToken, HOUR, iso, json, postEvents } from "./signal-helpers.ts";

/** A spec over signal columns exactly as data:export names them, plus a form field. */
const SPEC: FeatureSpec[] = [
  { name: "demo_7d", source: "events.demo_request.count_7d", type: "number", transform: "none", default: 0 },
  { name: "views_30d", source: "events.page_view.count_30d", type: "number", transform: "log1p", default: 0 },
  { name: "employees", source: "employees", type: "number", transform: "log1p", default: 10 },
];

type Lineage = { features: Record<string, number>; vector: number[] };
const decisionOf = async (id: string) => (await (await call(`/v1/decisions/${id}`, { headers: json(TOKENS.admin) })).json()) as { lineage: Lineage; probability: number };

/** Every row of the training export, as data:export pages through it. */
async function exportAll(): Promise<ExportRow[]> {
  const rows: ExportRow[] = [];
  for (let cursor = "0"; ;) {
    const page = (await (await call(`/v1/exports/training?cursor=${cursor}&limit=1000`, { headers: json(TOKENS.admin) })).json()) as { data: ExportRow[]; nextCursor: string; hasMore: boolean };
    rows.push(...page.data);
    cursor = page.nextCursor;
    if (!page.hasMore) return rows;
  }
}

/** Moves every lead, decision time and event `days` into the past, so the leads' horizons have passed. */
async function ageEverything(days: number) {
  const shift = days * DAY;
  await env.DB.batch([
    env.DB.prepare("UPDATE leads SET received_at = received_at - ?").bind(shift),
    env.DB.prepare("UPDATE signal_events SET occurred_at = occurred_at - ?1, ingested_at = ingested_at - ?1").bind(shift),
    env.DB.prepare("UPDATE lineage SET context = json_set(context, '$.now', json_extract(context, '$.now') - ?1), provenance = CASE WHEN provenance IS NULL THEN NULL ELSE json_set(provenance, '$.asOf', json_extract(provenance, '$.asOf') - ?1) END").bind(shift),
  ]);
}

describe("data:export → model:train → live scoring", () => {
  it("trains on the export's own CSV, signal columns included, and the model scores a live lead with the same values", async () => {
    const token = await eventsToken();
    // 120 leads: a third asked for a demo (an event the hour before their form), most browsed; those who
    // asked convert far more often. Deterministic, so the test trains the same model every run.
    const leads: { id: string; converted: boolean }[] = [];
    const events = [];
    for (let i = 0; i < 120; i++) {
      const email = `trainee${i}@firm${i % 9}.example`;
      const demo = i % 3 === 0;
      if (demo) events.push({ id: `d${i}`, type: "demo_request", subject: { email }, occurredAt: iso(HOUR), source: "hubspot" });
      for (let v = 0; v < i % 5; v++) events.push({ id: `v${i}-${v}`, type: "page_view", subject: { email }, occurredAt: iso(2 * HOUR + v * 1000), source: "segment" });
      leads.push({ id: "", converted: demo ? i % 4 !== 1 : i % 7 === 2 });
    }
    for (let k = 0; k < events.length; k += 500) expect((await postEvents({ events: events.slice(k, k + 500) }, token)).status).toBeLessThan(300);
    for (let i = 0; i < 120; i++) {
      const res = await postLead({ email: `trainee${i}@firm${i % 9}.example`, employees: 20 + (i % 11) * 30 });
      leads[i]!.id = ((await res.json()) as { lead: { id: string } }).lead.id;
    }
    await ageEverything(100);
    for (const [i, l] of leads.entries()) {
      if (!l.converted) continue;
      const body = { id: `won-${i}`, leadId: l.id, type: "won", occurredAt: iso(95 * DAY) };
      expect((await call("/v1/outcomes", { method: "POST", headers: json(TOKENS.crm), body: JSON.stringify(body) })).status).toBeLessThan(300);
    }

    const csv = trainingCsv(await exportAll());
    expect(csv.split("\n")[0]).toContain("events.demo_request.count_7d");
    const { rows } = parseCsv(csv, { labelColumn: "converted", numericColumns: SPEC.filter((s) => s.type === "number").map((s) => s.source), requiredColumns: SPEC.map((s) => s.source) });
    expect(rows).toHaveLength(120);
    const { manifest, onnxBytes } = await trainModel({
      rows, features: SPEC, label: "converted", algorithm: "logistic_regression", calibration: "none",
      name: env.MODEL_NAME, version: "from-export", createdAt: new Date().toISOString(),
    });
    const demoWeight = manifest.explain!.weights[0]!;
    expect(demoWeight).toBeGreaterThan(0.5);

    const form = new FormData();
    form.set("model", new Blob([onnxBytes]), "model.onnx");
    form.set("manifest", new Blob([JSON.stringify(manifest)]), "manifest.json");
    expect((await call("/v1/models", { method: "POST", headers: { authorization: `Bearer ${TOKENS.admin}` }, body: form })).status).toBe(201);
    const activated = await call(`/v1/models/${env.MODEL_NAME}/from-export/status`, { method: "POST", headers: json(TOKENS.admin), body: JSON.stringify({ to: "active", reason: "trained on the export" }) });
    expect(activated.status).toBe(200);

    // A new lead with a demo request and three page views, scored live by the trained model.
    const email = "live@newco.example";
    await postEvents({ events: [
      { id: "live-demo", type: "demo_request", subject: { email }, occurredAt: iso(HOUR), source: "hubspot" },
      ...[1, 2, 3].map((k) => ({ id: `live-v${k}`, type: "page_view", subject: { email }, occurredAt: iso(3 * HOUR + k), source: "segment" })),
    ] }, token);
    const { lead, decision } = (await (await postLead({ email, employees: 250 })).json()) as { lead: { id: string }; decision: { id: string; probability: number; model: { version: string } } };
    expect(decision.model.version).toBe("from-export");
    const live = await decisionOf(decision.id);
    expect(live.lineage.vector).toEqual(Array.from(computeFeatures(manifest.features, { employees: 250, "events.demo_request.count_7d": 1, "events.page_view.count_30d": 3 })));

    // Its export row, through the same CSV: the same feature values, and the model gives the same probability.
    await call("/v1/outcomes", { method: "POST", headers: json(TOKENS.crm), body: JSON.stringify({ id: "live-won", leadId: lead.id, type: "won", occurredAt: iso(0) }) });
    const exported = parseCsv(trainingCsv((await exportAll()).filter((r) => r.leadId === lead.id)), { numericColumns: SPEC.map((s) => s.source) }).rows[0]!;
    const vector = Array.from(computeFeatures(manifest.features, exported));
    expect(vector).toEqual(live.lineage.vector);
    const margin = vector.reduce((s, v, j) => s + v * manifest.explain!.weights[j]!, manifest.explain!.bias);
    expect(Math.abs(calibrate(margin, "logit", manifest.calibration) - decision.probability)).toBeLessThan(1e-6);
  });
});
