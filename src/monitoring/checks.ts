import { and, count, desc, eq, lt } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import { liveModels } from "../db/models.ts";
import { monitoringRuns } from "../db/schema-governance.ts";
import { decisions, leads } from "../db/schema.ts";
import { calibrationReport } from "./calibration.ts";
import { servedModelFamilies } from "../scoring/families.ts";
import { runDriftCheck } from "./drift-check.ts";
import { opsSummary } from "./ops.ts";
import { decisionsInWindow, latestPerLead, outcomesInWindow } from "./window.ts";

const HOUR = 3_600_000;
/** Calibration looks back this far: outcomes take weeks to arrive. */
export const CALIBRATION_WINDOW_MS = 90 * 24 * HOUR;
/** Operations are summarised over the last hour. */
export const OPS_WINDOW_MS = HOUR;
/** The cron fires every minute; the monitoring checks run at most this often. */
export const MONITOR_EVERY_MS = 10 * 60_000;
/** ECE at or above which a calibration run warns. */
export const ECE_WARN = 0.1;

/**
 * Predicted against observed conversion for the decisions of `family`'s active model whose leads have
 * outcomes, stored as a `calibration` run (Brier, ECE, deciles). `insufficient` until an outcome arrives.
 */
export async function runCalibrationCheck(env: Env, now = Date.now(), family: string = env.MODEL_NAME) {
  const db = getDb(env.DB);
  const { active } = await liveModels(db, family);
  if (!active) return null;
  const windowFrom = now - CALIBRATION_WINDOW_MS;
  const [rows, labels] = await Promise.all([decisionsInWindow(db, windowFrom, now, 5_000), outcomesInWindow(db, windowFrom, now)]);
  const labelled = latestPerLead(rows).filter((r) => r.modelName === family && r.modelVersion === active.version && r.probability !== null && labels.has(r.leadId));
  const report = calibrationReport(labelled.map((r) => r.probability!), labelled.map((r) => labels.get(r.leadId)!.converted));
  const level = !report ? "insufficient" : report.ece >= ECE_WARN ? "warn" : "ok";
  await db.insert(monitoringRuns).values({ kind: "calibration", modelName: active.name, modelVersion: active.version, windowFrom, windowTo: now, n: report?.n ?? 0, level, result: report ?? {} });
  return { level, report };
}

/** Latency percentiles per stage, fallback and error rates, SLA breaches, queue depth and pending leads (optionally one team's). */
export async function opsSnapshot(env: Env, now = Date.now(), windowMs = OPS_WINDOW_MS, teamId: string | null = null) {
  const db = getDb(env.DB);
  const windowFrom = now - windowMs;
  const [rows, queued, pending] = await Promise.all([
    decisionsInWindow(db, windowFrom, now, 5_000, teamId),
    db.select({ n: count() }).from(decisions).where(and(eq(decisions.isCurrent, true), eq(decisions.outcome, "queued"), teamId === null ? undefined : eq(decisions.teamId, teamId))).get(),
    db.select({ n: count() }).from(leads).where(and(eq(leads.status, "pending"), lt(leads.receivedAt, now - 30_000), teamId === null ? undefined : eq(leads.teamId, teamId))).get(),
  ]);
  return { windowFrom, windowTo: now, ...opsSummary(rows), queueDepth: queued?.n ?? 0, stalePending: pending?.n ?? 0 };
}

export async function runOpsCheck(env: Env, now = Date.now()) {
  const snapshot = await opsSnapshot(env, now);
  const level = snapshot.stalePending > 0 || snapshot.errorRate > 0.05 ? "warn" : "ok";
  await getDb(env.DB).insert(monitoringRuns).values({ kind: "ops", windowFrom: snapshot.windowFrom, windowTo: now, n: snapshot.decisions, level, result: snapshot });
  return { level, snapshot };
}

/**
 * The cron's monitoring step: drift, calibration and operations, at most every MONITOR_EVERY_MS (the
 * trigger fires every minute). Each check stands alone: one failing does not stop the others.
 */
export async function runMonitoring(env: Env, now = Date.now()): Promise<{ ran: boolean; failed: string[] }> {
  const db = getDb(env.DB);
  const last = await db.select({ at: monitoringRuns.windowTo }).from(monitoringRuns).where(eq(monitoringRuns.kind, "ops")).orderBy(desc(monitoringRuns.id)).limit(1).get();
  if (last && now - last.at < MONITOR_EVERY_MS) return { ran: false, failed: [] };
  const failed: string[] = [];
  // Drift and calibration run for every model family a team scores with; operations once.
  const families = await servedModelFamilies(env, db).catch(() => [env.MODEL_NAME]);
  const checks: [string, () => Promise<unknown>][] = [
    ...families.flatMap((f): [string, () => Promise<unknown>][] => [
      [`drift ${f}`, () => runDriftCheck(env, now, f)],
      [`calibration ${f}`, () => runCalibrationCheck(env, now, f)],
    ]),
    ["ops", () => runOpsCheck(env, now)],
  ];
  for (const [name, check] of checks) {
    try {
      await check();
    } catch (err) {
      console.error(`monitoring check ${name} failed`, err);
      failed.push(name.split(" ")[0]!);
    }
  }
  return { ran: true, failed };
}
