import { env } from "cloudflare:workers";
import { getDb } from "../src/db/client.ts";
import { leads } from "../src/db/schema.ts";
import { newId } from "../src/lib/hashing.ts";
import { decideLead } from "../src/routing/decide.ts";
import { calibrate } from "../src/scoring/calibration.ts";
import { computeFeatures } from "../src/scoring/features.ts";
import type { Calibration, Manifest } from "../src/scoring/manifest.ts";
import { generateLeads } from "../src/training/synthetic-leads.ts";
import { call } from "./helpers.ts";
import { defaultModel, TOKENS } from "./setup.ts";

/** Synthetic leads from the generator the default model was trained on (optionally altered). */
export function syntheticPayloads(count: number, seed: number, alter: (p: Record<string, unknown>) => Record<string, unknown> = (p) => p) {
  return generateLeads(count, seed).map((l) => alter(l.payload));
}

/**
 * Synthetic leads with the engagement the default model was trained on: each lead's signal aggregates
 * (demo requests in 7 days, page views and email clicks in 30) stored as demo-team events before its
 * decision, so live scoring sees the same values the training rows had.
 */
export async function syntheticLeadsWithEvents(count: number, seed: number): Promise<Record<string, unknown>[]> {
  const drawn = generateLeads(count, seed);
  const now = Date.now();
  const rows: D1PreparedStatement[] = [];
  const insert = env.DB.prepare(
    "INSERT INTO signal_events (team_id, id, subject_type, subject, domain, type, occurred_at, properties, source, ingested_at, ingested_by) VALUES ('demo', ?, 'email', ?, NULL, ?, ?, '{}', 'synthetic', ?, 'test')",
  );
  drawn.forEach(({ payload, signals }, i) => {
    const email = String(payload.email).toLowerCase();
    const add = (type: string, n: number, daysAgo: number) => {
      for (let k = 0; k < n; k++) rows.push(insert.bind(`syn-${seed}-${i}-${type}-${k}`, email, type, now - daysAgo * 86_400_000 - k * 1000, now - 1000));
    };
    add("demo_request", signals.events.demo_request?.count_7d ?? 0, 2);
    add("page_view", signals.events.page_view?.count_30d ?? 0, 10);
    add("email_click", signals.events.email_click?.count_30d ?? 0, 12);
  });
  for (let k = 0; k < rows.length; k += 200) await env.DB.batch(rows.slice(k, k + 200));
  return drawn.map((l) => l.payload);
}

/** Stores each payload as a demo-team lead and routes it through the real decision pipeline. */
export async function decidePayloads(payloads: readonly Record<string, unknown>[]) {
  const db = getDb(env.DB);
  const out = [];
  for (const [i, payload] of payloads.entries()) {
    const row = await db
      .insert(leads)
      .values({ id: newId("lead"), teamId: "demo", siteId: "pk_demo", email: String(payload.email ?? `x${i}@example.com`), payload, inputHash: newId("h"), receivedAt: Date.now() })
      .returning()
      .get();
    out.push({ lead: row, decision: await decideLead(env, row) });
  }
  return out;
}

export const ADMIN = { authorization: `Bearer ${TOKENS.admin}`, "content-type": "application/json" };

/** An admin JSON call. */
export function adminCall(path: string, method = "GET", body?: unknown, headers: Record<string, string> = {}) {
  return call(path, { method, headers: { ...ADMIN, ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

/** The default graph under another version and calibration (golden probabilities recomputed). */
export function modelVariant(version: string, calibration: Calibration): { bytes: Uint8Array; manifest: Manifest } {
  const { bytes, manifest } = defaultModel();
  const { weights, bias } = manifest.explain!;
  const golden = manifest.golden.map((g) => {
    const x = computeFeatures(manifest.features, g.payload);
    const raw = Math.fround(x.reduce((s, v, i) => s + v * weights[i]!, bias));
    return { payload: g.payload, probability: calibrate(raw, manifest.output.kind, calibration) };
  });
  return { bytes, manifest: { ...manifest, version, calibration, golden } };
}

export function uploadModel(model: { bytes: Uint8Array; manifest: Manifest }, fields: Record<string, string> = {}) {
  const form = new FormData();
  form.set("model", new Blob([model.bytes]), "model.onnx");
  form.set("manifest", new Blob([JSON.stringify(model.manifest)]), "manifest.json");
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  return call("/v1/models", { method: "POST", headers: { authorization: ADMIN.authorization }, body: form });
}
