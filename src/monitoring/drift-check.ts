import { and, desc, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { getDb } from "../db/client.ts";
import { liveModels } from "../db/models.ts";
import { parseManifest } from "../scoring/manifest.ts";
import { monitoringRuns } from "../db/schema-governance.ts";
import type { Policy } from "../routing/policy.ts";
import { getActivePolicy } from "../routing/policy-store.ts";
import { computeFeatures, featureColumns } from "../scoring/features.ts";
import { familyOwner, teamsOfFamily } from "../scoring/team-family.ts";
import type { Manifest } from "../scoring/manifest.ts";
import { driftReport, type DriftReport } from "./psi.ts";
import { decisionsInWindow, latestPerLead, type WindowRow } from "./window.ts";
import { ttlCache } from "../lib/ttl-cache.ts";

export type DriftCheck = DriftReport & { id: number; modelName: string; modelVersion: string; windowFrom: number; windowTo: number };

/**
 * The feature values a lead's decision saw: lineage's when the active version scored it, otherwise
 * (rules only, or another version) recomputed from the payload with the active manifest, so the check
 * still sees live inputs while a drift guard keeps the model out of routing.
 */
function liveFeatures(manifest: Manifest, version: string, columns: string[], row: WindowRow): Record<string, unknown> {
  if (row.modelVersion === version && Object.keys(row.features).length > 0) return row.features;
  if (row.modelVersion === version && row.vector.length === columns.length) return Object.fromEntries(columns.map((c, i) => [c, row.vector[i]]));
  const vector = computeFeatures(manifest.features, row.payload);
  return Object.fromEntries(columns.map((c, i) => [c, vector[i]]));
}

/**
 * Compares the live window (each lead's newest decision in the policy's drift window, of the teams that
 * score with `family`) with the family's active model's reference histograms and stores the result as a
 * `drift` monitoring run. Null when there is no active model or its manifest carries no reference. The
 * thresholds are the default policy's, or for a team's own family that team's policy's.
 */
export async function runDriftCheck(env: Env, now = Date.now(), family: string = env.MODEL_NAME): Promise<DriftCheck | null> {
  const db = getDb(env.DB);
  const [{ active }, { policy }, inFamily] = await Promise.all([liveModels(db, family), familyOwner(env, family).then((team) => getActivePolicy(env, team)), teamsOfFamily(env, family)]);
  if (!active) return null;
  const manifest = parseManifest(active);
  if (!manifest.reference) return null;
  const settings = policy.drift;
  const windowFrom = now - settings.windowHours * 3_600_000;
  const rows = latestPerLead((await decisionsInWindow(db, windowFrom, now)).filter((r) => inFamily(r.teamId)));
  const columns = featureColumns(manifest.features);
  const report = driftReport(
    manifest.reference,
    {
      rows: rows.map((r) => liveFeatures(manifest, active.version, columns, r)),
      scores: rows.filter((r) => r.modelVersion === active.version && r.probability !== null).map((r) => r.probability!),
    },
    settings,
  );
  const stored = await db
    .insert(monitoringRuns)
    .values({ kind: "drift", modelName: active.name, modelVersion: active.version, windowFrom, windowTo: now, n: report.n, level: report.status, result: { ...report, thresholds: { warn: settings.warn, alert: settings.alert } } })
    .returning({ id: monitoringRuns.id })
    .get();
  invalidateDriftRuns();
  return { ...report, id: stored.id, modelName: active.name, modelVersion: active.version, windowFrom, windowTo: now };
}

/** The latest drift run of a model family. */
export function latestDriftRun(db: Db, modelName: string) {
  return db.select().from(monitoringRuns).where(and(eq(monitoringRuns.kind, "drift"), eq(monitoringRuns.modelName, modelName))).orderBy(desc(monitoringRuns.id)).limit(1).get();
}

type DriftRun = Awaited<ReturnType<typeof latestDriftRun>>;

/** How long an isolate trusts the latest drift run it read (as for the active policy): checks run on the cron. */
const DRIFT_RUN_TTL_MS = 5_000;
const latestRuns = ttlCache<string, DriftRun>(DRIFT_RUN_TTL_MS);

export function invalidateDriftRuns(): void {
  latestRuns.invalidate();
}

function cachedDriftRun(env: Env, modelName: string): Promise<DriftRun> {
  return latestRuns.get(modelName, () => latestDriftRun(getDb(env.DB), modelName));
}

/**
 * Why the model must stay out of routing right now, or null: the policy's drift guard is `rule_only`
 * and the latest drift check of this exact model version alerted. A later check that no longer alerts
 * (or a new active version) lifts it. Each isolate reads the latest run at most every few seconds.
 */
export async function driftGuardReason(env: Env, policy: Policy, model: { name: string; version: string } | undefined): Promise<string | null> {
  if (policy.drift.guard !== "rule_only" || !model) return null;
  const run = await cachedDriftRun(env, model.name);
  if (!run || run.level !== "alert" || run.modelVersion !== model.version) return null;
  const worst = (run.result as DriftReport).worst;
  return `drift guard: check ${run.id} alerted${worst ? ` (${worst.name} PSI ${worst.psi.toFixed(3)})` : ""}; routing on rules`;
}
