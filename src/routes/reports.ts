import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env.ts";
import { apiApp, route, type Auth } from "../lib/openapi-route.ts";
import { listAlerts } from "../db/alerts.ts";
import { getDb } from "../db/client.ts";
import { existingScopedTeam } from "../lib/team-scope.ts";
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
import { familyForTeam } from "../scoring/team-family.ts";

const HistoryQuery = z.object({ runs: z.coerce.number().int().min(1).max(500).default(100).describe("how many checks of the history (1-500, default 100)") });
const AlertsQuery = z.object({ all: z.enum(["0", "1", "true", "false"]).optional().describe("1 or true: resolved ones too") });
/** Documents `team` (read by teamOf): admin tokens name one team; a team-bound token always gets its own (another is 403). */
const TEAM = { team: z.string().optional().describe("admin tokens: one team (a team-bound token always gets its own; another is 403)") };

/**
 * The team a report covers: a team-bound token's own, or the `team` an admin names; null (admin only)
 * covers every team. Its model family is the one drift and calibration history follow.
 */
async function teamOf(c: Context<AppEnv>) {
  const team = await existingScopedTeam(getDb(c.env.DB), c.get("token"), c.req.query("team"));
  return { team, family: team === null ? null : await familyForTeam(c.env, team) };
}

/**
 * Governance reports (JSON) for sales ops and the dashboard: monitoring, routing, fairness, shadow models,
 * alerts. Mounted twice: under /v1/admin/reports (admin; `?team=` narrows to one team) and under
 * /v1/reports for team-bound tokens, which see their own team only; `auth` and `tag` document each mount.
 */
export const reportsApi = (auth: Auth, tag: string) =>
  apiApp()
    .openapi(
      route({ method: "get", path: "/drift", tags: [tag], summary: "Drift checks (PSI per feature and for the score against the active model's reference), oldest first", auth, request: { query: HistoryQuery.extend(TEAM) }, ok: { 200: "The latest check and the history" } }),
      async (c) => {
        const { runs } = parseOrThrow(HistoryQuery, c.req.query());
        const { team, family } = await teamOf(c);
        const history = await monitoringHistory(getDb(c.env.DB), "drift", runs, family);
        return c.json({ team, modelFamily: family, latest: history[history.length - 1] ?? null, history });
      },
    )
    .openapi(
      route({ method: "get", path: "/calibration", tags: [tag], summary: "Predicted vs observed conversion by decile, Brier and ECE; history of calibration checks", auth, request: { query: ReportQuery.in.extend(TEAM).extend(HistoryQuery.shape) }, ok: { 200: "Calibration now and over time" } }),
      async (c) => {
        const { from, to } = parseOrThrow(ReportQuery, c.req.query());
        const { runs } = parseOrThrow(HistoryQuery, c.req.query());
        const { team, family } = await teamOf(c);
        const db = getDb(c.env.DB);
        const [rows, labels, history] = await Promise.all([decisionsInWindow(db, from, to, 5_000, team), outcomesInWindow(db, from, to, team), monitoringHistory(db, "calibration", runs, family)]);
        const labelled = latestPerLead(rows).filter((r) => r.probability !== null && labels.has(r.leadId));
        const now = calibrationReport(labelled.map((r) => r.probability!), labelled.map((r) => labels.get(r.leadId)!.converted));
        return c.json({ team, modelFamily: family, from: new Date(from).toISOString(), to: new Date(to).toISOString(), current: now, history: history.map((h) => ({ at: h.at, modelVersion: h.modelVersion, n: h.n, level: h.level, brier: (h.result as { brier?: number }).brier ?? null, ece: (h.result as { ece?: number }).ece ?? null })) });
      },
    )
    .openapi(
      route({ method: "get", path: "/ops", tags: [tag], summary: "Latency percentiles per stage, fallback and error rates, SLA breaches, queue depth", auth, request: { query: ReportQuery.in.extend(TEAM).extend(HistoryQuery.shape) }, ok: { 200: "Operations now and over time" } }),
      async (c) => {
        const { from, to } = parseOrThrow(ReportQuery, c.req.query());
        const { runs } = parseOrThrow(HistoryQuery, c.req.query());
        const { team } = await teamOf(c);
        // Stored operations runs summarise every team: a team's report has its current snapshot only.
        const [current, history] = await Promise.all([opsSnapshot(c.env, to, to - from, team), team === null ? monitoringHistory(getDb(c.env.DB), "ops", runs) : Promise.resolve([])]);
        return c.json({ team, current, history: history.map((h) => ({ at: h.at, level: h.level, ...(h.result as object) })) });
      },
    )
    .openapi(
      route({
        method: "get",
        path: "/fairness",
        tags: [tag],
        summary: "By segment (country, size band, source, fields the policy rules name, extra fields): tier rates, calibration, disparate impact of AE routing; per rep: lead-quality parity",
        auth,
        request: { query: ReportQuery.in.extend(TEAM).extend(FairnessQuery.shape) },
        ok: { 200: "The fairness report" },
      }),
      async (c) => {
        const { from, to } = parseOrThrow(ReportQuery, c.req.query());
        const { fields } = parseOrThrow(FairnessQuery, c.req.query());
        const { team } = await teamOf(c);
        const db = getDb(c.env.DB);
        const [rows, labels, { policy }] = await Promise.all([decisionsInWindow(db, from, to, 5_000, team), outcomesInWindow(db, from, to, team), getActivePolicy(c.env, team)]);
        const aeTiers = new Set(policy.tiers.filter((t) => t.pool === "ae").map((t) => t.name));
        const current = rows.filter((r) => r.isCurrent);
        // Country, size band and source always; then every field the policy's rules name, and any asked for.
        const segmentBy = [...new Set(["country", "size_band", "source", ...policy.rules.map((r) => r.path), ...fields])];
        return c.json({ team, from: new Date(from).toISOString(), to: new Date(to).toISOString(), aeTiers: [...aeTiers], ...fairnessReport(current, labels, segmentBy, aeTiers) });
      },
    )
    .openapi(
      route({
        method: "get",
        path: "/routing",
        tags: [tag],
        summary: "Score distribution, routing by tier and rep, each rep's share against its weight's share, rep load against capacity, model timeline, rules-only switches, recent decisions",
        auth,
        request: { query: ReportQuery.in.extend(TEAM) },
        ok: { 200: "The overview" },
      }),
      async (c) => {
        const { from, to } = parseOrThrow(ReportQuery, c.req.query());
        const { team, family } = await teamOf(c);
        const [overview, load, models, switches] = await Promise.all([
          routingOverview(c.env, from, to, team),
          repLoad(c.env, team),
          modelTimeline(c.env, family ?? c.env.MODEL_NAME),
          rulesOnlySwitchesOn(getDb(c.env.DB)),
        ]);
        const rulesOnly = switches
          .filter((s) => team === null || s.teamId === team)
          .map((s) => ({ teamId: s.teamId, reason: s.reason, setBy: s.setBy, setAt: new Date(s.setAt).toISOString() }));
        return c.json({ team, ...overview, repLoad: load, models, rulesOnly });
      },
    )
    .openapi(
      route({ method: "get", path: "/shadow", tags: [tag], summary: "Shadow model results: tier agreement, mean |Δp|, Brier and AUC of both models on the same leads", auth, request: { query: ReportQuery.in.extend(TEAM) }, ok: { 200: "Per shadow version" } }),
      async (c) => {
        const { from, to } = parseOrThrow(ReportQuery, c.req.query());
        const { team } = await teamOf(c);
        return c.json({ team, from: new Date(from).toISOString(), to: new Date(to).toISOString(), data: await shadowReport(c.env, from, to, team) });
      },
    )
    .openapi(
      route({ method: "get", path: "/alerts", tags: [tag], summary: "Alerts (open unless all=1); with a team, those about the team and its model family", auth, request: { query: AlertsQuery.extend(TEAM) }, ok: { 200: "Alerts" } }),
      async (c) => {
        const { all } = parseOrThrow(AlertsQuery, c.req.query());
        const { team, family } = await teamOf(c);
        // A team's alerts: those about the team itself and about the model family it scores with.
        const subjects = team === null ? null : [`team:${team}`, family!];
        return c.json({ team, data: await listAlerts(getDb(c.env.DB), all === "1" || all === "true", 100, subjects) });
      },
    );

/** Runs the cron's monitoring checks now (drift, calibration, operations) and answers with their results (admin). */
const monitoringRun = route({ method: "post", path: "/monitoring/run", tags: ["Governance"], summary: "Run the cron's monitoring checks now (drift, calibration, operations)", auth: "admin", ok: { 200: "The results" } });

export const monitoringRunApi = apiApp().openapi(monitoringRun, async (c) => {
  const now = Date.now();
  const [drift, calibration, ops] = await Promise.all([runDriftCheck(c.env, now), runCalibrationCheck(c.env, now), runOpsCheck(c.env, now)]);
  return c.json({ drift, calibration, ops: ops.level });
});
