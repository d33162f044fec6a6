import { raiseAlert, resolveAlert } from "../db/alerts.ts";
import { getDb } from "../db/client.ts";
import { familyVersions, liveModels, type LiveRows, type ModelRow } from "../db/models.ts";
import { sha256Hex } from "../lib/hashing.ts";
import { registerCache, ttlCache } from "../lib/ttl-cache.ts";
import { parseManifest, type Manifest } from "./manifest.ts";
import { createSession, type OrtSession } from "./ort.ts";

/** A model ready to score: its registry row, parsed manifest and an ORT session. */
export type LoadedModel = {
  name: string;
  version: string;
  sha256: string;
  manifest: Manifest;
  session: OrtSession;
};

/** How long an isolate trusts its view of which version is active: a change reaches new leads within it. */
export const REGISTRY_TTL_MS = 5_000;

// Per-isolate caches. Sessions are keyed by the artifact's sha256 (two versions with the same bytes share
// one, a version back from a rollback finds its own); manifests by registry row, since versions that
// share bytes may still differ in calibration or feature spec. Only resolved values are cached, never a
// pending promise: a promise tied to one request's I/O must not be awaited by another request.
const sessions = new Map<string, OrtSession>();
const manifests = new Map<number, Manifest>();
const registry = ttlCache<string, LiveRows>(REGISTRY_TTL_MS);
// Registry rows of versions asked for by name (an experiment's challenger on every lead of its arm).
const versionRows = ttlCache<string, ModelRow | undefined>(REGISTRY_TTL_MS);

/** Forgets which versions are live, so the next lead reads the registry again (after an admin change). */
export function invalidateRegistry(): void {
  registry.invalidate();
  versionRows.invalidate();
}

/** Drops every cached session and manifest, as a fresh isolate would start. */
export function dropModelCaches(): void {
  sessions.clear();
  manifests.clear();
  alerted.clear();
  invalidateRegistry();
}
registerCache({ invalidate: dropModelCaches });

/** When this isolate last raised the `model_unavailable` alert, per model family: at most once a minute. */
const alerted = new Map<string, number>();
const ALERT_EVERY_MS = 60_000;

/** Raises (or, once the model loads again, resolves) the alert that the family routes on rules only. */
async function trackAvailability(env: Env, name: string, error: string | undefined): Promise<void> {
  const last = alerted.get(name);
  const db = getDb(env.DB);
  if (error === undefined) {
    if (last === undefined) return;
    alerted.delete(name);
    await resolveAlert(db, "model_unavailable", name);
  } else if (last === undefined || Date.now() - last >= ALERT_EVERY_MS) {
    alerted.set(name, Date.now());
    await raiseAlert(db, { kind: "model_unavailable", subject: name, severity: "alert", message: `${error}; leads are routed on rules only` });
  }
}

async function loadSession(bucket: R2Bucket, row: ModelRow): Promise<OrtSession> {
  const object = await bucket.get(row.artifactKey);
  if (!object) throw new Error(`artifact ${row.artifactKey} is missing from R2`);
  const bytes = new Uint8Array(await object.arrayBuffer());
  const sha = await sha256Hex(bytes);
  if (sha !== row.sha256) throw new Error(`artifact ${row.artifactKey} sha256 ${sha} does not match ${row.sha256}`);
  return createSession(bytes);
}

async function cachedModel(bucket: R2Bucket, row: ModelRow): Promise<LoadedModel> {
  let manifest = manifests.get(row.id);
  if (!manifest) {
    manifest = parseManifest(row);
    manifests.set(row.id, manifest);
  }
  let session = sessions.get(row.sha256);
  if (!session) {
    // A failed load is not cached: the next lead tries again (the artifact may be re-uploaded). Leads that
    // miss together each load; the first to finish is kept.
    const loaded = await loadSession(bucket, row);
    session = sessions.get(row.sha256);
    if (session) void loaded.release();
    else sessions.set(row.sha256, (session = loaded));
  }
  return { name: row.name, version: row.version, sha256: row.sha256, manifest, session };
}

export type LiveModels = { active?: LoadedModel; shadow?: LoadedModel; error?: string };

/** The registry's active and shadow rows of the family `name`, as this isolate last read them (REGISTRY_TTL_MS). */
export function liveModelRows(env: Env, name: string): Promise<LiveRows> {
  return registry.get(name, () => liveModels(getDb(env.DB), name));
}

/**
 * Loads the ORT sessions of a family's registry rows into this isolate's cache (the artifacts from R2), raising
 * nothing: a guess made before the lead's family is known. Never rejects; getLiveModels reports any failure.
 */
export async function preloadModels(env: Env, rowsRead: Promise<LiveRows>): Promise<void> {
  const rows = await rowsRead.catch(() => ({}) as LiveRows);
  await Promise.allSettled([rows.active, rows.shadow].flatMap((row) => (row ? [cachedModel(env.MODELS, row)] : [])));
}

/**
 * The active (and shadow) model of the family `name`, loaded and cached. Never throws: when the active
 * model cannot be loaded, `active` is undefined and `error` says why, so the caller routes on rules.
 * `rowsRead`: the family's registry rows when the caller already started reading them.
 */
export async function getLiveModels(env: Env, name: string, rowsRead = liveModelRows(env, name)): Promise<LiveModels> {
  let rows: LiveRows;
  try {
    rows = await rowsRead;
  } catch (err) {
    return { error: `model registry unavailable: ${String(err)}` };
  }
  const [active, shadow] = await Promise.allSettled([
    rows.active ? cachedModel(env.MODELS, rows.active) : Promise.resolve(undefined),
    rows.shadow ? cachedModel(env.MODELS, rows.shadow) : Promise.resolve(undefined),
  ]);
  const result: LiveModels = {};
  if (active.status === "fulfilled") result.active = active.value;
  else result.error = `active model unusable: ${String(active.reason)}`;
  if (!rows.active) result.error = `no active version of model ${name}`;
  if (shadow.status === "fulfilled") result.shadow = shadow.value;
  // An alert that cannot be written must not cost the lead its decision.
  await trackAvailability(env, name, result.error).catch((err) => console.error("could not record the model alert", err));
  return result;
}

/** One version of a model family, loaded (for replay under another version). Undefined if unknown. */
export async function getModelVersion(env: Env, name: string, version: string): Promise<LoadedModel | undefined> {
  const key = `${name}@${version}`;
  const row = await versionRows.get(key, async () => (await familyVersions(getDb(env.DB), name)).find((r) => r.version === version));
  // An unknown version is not remembered: it may be uploaded a moment later.
  if (!row) {
    versionRows.invalidate(key);
    return undefined;
  }
  return cachedModel(env.MODELS, row);
}
