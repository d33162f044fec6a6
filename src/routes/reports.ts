import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env.ts";
import { getDb } from "../db/client.ts";
import { parseOrThrow } from "../lib/validate.ts";
import { calibrationReport } from "../monitoring/calibration.ts";
import { opsSnapshot, runCalibrationCheck, runOpsCheck } from "../monitoring/checks.ts";
import { runDriftCheck } from "../monitoring/drift-check.ts";
import { fairnessReport } from "../monitoring/fairness.ts";
import { monitoringHistory } from "../monitoring/history.ts";
import { modelTimeline, repLoad, routingOverview, shadowReport } from "../monitoring/overview.ts";
import { decisionsInWindow, latestPerLead, outcomesInWindow } from "../monitoring/window.ts";
import { getActivePolicy } from "../routing/policy-store.ts";
import { rulesOnlySwitchesOn } from "../routing/rules-only.ts";
import { FairnessQuery, ReportQuery } from "../schemas/governance.ts";

const HistoryQuery = z.object({ runs: z.coerce.number().int().min(1).max(500).default(100) });

/** Governance reports (JSON) for sales ops and the dashboard: monitoring, routing, fairness, shadow models. */
export const reportsApi = new Hono<AppEnv>()
  .get("/reports/drift", async (c) => {
    const { runs } = parseOrThrow(HistoryQuery, c.req.query());
    const history = await monitoringHistory(getDb(c.env.DB), "drift", runs);
    return c.json({ latest: history[history.length - 1] ?? null, history });
  })
  .get("/reports/calibration", async (c) => {
    const { from, to } = parseOrThrow(ReportQuery, c.req.query());
    const { runs } = parseOrThrow(HistoryQuery, c.req.query());
    const db = getDb(c.env.DB);
    const [rows, labels, history] = await Promise.all([decisionsInWindow(db, from, to, 5_000), outcomesInWindow(db, from, to), monitoringHistory(db, "calibration", runs)]);
    const labelled = latestPerLead(rows).filter((r) => r.probability !== null && labels.has(r.leadId));
    const now = calibrationReport(labelled.map((r) => r.probability!), labelled.map((r) => labels.get(r.leadId)!.converted));
    return c.json({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), current: now, history: history.map((h) => ({ at: h.at, modelVersion: h.modelVersion, n: h.n, level: h.level, brier: (h.result as { brier?: number }).brier ?? null, ece: (h.result as { ece?: number }).ece ?? null })) });
  })
  .get("/reports/ops", async (c) => {
    const { from, to } = parseOrThrow(ReportQuery, c.req.query());
    const { runs } = parseOrThrow(HistoryQuery, c.req.query());
    const [current, history] = await Promise.all([opsSnapshot(c.env, to, to - from), monitoringHistory(getDb(c.env.DB), "ops", runs)]);
    return c.json({ current, history: history.map((h) => ({ at: h.at, level: h.level, ...(h.result as object) })) });
  })
  .get("/reports/fairness", async (c) => {
    const { from, to } = parseOrThrow(ReportQuery, c.req.query());
    const { fields } = parseOrThrow(FairnessQuery, c.req.query());
    const db = getDb(c.env.DB);
    const [rows, labels, { policy }] = await Promise.all([decisionsInWindow(db, from, to, 5_000), outcomesInWindow(db, from, to), getActivePolicy(c.env)]);
    const aeTiers = new Set(policy.tiers.filter((t) => t.pool === "ae").map((t) => t.name));
    const current = rows.filter((r) => r.isCurrent);
    // Country, size band and source always; then every field the policy's rules name, and any asked for.
    const segmentBy = [...new Set(["country", "size_band", "source", ...policy.rules.map((r) => r.path), ...fields])];
    return c.json({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), aeTiers: [...aeTiers], ...fairnessReport(current, labels, segmentBy, aeTiers) });
  })
  .get("/reports/routing", async (c) => {
    const { from, to } = parseOrThrow(ReportQuery, c.req.query());
    const [overview, load, models, switches] = await Promise.all([routingOverview(c.env, from, to), repLoad(c.env), modelTimeline(c.env), rulesOnlySwitchesOn(getDb(c.env.DB))]);
    const rulesOnly = switches.map((s) => ({ teamId: s.teamId, reason: s.reason, setBy: s.setBy, setAt: new Date(s.setAt).toISOString() }));
    return c.json({ ...overview, repLoad: load, models, rulesOnly });
  })
  /** Runs the cron's monitoring checks now (drift, calibration, operations) and answers with their results. */
  .post("/monitoring/run", async (c) => {
    const now = Date.now();
    const [drift, calibration, ops] = await Promise.all([runDriftCheck(c.env, now), runCalibrationCheck(c.env, now), runOpsCheck(c.env, now)]);
    return c.json({ drift, calibration, ops: ops.level });
  })
  .get("/reports/shadow", async (c) => {
    const { from, to } = parseOrThrow(ReportQuery, c.req.query());
    return c.json({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), data: await shadowReport(c.env, from, to) });
  });
