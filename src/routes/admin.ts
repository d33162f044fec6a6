import { and, desc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { AppEnv } from "../app-env.ts";
import { apiApp, jsonBody, route } from "../lib/openapi-route.ts";
import { auditRow } from "../db/audit.ts";
import { getDb } from "../db/client.ts";
import { apiTokens, leads, sites } from "../db/schema.ts";
import { auditReason } from "../lib/audit-reason.ts";
import { createToken } from "../lib/auth.ts";
import { requireSameTeam, requireTeam } from "../lib/references.ts";
import { ApiError } from "../lib/errors.ts";
import { parseOrThrow, readJson } from "../lib/validate.ts";
import { invalidateSites } from "../intake/sites.ts";
import { decideLead } from "../routing/decide-lead.ts";
import { ReasonBody, SiteBody, TokenBody } from "../schemas/admin.ts";
import { CreatedToken } from "../schemas/responses.ts";

const IdPath = z.object({ id: z.string() });

/** The operations of this sub-app, as the API document shows them; their handlers follow. */
const definitions = {
  "GET /tokens": route({ method: "get", path: "/tokens", tags: ["Admin"], summary: "API tokens (never their secrets); a team-bound token sees its team's", auth: "admin", ok: { 200: "Tokens" } }),
  "POST /tokens": route({ method: "post", path: "/tokens", tags: ["Admin"], summary: "Create an API token: the secret is shown once (audited)", auth: "admin", request: { body: jsonBody(TokenBody) }, ok: { 201: { description: "The token and its secret", schema: CreatedToken } } }),
  "DELETE /tokens/{id}": route({ method: "delete", path: "/tokens/{id}", tags: ["Admin"], summary: "Revoke a token (audited)", auth: "admin", request: { params: IdPath }, ok: { 200: "Revoked" } }),
  "GET /sites": route({ method: "get", path: "/sites", tags: ["Admin"], summary: "Sites allowed to post leads (secrets counted, never shown)", auth: "admin", ok: { 200: "Sites" } }),
  "PUT /sites/{id}": route({
    method: "put",
    path: "/sites/{id}",
    tags: ["Admin"],
    summary: "Create or update a site (key, team, origins, secrets, Turnstile, dedupe window); a site key stays with its team (audited)",
    auth: "admin",
    request: { params: SiteBody.pick({ id: true }), body: jsonBody(SiteBody.omit({ id: true })) },
    ok: { 200: "Updated", 201: "Created" },
  }),
  "GET /review": route({ method: "get", path: "/review", tags: ["Admin"], summary: "Leads held for review as suspicious, newest first", auth: "admin", ok: { 200: "The queue" } }),
};

/** Admin API: API tokens, sites, and the review queue of suspicious leads. Every change is audited. */
export const adminApi = apiApp()
  .openapi(definitions["GET /tokens"], async (c) => {
    const own = c.get("token").teamId;
    const rows = await getDb(c.env.DB)
      .select({ id: apiTokens.id, name: apiTokens.name, scopes: apiTokens.scopes, teamId: apiTokens.teamId, createdAt: apiTokens.createdAt, revokedAt: apiTokens.revokedAt })
      .from(apiTokens)
      .where(own === null ? undefined : eq(apiTokens.teamId, own));
    return c.json({ data: rows });
  })
  .openapi(definitions["POST /tokens"], async (c) => {
    const input = parseOrThrow(TokenBody, await readJson(c.req));
    // A team-bound token mints tokens of its own team only: never an unbound one, never another team's.
    const own = c.get("token").teamId;
    if (own !== null && input.teamId !== own) throw new ApiError("forbidden", `this token acts for team ${own} only`);
    if (input.teamId === null && !input.scopes.includes("admin")) {
      throw new ApiError("validation_failed", "teamId: a CRM token must be bound to a team");
    }
    const reason = auditReason(c.req);
    const db = getDb(c.env.DB);
    if (input.teamId !== null) await requireTeam(db, input.teamId);
    const { id, secret } = await createToken(db, input);
    await auditRow(db, { actor: c.get("token").name, action: "token.create", entityType: "token", entityId: id, before: null, after: input, reason });
    // The secret is shown here once and never again.
    return c.json({ id, secret, ...input }, 201);
  })
  .openapi(definitions["DELETE /tokens/{id}"], async (c) => {
    const reason = auditReason(c.req);
    const db = getDb(c.env.DB);
    const own = c.get("token").teamId;
    const row = await db
      .update(apiTokens)
      .set({ revokedAt: Date.now() })
      .where(and(eq(apiTokens.id, c.req.param("id")), isNull(apiTokens.revokedAt), own === null ? undefined : eq(apiTokens.teamId, own)))
      .returning()
      .get();
    if (!row) throw new ApiError("not_found", "no such active token");
    const { tokenHash: _hash, ...token } = row;
    await auditRow(db, { actor: c.get("token").name, action: "token.revoke", entityType: "token", entityId: row.id, before: { ...token, revokedAt: null }, after: token, reason });
    return c.json({ id: row.id, revoked: true });
  })
  .openapi(definitions["GET /sites"], async (c) => c.json({ data: (await getDb(c.env.DB).select().from(sites)).map(({ signingSecrets, turnstileSecret, ...s }) => ({ ...s, signingSecrets: signingSecrets.length, turnstile: turnstileSecret !== null })) }))
  .openapi(definitions["PUT /sites/{id}"], async (c) => {
    const input = parseOrThrow(SiteBody, { ...((await readJson(c.req)) as object), id: c.req.param("id") });
    const reason = auditReason(c.req);
    const db = getDb(c.env.DB);
    await requireTeam(db, input.teamId);
    const before = await db.select().from(sites).where(eq(sites.id, input.id)).get();
    // A site's idempotency keys and signatures are its team's: the key cannot move to another team.
    requireSameTeam("site", input.id, before?.teamId, input.teamId);
    await db.batch([
      db.insert(sites).values(input).onConflictDoUpdate({ target: sites.id, set: { ...input, revokedAt: null } }),
      auditRow(db, { actor: c.get("token").name, action: before ? "site.update" : "site.create", entityType: "site", entityId: input.id, before: before ? { ...before, signingSecrets: before.signingSecrets.length } : null, after: { ...input, signingSecrets: input.signingSecrets.length, turnstileSecret: input.turnstileSecret !== null }, reason }),
    ]);
    invalidateSites();
    return c.json({ id: input.id }, before ? 200 : 201);
  })
  .openapi(definitions["GET /review"], async (c) => {
    const rows = await getDb(c.env.DB).select().from(leads).where(eq(leads.status, "review")).orderBy(desc(leads.receivedAt)).limit(200);
    return c.json({ data: rows.map((l) => ({ id: l.id, siteId: l.siteId, email: l.email, reason: l.reviewReason, receivedAt: new Date(l.receivedAt).toISOString(), fields: l.payload })) });
  });

// Release and discard: two operations of the document, one handler.
for (const action of ["release", "discard"] as const) {
  adminApi.openapi(
    route({
      method: "post",
      path: `/review/{id}/${action}`,
      tags: ["Admin"],
      summary: action === "release" ? "Release a held lead: it is routed now (audited)" : "Discard a held lead as spam (audited)",
      auth: "admin",
      request: { params: IdPath, body: jsonBody(ReasonBody) },
      ok: { 200: action === "release" ? "Routed" : "Discarded" },
    }),
    async (c) => {
      const { reason } = parseOrThrow(ReasonBody, await readJson(c.req));
      const db = getDb(c.env.DB);
      const lead = await db
        .update(leads)
        .set({ status: action === "release" ? "pending" : "discarded" })
        .where(and(eq(leads.id, c.req.param("id")), eq(leads.status, "review")))
        .returning()
        .get();
      if (!lead) throw new ApiError("not_found", "no lead with that id is waiting in review");
      await auditRow(db, { actor: c.get("token").name, action: `review.${action}`, entityType: "lead", entityId: lead.id, before: { status: "review" }, after: { status: lead.status }, reason });
      if (action === "discard") return c.json({ id: lead.id, status: "discarded" });
      const decision = await decideLead(c.env, lead);
      return c.json({ id: lead.id, status: "decided", decision });
    },
  );
}
