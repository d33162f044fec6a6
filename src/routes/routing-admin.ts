import { and, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { AppEnv } from "../app-env.ts";
import { apiApp, jsonBody, route } from "../lib/openapi-route.ts";
import { auditRow } from "../db/audit.ts";
import { getDb } from "../db/client.ts";
import { accounts, reps, teams, territories } from "../db/schema.ts";
import { auditReason } from "../lib/audit-reason.ts";
import { invalidateRoutingFacts } from "../routing/facts-cache.ts";
import { ApiError } from "../lib/errors.ts";
import { requireRep, requireSameTeam, requireTeam, requireTerritories } from "../lib/references.ts";
import { parseOrThrow, readJson } from "../lib/validate.ts";
import { invalidateTeamSettings } from "../scoring/team-family.ts";
import { AccountBody, DomainParam, IdParam, RepBody, TeamBody, TerritoryBody } from "../schemas/routing.ts";

const IdPath = z.object({ id: IdParam });

/** The operations of this sub-app, as the API document shows them; their handlers follow. */
const definitions = {
  "GET /teams": route({ method: "get", path: "/teams", tags: ["Routing"], summary: "Teams", auth: "admin", ok: { 200: "Teams" } }),
  "PUT /teams/{id}": route({ method: "put", path: "/teams/{id}", tags: ["Routing"], summary: "Create or rename a team: model family, retention (audited)", auth: "admin", request: { params: IdPath, body: jsonBody(TeamBody) }, ok: { 200: "Updated", 201: "Created" } }),
  "GET /reps": route({ method: "get", path: "/reps", tags: ["Routing"], summary: "Reps (not deleted)", auth: "admin", request: { query: z.object({ team: z.string().optional().describe("one team's reps") }) }, ok: { 200: "Reps" } }),
  "PUT /reps/{id}": route({
    method: "put",
    path: "/reps/{id}",
    tags: ["Routing"],
    summary: "Create or replace a rep: team, role, hours, out of office, caps, weight, territories of the same team (audited; a rep id belongs to one team)",
    auth: "admin",
    request: { params: IdPath, body: jsonBody(RepBody) },
    ok: { 200: "Updated", 201: "Created" },
  }),
  "DELETE /reps/{id}": route({ method: "delete", path: "/reps/{id}", tags: ["Routing"], summary: "Delete a rep (soft: past decisions keep their meaning; audited)", auth: "admin", request: { params: z.object({ id: z.string() }) }, ok: { 200: "Deleted" } }),
  "GET /territories": route({ method: "get", path: "/territories", tags: ["Routing"], summary: "Territories", auth: "admin", ok: { 200: "Territories" } }),
  "PUT /territories/{id}": route({ method: "put", path: "/territories/{id}", tags: ["Routing"], summary: "Create or replace a territory of a team (audited)", auth: "admin", request: { params: IdPath, body: jsonBody(TerritoryBody) }, ok: { 200: "Updated", 201: "Created" } }),
  "GET /accounts": route({ method: "get", path: "/accounts", tags: ["Routing"], summary: "Known accounts", auth: "admin", ok: { 200: "Accounts" } }),
  "PUT /accounts/{domain}": route({
    method: "put",
    path: "/accounts/{domain}",
    tags: ["Routing"],
    summary: "Create or replace a team's account by domain: owner and territory of the same team, strategic flag, context (audited)",
    auth: "admin",
    request: { params: z.object({ domain: DomainParam }), body: jsonBody(AccountBody) },
    ok: { 200: "Updated", 201: "Created" },
  }),
};

/**
 * Teams, reps, territories and accounts: `PUT` creates or replaces one (idempotent), `GET` lists,
 * `DELETE` removes (reps are soft-deleted so their past decisions keep their meaning). Every change is
 * an audit row with before and after, in the same D1 batch as the change.
 */
export const routingAdmin = apiApp(
  // Leads read routing facts from an isolate cache: a change here reaches this isolate's next lead at once
  // (others within FACTS_TTL_MS).
  async (c, next) => {
    await next();
    if (c.req.method !== "GET") invalidateRoutingFacts();
  },
)
  .openapi(definitions["GET /teams"], async (c) => c.json({ data: await getDb(c.env.DB).select().from(teams) }))
  .openapi(definitions["PUT /teams/{id}"], async (c) => {
    const teamId = parseOrThrow(IdParam, c.req.param("id"));
    const body = parseOrThrow(TeamBody, await readJson(c.req));
    const reason = auditReason(c.req);
    const db = getDb(c.env.DB);
    const before = await db.select().from(teams).where(eq(teams.id, teamId)).get();
    await db.batch([
      db.insert(teams).values({ id: teamId, ...body }).onConflictDoUpdate({ target: teams.id, set: body }),
      auditRow(db, { actor: c.get("token").name, action: before ? "team.update" : "team.create", entityType: "team", entityId: teamId, before, after: body, reason }),
    ]);
    // A new model family or retention setting reaches this isolate's next lead at once, others within seconds.
    invalidateTeamSettings();
    return c.json((await db.select().from(teams).where(eq(teams.id, teamId)).get())!, before ? 200 : 201);
  })
  .openapi(definitions["GET /reps"], async (c) => {
    const teamId = c.req.query("team");
    const rows = await getDb(c.env.DB).select().from(reps).where(and(isNull(reps.deletedAt), teamId ? eq(reps.teamId, teamId) : undefined));
    return c.json({ data: rows });
  })
  .openapi(definitions["PUT /reps/{id}"], async (c) => {
    const repId = parseOrThrow(IdParam, c.req.param("id"));
    const body = parseOrThrow(RepBody, await readJson(c.req));
    const reason = auditReason(c.req);
    const db = getDb(c.env.DB);
    await requireTeam(db, body.teamId);
    await requireTerritories(db, body.teamId, body.territoryIds, "territoryIds");
    const before = await db.select().from(reps).where(eq(reps.id, repId)).get();
    requireSameTeam("rep", repId, before?.teamId, body.teamId);
    await db.batch([
      db.insert(reps).values({ id: repId, ...body }).onConflictDoUpdate({ target: reps.id, set: { ...body, deletedAt: null } }),
      auditRow(db, { actor: c.get("token").name, action: before ? "rep.update" : "rep.create", entityType: "rep", entityId: repId, before, after: body, reason }),
    ]);
    return c.json({ id: repId, ...body }, before ? 200 : 201);
  })
  .openapi(definitions["DELETE /reps/{id}"], async (c) => {
    const reason = auditReason(c.req);
    const db = getDb(c.env.DB);
    const row = await db.update(reps).set({ deletedAt: Date.now() }).where(and(eq(reps.id, c.req.param("id")), isNull(reps.deletedAt))).returning().get();
    if (!row) throw new ApiError("not_found", "no such rep");
    await auditRow(db, { actor: c.get("token").name, action: "rep.delete", entityType: "rep", entityId: row.id, before: { ...row, deletedAt: null }, after: row, reason });
    return c.json({ id: row.id, deleted: true });
  })
  .openapi(definitions["GET /territories"], async (c) => c.json({ data: await getDb(c.env.DB).select().from(territories) }))
  .openapi(definitions["PUT /territories/{id}"], async (c) => {
    const territoryId = parseOrThrow(IdParam, c.req.param("id"));
    const body = parseOrThrow(TerritoryBody, await readJson(c.req));
    const reason = auditReason(c.req);
    const db = getDb(c.env.DB);
    await requireTeam(db, body.teamId);
    const before = await db.select().from(territories).where(eq(territories.id, territoryId)).get();
    requireSameTeam("territory", territoryId, before?.teamId, body.teamId);
    await db.batch([
      db.insert(territories).values({ id: territoryId, ...body }).onConflictDoUpdate({ target: territories.id, set: body }),
      auditRow(db, { actor: c.get("token").name, action: before ? "territory.update" : "territory.create", entityType: "territory", entityId: territoryId, before, after: body, reason }),
    ]);
    return c.json({ id: territoryId, ...body }, before ? 200 : 201);
  })
  .openapi(definitions["GET /accounts"], async (c) => c.json({ data: await getDb(c.env.DB).select().from(accounts) }))
  .openapi(definitions["PUT /accounts/{domain}"], async (c) => {
    const domain = parseOrThrow(DomainParam, c.req.param("domain"));
    const body = parseOrThrow(AccountBody, await readJson(c.req));
    const reason = auditReason(c.req);
    const db = getDb(c.env.DB);
    await requireTeam(db, body.teamId);
    if (body.ownerRepId !== null) await requireRep(db, body.teamId, body.ownerRepId, "ownerRepId");
    if (body.territoryId !== null) await requireTerritories(db, body.teamId, [body.territoryId], "territoryId");
    // A domain is an account per team: another team's account of the same domain is another row.
    const before = await db.select().from(accounts).where(and(eq(accounts.teamId, body.teamId), eq(accounts.domain, domain))).get();
    await db.batch([
      db.insert(accounts).values({ domain, ...body }).onConflictDoUpdate({ target: [accounts.teamId, accounts.domain], set: body }),
      auditRow(db, { actor: c.get("token").name, action: before ? "account.update" : "account.create", entityType: "account", entityId: domain, before, after: body, reason }),
    ]);
    return c.json({ domain, ...body }, before ? 200 : 201);
  });
