import { eq } from "drizzle-orm";
import { z } from "zod";
import type { AppEnv } from "../app-env.ts";
import { apiApp, jsonBody, route } from "../lib/openapi-route.ts";
import { auditRow } from "../db/audit.ts";
import { getDb } from "../db/client.ts";
import { teams } from "../db/schema.ts";
import { rulesOnlySwitches } from "../db/schema-trust.ts";
import { ApiError } from "../lib/errors.ts";
import { parseOrThrow, readJson } from "../lib/validate.ts";
import { invalidateRulesOnly } from "../routing/rules-only.ts";
import { IdParam, RulesOnlyBody } from "../schemas/routing.ts";

const view = (teamId: string, row: typeof rulesOnlySwitches.$inferSelect | undefined) =>
  row ? { teamId, enabled: true, reason: row.reason, setBy: row.setBy, setAt: new Date(row.setAt).toISOString() } : { teamId, enabled: false };

/** The team exists and the token may act for it (a team-bound admin token: its own team only; else 404). */
async function requireOwnTeam(tokenTeam: string | null, db: ReturnType<typeof getDb>, teamId: string): Promise<void> {
  const known = (tokenTeam === null || tokenTeam === teamId) && (await db.select({ id: teams.id }).from(teams).where(eq(teams.id, teamId)).get());
  if (!known) throw new ApiError("not_found", "no such team");
}

const IdPath = z.object({ id: IdParam });

/** The operations of this sub-app, as the API document shows them; their handlers follow. */
const definitions = {
  "GET /teams/{id}/rules-only": route({ method: "get", path: "/teams/{id}/rules-only", tags: ["Routing"], summary: "Whether the team routes on rules only (its switch), since when, by whom and why", auth: "admin", request: { params: IdPath }, ok: { 200: "The switch" } }),
  "PUT /teams/{id}/rules-only": route({
    method: "put",
    path: "/teams/{id}/rules-only",
    tags: ["Routing"],
    summary: "Turn the team's rules-only switch on or off, with a reason (audited): while on, its leads are routed on the policy's rules alone, each decision saying so",
    auth: "admin",
    request: { params: IdPath, body: jsonBody(RulesOnlyBody) },
    ok: { 200: "The switch now" },
  }),
};

/**
 * A team's deliberate way back to plain rules: while the switch is on, the team's leads are routed on the
 * policy's rules alone (no model), each decision saying so in its lineage. Every flip is an audit row in
 * the same batch as the change; new leads see it within seconds (RULES_ONLY_TTL_MS).
 */
export const rulesOnlyApi = apiApp()
  .openapi(definitions["GET /teams/{id}/rules-only"], async (c) => {
    const teamId = parseOrThrow(IdParam, c.req.param("id"));
    const db = getDb(c.env.DB);
    await requireOwnTeam(c.get("token").teamId, db, teamId);
    return c.json(view(teamId, await db.select().from(rulesOnlySwitches).where(eq(rulesOnlySwitches.teamId, teamId)).get()));
  })
  .openapi(definitions["PUT /teams/{id}/rules-only"], async (c) => {
    const teamId = parseOrThrow(IdParam, c.req.param("id"));
    const { enabled, reason } = parseOrThrow(RulesOnlyBody, await readJson(c.req));
    const db = getDb(c.env.DB);
    await requireOwnTeam(c.get("token").teamId, db, teamId);
    const before = await db.select().from(rulesOnlySwitches).where(eq(rulesOnlySwitches.teamId, teamId)).get();
    if (Boolean(before) === enabled) throw new ApiError("conflict", `the rules-only switch of team ${teamId} is already ${enabled ? "on" : "off"}`);
    const actor = c.get("token").name;
    const row = { teamId, reason, setBy: actor, setAt: Date.now() };
    await db.batch([
      enabled ? db.insert(rulesOnlySwitches).values(row) : db.delete(rulesOnlySwitches).where(eq(rulesOnlySwitches.teamId, teamId)),
      auditRow(db, { actor, action: enabled ? "team.rules_only.on" : "team.rules_only.off", entityType: "team", entityId: teamId, before: view(teamId, before), after: view(teamId, enabled ? row : undefined), reason }),
    ]);
    invalidateRulesOnly();
    return c.json(view(teamId, enabled ? row : undefined));
  });
