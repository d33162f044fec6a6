import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { AppEnv } from "../app-env.ts";
import { apiApp, bodyOf, jsonBody, route } from "../lib/openapi-route.ts";
import { auditRow } from "../db/audit.ts";
import { getDb } from "../db/client.ts";
import { familyVersions, type ModelRow } from "../db/models.ts";
import { models } from "../db/schema.ts";
import { requireScope } from "../lib/auth.ts";
import { auditReason } from "../lib/audit-reason.ts";
import { checkShape, MANIFEST_BOUNDS } from "../lib/body-shape.ts";
import { ApiError } from "../lib/errors.ts";
import { sha256Hex } from "../lib/hashing.ts";
import { parseOrThrow, readJson } from "../lib/validate.ts";
import { planRollback, planTransition, type Plan } from "../scoring/lifecycle.ts";
import { ManifestSchema } from "../scoring/manifest.ts";
import { servedModelFamilies } from "../scoring/families.ts";
import { invalidateRegistry } from "../scoring/model-store.ts";
import { createSession, runWorkerBatch } from "../scoring/ort.ts";
import { registerModel } from "../scoring/registry.ts";
import { validateModel } from "../scoring/validate-model.ts";
import { ModelStatusBody, ReasonBody } from "../schemas/admin.ts";
import { enqueueModelActivated } from "../webhooks/emit.ts";

/** A registry row as the API shows it (the manifest's bulky parts left out of lists). */
function view(row: ModelRow, full = false) {
  const manifest = row.manifest as Record<string, unknown>;
  return {
    name: row.name,
    version: row.version,
    sha256: row.sha256,
    status: row.status,
    sizeBytes: row.sizeBytes,
    createdAt: new Date(row.createdAt).toISOString(),
    activatedAt: row.activatedAt === null ? null : new Date(row.activatedAt).toISOString(),
    algorithm: manifest.algorithm,
    metrics: manifest.metrics ?? null,
    ...(full ? { manifest } : {}),
  };
}

async function fileBytes(value: unknown, field: string): Promise<Uint8Array> {
  if (value instanceof File) return new Uint8Array(await value.arrayBuffer());
  if (typeof value === "string") return new TextEncoder().encode(value);
  throw new ApiError("validation_failed", `${field}: send it as a multipart form field`);
}

/** Applies a lifecycle plan in one D1 batch with its audit rows, then refreshes this isolate's view. */
async function applyPlan(c: { env: Env; get(key: "token"): { name: string } }, name: string, plan: Plan, reason: string) {
  if (!plan.ok) throw new ApiError("conflict", plan.message);
  const db = getDb(c.env.DB);
  const now = Date.now();
  const actor = c.get("token").name;
  const writes = plan.changes.flatMap((ch) => [
    db
      .update(models)
      .set({ status: ch.to, ...(ch.to === "active" ? { activatedAt: now } : {}) })
      .where(and(eq(models.name, name), eq(models.version, ch.version), eq(models.status, ch.from))),
    auditRow(db, { actor, action: `model.${ch.to}`, entityType: "model", entityId: `${name}@${ch.version}`, before: { status: ch.from }, after: { status: ch.to }, reason }),
  ]);
  await db.batch(writes as [(typeof writes)[number], ...(typeof writes)[number][]]);
  invalidateRegistry();
  for (const ch of plan.changes) if (ch.to === "active") await enqueueModelActivated(c.env, name, ch.version);
  return plan.changes;
}

const VersionPath = z.object({ name: z.string().describe("the model family"), version: z.string() });
/** The upload's multipart fields, for the document (the handler reads the form itself: a file and a JSON manifest). */
const UploadForm = z.object({
  model: z.string().describe("the ONNX file"),
  manifest: ManifestSchema.describe("the manifest, as a JSON file or field"),
  reason: z.string().max(500).optional().describe("why (audited; or the X-Audit-Reason header)"),
});

/** The operations of this sub-app, as the API document shows them; their handlers follow. */
const definitions = {
  "GET /": route({ method: "get", path: "/", tags: ["Models"], summary: "The model registry: a family's versions, newest first", auth: "admin", request: { query: z.object({ name: z.string().optional().describe("the model family (default MODEL_NAME)") }) }, ok: { 200: "Versions" } }),
  "POST /": route({
    method: "post",
    path: "/",
    tags: ["Models"],
    summary: "Upload a model: multipart `model` (ONNX) + `manifest` (JSON); validated inside workerd, stored as staged (audited)",
    auth: "admin",
    request: { body: bodyOf(UploadForm, ["multipart/form-data"]) },
    ok: { 201: "Staged" },
  }),
  "GET /{name}/{version}": route({ method: "get", path: "/{name}/{version}", tags: ["Models"], summary: "One model version with its manifest", auth: "admin", request: { params: VersionPath }, ok: { 200: "The version" } }),
  "POST /{name}/{version}/status": route({ method: "post", path: "/{name}/{version}/status", tags: ["Models"], summary: "Move a version: staged, shadow, active or retired (audited)", auth: "admin", request: { params: VersionPath, body: jsonBody(ModelStatusBody) }, ok: { 200: "The status changes made" } }),
  "POST /{name}/rollback": route({ method: "post", path: "/{name}/rollback", tags: ["Models"], summary: "Activate the previously active version (audited)", auth: "admin", request: { params: VersionPath.pick({ name: true }), body: jsonBody(ReasonBody) }, ok: { 200: "The status changes made" } }),
};

export const modelsApi = apiApp(requireScope("admin"))
  .openapi(definitions["GET /"], async (c) => {
    const name = c.req.query("name") ?? c.env.MODEL_NAME;
    return c.json({ data: (await familyVersions(getDb(c.env.DB), name)).map((r) => view(r)) });
  })
  /** Upload: multipart `model` (ONNX) + `manifest` (JSON). Validated inside workerd, stored as staged. */
  .openapi(definitions["POST /"], async (c) => {
    const headerReason = auditReason(c.req);
    const form = await c.req.formData().catch(() => {
      throw new ApiError("bad_request", "send a multipart/form-data body with `model` and `manifest` fields");
    });
    const bytes = await fileBytes(form.get("model"), "model");
    let rawManifest: unknown;
    try {
      rawManifest = JSON.parse(new TextDecoder().decode(await fileBytes(form.get("manifest"), "manifest")));
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new ApiError("invalid_json", "manifest: not valid JSON");
    }
    checkShape({ manifest: rawManifest }, { ...MANIFEST_BOUNDS, maxDepth: MANIFEST_BOUNDS.maxDepth + 1 });
    const manifest = parseOrThrow(ManifestSchema, rawManifest);
    const served = await servedModelFamilies(c.env, getDb(c.env.DB));
    if (!served.includes(manifest.name)) {
      throw new ApiError("validation_failed", `manifest.name "${manifest.name}" is not a model family this router serves (${served.join(", ")}): retrain or rename it with --name ${served[0]}`);
    }
    const sha = await sha256Hex(bytes);
    if (sha !== manifest.sha256) throw new ApiError("validation_failed", `model: sha256 ${sha} does not match the manifest's ${manifest.sha256}`);
    let session;
    try {
      session = await createSession(bytes);
    } catch (err) {
      throw new ApiError("validation_failed", `model: onnxruntime cannot load it (${String(err).slice(0, 200)})`);
    }
    try {
      const problems = await validateModel(manifest, session, (rows, dim) => runWorkerBatch(session, manifest.input.name, manifest.output.name, rows, dim));
      if (problems.length > 0) throw new ApiError("validation_failed", problems.join("; "));
    } finally {
      await session.release();
    }
    const db = getDb(c.env.DB);
    const exists = (await familyVersions(db, manifest.name)).find((r) => r.version === manifest.version);
    if (exists) throw new ApiError("conflict", `${manifest.name} ${manifest.version} exists; give the new model another version`);
    const { row } = await registerModel(db, c.env.MODELS, bytes, manifest, "staged");
    const note = form.get("reason");
    const reason = typeof note === "string" && note.trim() ? note.trim().slice(0, 500) : headerReason;
    await auditRow(db, { actor: c.get("token").name, action: "model.upload", entityType: "model", entityId: `${row.name}@${row.version}`, before: null, after: { status: "staged", sha256: row.sha256 }, reason });
    return c.json(view(row), 201);
  })
  .openapi(definitions["GET /{name}/{version}"], async (c) => {
    const row = (await familyVersions(getDb(c.env.DB), c.req.param("name"))).find((r) => r.version === c.req.param("version"));
    if (!row) throw new ApiError("not_found", "no such model version");
    return c.json(view(row, true));
  })
  .openapi(definitions["POST /{name}/{version}/status"], async (c) => {
    const { to, reason } = parseOrThrow(ModelStatusBody, await readJson(c.req));
    const name = c.req.param("name");
    const family = await familyVersions(getDb(c.env.DB), name);
    if (family.length === 0) throw new ApiError("not_found", `no model named ${name}`);
    const changes = await applyPlan(c, name, planTransition(family, c.req.param("version"), to), reason);
    return c.json({ changes });
  })
  .openapi(definitions["POST /{name}/rollback"], async (c) => {
    const { reason } = parseOrThrow(ReasonBody, await readJson(c.req));
    const name = c.req.param("name");
    const family = await familyVersions(getDb(c.env.DB), name);
    if (family.length === 0) throw new ApiError("not_found", `no model named ${name}`);
    const changes = await applyPlan(c, name, planRollback(family), reason);
    return c.json({ changes });
  });
