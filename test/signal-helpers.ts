import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { getDb } from "../src/db/client.ts";
import { sha256Hex } from "../src/lib/hashing.ts";
import { ManifestSchema, type FeatureSpec, type Manifest } from "../src/scoring/manifest.ts";
import { dropModelCaches } from "../src/scoring/model-store.ts";
import { registerModel } from "../src/scoring/registry.ts";
import { linearModelOnnx } from "../src/training/onnx-writer.ts";
import { call } from "./helpers.ts";
import { TOKENS } from "./setup.ts";

export const json = (token: string) => ({ authorization: `Bearer ${token}`, "content-type": "application/json" });

/** A team-bound token with only the events:write scope. */
export async function eventsToken(teamId = "demo"): Promise<string> {
  const res = await call("/v1/admin/tokens", { method: "POST", headers: json(TOKENS.admin), body: JSON.stringify({ name: "marketing automation", scopes: ["events:write"], teamId }) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { secret: string }).secret;
}

export const postEvents = (body: unknown, token: string) => call("/v1/events", { method: "POST", headers: json(token), body: JSON.stringify(body) });

export const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/**
 * A logistic model over one signal: p = sigmoid(4 × demo requests in 7 days − 3) — about 0.05 (nurture)
 * with none, 0.73 (AE) with one. `employees` is read (weight 0) so lineage shows a form field too.
 */
export const DEMO_SIGNAL_FEATURES: FeatureSpec[] = [
  { name: "demo_7d", source: "events.demo_request.count_7d", type: "number", transform: "none", default: 0 },
  { name: "employees", source: "employees", type: "number", transform: "none", default: 0 },
];

/** Registers a linear model over `features` and makes it the active version. */
export async function activateLinearModel(features: FeatureSpec[], weights: number[], bias: number, version = "signals-1"): Promise<Manifest> {
  const bytes = linearModelOnnx({ weights, bias });
  const manifest = ManifestSchema.parse({
    name: env.MODEL_NAME,
    version,
    sha256: await sha256Hex(bytes),
    algorithm: "logistic_regression",
    createdAt: new Date().toISOString(),
    input: { name: "features", dim: weights.length },
    output: { name: "logit", kind: "logit" },
    features,
    explain: { weights, bias },
  });
  await registerModel(getDb(env.DB), env.MODELS, bytes, manifest, "staged");
  await env.DB.batch([
    env.DB.prepare("UPDATE models SET status = 'retired' WHERE status = 'active'"),
    env.DB.prepare("UPDATE models SET status = 'active', activated_at = ? WHERE version = ?").bind(Date.now(), version),
  ]);
  dropModelCaches();
  return manifest;
}
