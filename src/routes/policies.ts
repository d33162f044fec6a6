import { and, desc, eq, inArray, max } from "drizzle-orm";
import { z } from "zod";
import type { Context } from "hono";
import type { AppEnv } from "../app-env.ts";
import { apiApp, jsonBody, route } from "../lib/openapi-route.ts";
import { auditRow } from "../db/audit.ts";
import { selectInChunks } from "../db/chunks.ts";
import { getDb } from "../db/client.ts";
import { leads, policies } from "../db/schema.ts";
import { requireScope } from "../lib/auth.ts";
import { ApiError } from "../lib/errors.ts";
import { canConfigure, existingScopedTeam } from "../lib/team-scope.ts";
import { requireTeam } from "../lib/references.ts";
import { parseOrThrow, readJson } from "../lib/validate.ts";
import { getActivePolicy, getPolicyRecord, invalidatePolicy, policyHistory, policyScope } from "../routing/policy-store.ts";
import { simulatePolicy } from "../routing/simulate.ts";
import { ReasonBody } from "../schemas/admin.ts";
import { LeadInputSchema } from "../schemas/lead.ts";
import { PolicyBody, SimulateBody } from "../schemas/routing.ts";

type Ctx = Context<AppEnv>;

const VersionPath = z.object({ version: z.string().regex(/^[0-9]+$/, "a policy version is a number") });

/** The policy scope of the request: the token's team, the `team` an admin names, or the default (null). */
const scopeOf = (c: Ctx) => existingScopedTeam(getDb(c.env.DB), c.get("token"), c.req.query("team"));

function mayChange(c: Ctx): void {
  if (!canConfigure(c.get("token"))) throw new ApiError("forbidden", "changing a policy needs a review:write or admin token");
}

/** Makes `version` the active policy of its scope in one batch with its audit row; the scope's old one retires. */
async function activate(c: Ctx, teamId: string | null, version: number, reason: string, action: string) {
  const db = getDb(c.env.DB);
  const current = await db.select().from(policies).where(and(policyScope(teamId), eq(policies.status, "active"))).get();
  if (current?.version === version) throw new ApiError("conflict", `policy ${version} is already active`);
  await db.batch([
    db.update(policies).set({ status: "retired" }).where(and(policyScope(teamId), eq(policies.status, "active"))),
    db.update(policies).set({ status: "active", activatedAt: Date.now() }).where(eq(policies.version, version)),
    auditRow(db, { actor: c.get("token").name, action, entityType: "policy", entityId: String(version), before: { team: teamId, active: current?.version ?? null }, after: { team: teamId, active: version }, reason }),
  ]);
  invalidatePolicy();
}

/** A stored version of the scope (404 for another team's, or an unknown one). */
async function versionIn(c: Ctx, teamId: string | null, version: number) {
  const record = await getPolicyRecord(c.env, version);
  if (!record || version === 0 || record.owner !== teamId) throw new ApiError("not_found", "no such policy version");
  return record;
}

const TeamQuery = z.object({ team: z.string().optional().describe("admin tokens: the team whose policies (none: the default policy); a team-bound token always gets its own") });
const READ = ["crm:read", "review:write"] as const;
const CHANGE = ["review:write", "admin"] as const;

/** The operations of this sub-app, as the API document shows them; their handlers follow. */
const definitions = {
  "GET /": route({ method: "get", path: "/", tags: ["Policies"], summary: "Policy versions of one scope: the token's team, the team an admin names, or the default policy", auth: READ, request: { query: TeamQuery }, ok: { 200: "Versions" } }),
  "GET /active": route({ method: "get", path: "/active", tags: ["Policies"], summary: "The policy the team routes under: its own active one, else the default", auth: READ, request: { query: TeamQuery }, ok: { 200: "Version, policy and owner (null: the default)" } }),
  "POST /": route({
    method: "post",
    path: "/",
    tags: ["Policies"],
    summary: "Store a policy version for the scope (review:write of the team, or admin), active unless activate=false (audited)",
    auth: CHANGE,
    request: { query: TeamQuery, body: jsonBody(PolicyBody) },
    ok: { 201: "Stored" },
  }),
  "POST /simulate": route({
    method: "post",
    path: "/simulate",
    tags: ["Policies"],
    summary: "What a draft policy would do to a team's stored leads (by id) or to given leads; reserves nothing",
    auth: READ,
    request: { query: TeamQuery, body: jsonBody(SimulateBody) },
    ok: { 200: "Per lead, and a summary" },
  }),
  "POST /rollback": route({ method: "post", path: "/rollback", tags: ["Policies"], summary: "Re-activate the scope's previously active version (audited); other teams are untouched", auth: CHANGE, request: { query: TeamQuery, body: jsonBody(ReasonBody) }, ok: { 200: "Now active" } }),
  "GET /{version}": route({ method: "get", path: "/{version}", tags: ["Policies"], summary: "One policy version (the default's, or the token's team's)", auth: READ, request: { params: VersionPath }, ok: { 200: "The version" } }),
  "POST /{version}/activate": route({ method: "post", path: "/{version}/activate", tags: ["Policies"], summary: "Activate a stored version of the scope (audited)", auth: CHANGE, request: { params: VersionPath, query: TeamQuery, body: jsonBody(ReasonBody) }, ok: { 200: "Active" } }),
};

/**
 * Versioned routing policies, one history per team plus the default (teams without an active policy of
 * their own route under the default). A team-bound token reads and, with review:write, changes its own
 * team's; an admin token names the team with `?team=` (none: the default policy).
 */
export const policiesApi = apiApp(requireScope("crm:read", "review:write"))
  .openapi(definitions["GET /"], async (c) => {
    const team = await scopeOf(c);
    return c.json({ team, data: await policyHistory(c.env, team) });
  })
  .openapi(definitions["GET /active"], async (c) => c.json(await getActivePolicy(c.env, await scopeOf(c))))
  .openapi(definitions["POST /"], async (c) => {
    mayChange(c);
    const teamId = await scopeOf(c);
    // A bad policy is refused here, before anything is written: the active one is untouched.
    const { policy, reason, activate: now } = parseOrThrow(PolicyBody, await readJson(c.req));
    const db = getDb(c.env.DB);
    const top = (await db.select({ top: max(policies.version) }).from(policies).get())?.top ?? 0;
    const version = top + 1;
    await db.batch([
      db.insert(policies).values({ version, status: "draft", body: policy, teamId }),
      auditRow(db, { actor: c.get("token").name, action: "policy.create", entityType: "policy", entityId: String(version), after: { team: teamId, policy }, reason }),
    ]);
    if (now) await activate(c, teamId, version, reason, "policy.activate");
    return c.json({ version, team: teamId, status: now ? "active" : "draft" }, 201);
  })
  .openapi(definitions["POST /simulate"], async (c) => {
    const raw = (await readJson(c.req)) as Record<string, unknown> | null;
    const body = parseOrThrow(SimulateBody, raw);
    // The team whose reps the simulation plans against: a team-bound token simulates its own team only.
    const teamId = (await existingScopedTeam(getDb(c.env.DB), c.get("token"), typeof raw?.teamId === "string" ? raw.teamId : c.req.query("team"))) ?? body.teamId;
    const db = getDb(c.env.DB);
    await requireTeam(db, teamId);
    // Only the team's leads: another team's lead id is as unknown as a made-up one.
    const mine = body.leadIds?.length ? await selectInChunks(body.leadIds, (part) => db.select().from(leads).where(and(inArray(leads.id, part), eq(leads.teamId, teamId)))) : [];
    const missing = (body.leadIds ?? []).filter((id) => !mine.some((l) => l.id === id));
    if (missing.length) throw new ApiError("validation_failed", `leadIds: no lead ${missing.slice(0, 5).join(", ")} in team ${teamId}`);
    const posted = (body.leads ?? []).map((raw, i) => {
      const parsed = LeadInputSchema.safeParse(raw);
      if (!parsed.success) throw new ApiError("validation_failed", `leads.${i}: ${parsed.error.issues[0]?.message}`);
      return { ref: `posted:${i}`, payload: parsed.data as Record<string, unknown> };
    });
    const inputs = [...mine.map((l) => ({ ref: l.id, payload: l.payload as Record<string, unknown>, lead: l })), ...posted];
    return c.json(await simulatePolicy(c.env, body.policy, teamId, inputs));
  })
  .openapi(definitions["POST /rollback"], async (c) => {
    mayChange(c);
    const teamId = await scopeOf(c);
    const { reason } = parseOrThrow(ReasonBody, await readJson(c.req));
    const db = getDb(c.env.DB);
    const history = await db.select().from(policies).where(policyScope(teamId)).orderBy(desc(policies.activatedAt));
    const active = history.find((p) => p.status === "active");
    const previous = history.find((p) => p.status === "retired" && p.activatedAt !== null && p.version !== active?.version);
    if (!previous) throw new ApiError("conflict", "no earlier active policy to roll back to");
    await activate(c, teamId, previous.version, reason, "policy.rollback");
    return c.json({ team: teamId, active: previous.version, previous: active?.version ?? null });
  })
  .openapi(definitions["GET /{version}"], async (c) => {
    const version = Number(c.req.param("version"));
    const record = await getPolicyRecord(c.env, version);
    const own = c.get("token").teamId;
    // The default policy is every team's to read; a team's own versions are that team's only.
    if (!record || (own !== null && record.owner !== null && record.owner !== own)) throw new ApiError("not_found", "no such policy version");
    return c.json({ version, team: record.owner, policy: record.policy });
  })
  .openapi(definitions["POST /{version}/activate"], async (c) => {
    mayChange(c);
    const teamId = await scopeOf(c);
    const { reason } = parseOrThrow(ReasonBody, await readJson(c.req));
    const version = Number(c.req.param("version"));
    await versionIn(c, teamId, version);
    await activate(c, teamId, version, reason, "policy.activate");
    return c.json({ team: teamId, active: version });
  });
