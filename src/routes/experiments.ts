import { and, desc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { AppEnv } from "../app-env.ts";
import { apiApp, jsonBody, route } from "../lib/openapi-route.ts";
import { auditRow } from "../db/audit.ts";
import { getDb } from "../db/client.ts";
import { familyVersions } from "../db/models.ts";
import { experiments } from "../db/schema-governance.ts";
import { ApiError } from "../lib/errors.ts";
import { parseOrThrow, readJson } from "../lib/validate.ts";
import { experimentResults } from "../monitoring/experiments.ts";
import { existingScopedTeam, scopedTeam } from "../lib/team-scope.ts";
import { invalidateExperiments } from "../routing/experiment-arm.ts";
import { getPolicyRecord } from "../routing/policy-store.ts";
import { familyForTeam } from "../scoring/team-family.ts";
import { ReasonBody } from "../schemas/admin.ts";
import { ExperimentBody } from "../schemas/governance.ts";

const view = (e: typeof experiments.$inferSelect) => ({
  ...e,
  startedAt: new Date(e.startedAt).toISOString(),
  stoppedAt: e.stoppedAt === null ? null : new Date(e.stoppedAt).toISOString(),
  createdAt: new Date(e.createdAt).toISOString(),
});

/** Another team's experiment answers like a missing one to a team-bound token. */
const visibleTo = (own: string | null, e: typeof experiments.$inferSelect) => own === null || e.teamId === own;

const IdPath = z.object({ id: z.string() });

/** The operations of this sub-app, as the API document shows them; their handlers follow. */
const definitions = {
  "GET /experiments": route({ method: "get", path: "/experiments", tags: ["Governance"], summary: "Experiments, newest first (a team-bound token: its team's)", auth: "admin", request: { query: z.object({ team: z.string().optional().describe("one team's experiments") }) }, ok: { 200: "Experiments" } }),
  "POST /experiments": route({ method: "post", path: "/experiments", tags: ["Governance"], summary: "Start a champion/challenger (model) or policy A/B test: leads split by a hash of their id, with a holdout (audited)", auth: "admin", request: { body: jsonBody(ExperimentBody) }, ok: { 201: "Running" } }),
  "POST /experiments/{id}/stop": route({ method: "post", path: "/experiments/{id}/stop", tags: ["Governance"], summary: "Stop an experiment (audited)", auth: "admin", request: { params: IdPath, body: jsonBody(ReasonBody) }, ok: { 200: "Stopped" } }),
  "GET /experiments/{id}/results": route({ method: "get", path: "/experiments/{id}/results", tags: ["Governance"], summary: "Per arm: conversion with Wilson intervals, difference vs baseline, time to first action", auth: "admin", request: { params: IdPath }, ok: { 200: "The results" } }),
};

/**
 * Champion/challenger and policy A/B tests, per team (`teamId`; null splits the leads of teams on the
 * default policy / model family). Leads are split by a hash of their id (stable, stateless); at most one
 * experiment of each kind runs per team at a time. Starting and stopping are audited.
 */
export const experimentsApi = apiApp()
  .openapi(definitions["GET /experiments"], async (c) => {
    const team = scopedTeam(c.get("token"), c.req.query("team"));
    const rows = await getDb(c.env.DB).select().from(experiments).where(team ? eq(experiments.teamId, team) : undefined).orderBy(desc(experiments.createdAt));
    return c.json({ data: rows.map(view) });
  })
  .openapi(definitions["POST /experiments"], async (c) => {
    const { reason, ...input } = parseOrThrow(ExperimentBody, await readJson(c.req));
    const db = getDb(c.env.DB);
    // A team-bound token starts its own team's experiments only (not the default's, which split every team).
    if (c.get("token").teamId !== null && input.teamId !== c.get("token").teamId) throw new ApiError("forbidden", `this token acts for team ${c.get("token").teamId} only`);
    if (input.teamId !== null) await existingScopedTeam(db, c.get("token"), input.teamId);
    if (input.kind === "policy") {
      for (const arm of input.arms) {
        // An arm runs one of the team's own versions, or a version of the default policy.
        const record = await getPolicyRecord(c.env, arm.policyVersion!);
        if (!record || (record.owner !== null && record.owner !== input.teamId)) throw new ApiError("validation_failed", `arms: no policy version ${arm.policyVersion}${input.teamId ? ` of team ${input.teamId}` : ""}`);
      }
    } else {
      const family = await familyVersions(db, await familyForTeam(c.env, input.teamId));
      for (const arm of input.arms) {
        const row = family.find((r) => r.version === arm.modelVersion);
        if (!row || row.status === "retired") throw new ApiError("validation_failed", `arms: no live model version ${arm.modelVersion} (staged, shadow or active)`);
      }
    }
    if (await db.select().from(experiments).where(eq(experiments.id, input.id)).get()) throw new ApiError("conflict", `experiment ${input.id} exists`);
    const sameTeam = input.teamId === null ? isNull(experiments.teamId) : eq(experiments.teamId, input.teamId);
    if (await db.select().from(experiments).where(and(eq(experiments.kind, input.kind), eq(experiments.status, "running"), sameTeam)).get()) {
      throw new ApiError("conflict", `a ${input.kind} experiment is already running${input.teamId ? ` for team ${input.teamId}` : ""}; stop it first`);
    }
    const row = { ...input, status: "running" as const, startedAt: Date.now() };
    await db.batch([
      db.insert(experiments).values(row),
      auditRow(db, { actor: c.get("token").name, action: "experiment.start", entityType: "experiment", entityId: input.id, before: null, after: row, reason }),
    ]);
    invalidateExperiments();
    return c.json(view((await db.select().from(experiments).where(eq(experiments.id, input.id)).get())!), 201);
  })
  .openapi(definitions["POST /experiments/{id}/stop"], async (c) => {
    const { reason } = parseOrThrow(ReasonBody, await readJson(c.req));
    const db = getDb(c.env.DB);
    const before = await db.select().from(experiments).where(eq(experiments.id, c.req.param("id"))).get();
    if (!before || !visibleTo(c.get("token").teamId, before)) throw new ApiError("not_found", "no such experiment");
    if (before.status !== "running") throw new ApiError("conflict", "the experiment is not running");
    const stoppedAt = Date.now();
    await db.batch([
      db.update(experiments).set({ status: "stopped", stoppedAt }).where(eq(experiments.id, before.id)),
      auditRow(db, { actor: c.get("token").name, action: "experiment.stop", entityType: "experiment", entityId: before.id, before: { status: before.status }, after: { status: "stopped", stoppedAt }, reason }),
    ]);
    invalidateExperiments();
    return c.json({ id: before.id, status: "stopped" });
  })
  .openapi(definitions["GET /experiments/{id}/results"], async (c) => {
    const exp = await getDb(c.env.DB).select().from(experiments).where(eq(experiments.id, c.req.param("id"))).get();
    if (!exp || !visibleTo(c.get("token").teamId, exp)) throw new ApiError("not_found", "no such experiment");
    return c.json(await experimentResults(c.env, exp));
  });
