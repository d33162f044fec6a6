import type { AppEnv } from "../app-env.ts";
import { apiApp, jsonBody, route } from "../lib/openapi-route.ts";
import { ApiError } from "../lib/errors.ts";
import { sha256Hex, toHex } from "../lib/hashing.ts";
import { parseOrThrow, readJson } from "../lib/validate.ts";
import { BootstrapBody } from "../schemas/admin.ts";
import { CreatedToken } from "../schemas/responses.ts";

/** Shorter secrets are refused outright: the bootstrap secret guards the whole router. */
export const MIN_BOOTSTRAP_TOKEN_LENGTH = 32;

/** Equal strings, compared in constant time over their sha256 (equal-length digests, whatever the inputs). */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([given, expected].map((s) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(s))));
  return crypto.subtle.timingSafeEqual(a!, b!);
}

// Inserts the token only while no active admin token exists: check and write are one statement, so two
// concurrent bootstraps cannot both get in. The audit row is written in the same batch, only if it did.
const INSERT_FIRST_ADMIN = `INSERT INTO api_tokens (id, name, token_hash, scopes, team_id)
  SELECT ?1, ?2, ?3, '["admin"]', NULL
  WHERE NOT EXISTS (SELECT 1 FROM api_tokens t, json_each(t.scopes) s WHERE t.revoked_at IS NULL AND s.value = 'admin')`;
const AUDIT_IF_CREATED = `INSERT INTO audit_log (actor, action, entity_type, entity_id, before, after, reason)
  SELECT 'bootstrap', 'token.create', 'token', ?1, NULL, ?2, 'bootstrap: the first admin token'
  WHERE EXISTS (SELECT 1 FROM api_tokens WHERE id = ?1)`;

/**
 * `POST /v1/bootstrap` with `Authorization: Bearer <BOOTSTRAP_TOKEN>`: creates the first admin token and
 * returns its secret once. The bootstrap secret does nothing else (no other route knows it), and it stops
 * working as soon as an active admin token exists (409). Without the secret set, 403.
 */
const bootstrap = route({
  method: "post",
  path: "/",
  tags: ["Admin"],
  summary: "Create the first admin token with the BOOTSTRAP_TOKEN secret (Authorization: Bearer <BOOTSTRAP_TOKEN>); refused (409) once an active admin token exists",
  auth: "public",
  request: { body: jsonBody(BootstrapBody, { required: false }) },
  ok: { 201: { description: "The admin token and its secret, shown once", schema: CreatedToken } },
});

export const bootstrapApi = apiApp().openapi(bootstrap, async (c) => {
  const expected = c.env.BOOTSTRAP_TOKEN;
  if (!expected) throw new ApiError("forbidden", "bootstrap is off: no BOOTSTRAP_TOKEN secret is set on this router");
  if (expected.length < MIN_BOOTSTRAP_TOKEN_LENGTH) {
    throw new ApiError("forbidden", `bootstrap is off: BOOTSTRAP_TOKEN must be at least ${MIN_BOOTSTRAP_TOKEN_LENGTH} characters`);
  }
  const match = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
  if (!match || !(await sameSecret(match[1]!, expected))) throw new ApiError("unauthorized", "send the bootstrap secret as `Authorization: Bearer <BOOTSTRAP_TOKEN>`");
  // The body is optional (hono keeps the text, so readJson reads it again).
  const { name } = parseOrThrow(BootstrapBody, (await c.req.text()).trim() === "" ? undefined : await readJson(c.req));
  const secret = `lr_${toHex(crypto.getRandomValues(new Uint8Array(24)))}`;
  const id = `tok_${toHex(crypto.getRandomValues(new Uint8Array(8)))}`;
  const after = JSON.stringify({ name, scopes: ["admin"], teamId: null });
  const [created] = await c.env.DB.batch([
    c.env.DB.prepare(INSERT_FIRST_ADMIN).bind(id, name, await sha256Hex(secret)),
    c.env.DB.prepare(AUDIT_IF_CREATED).bind(id, after),
  ]);
  if (!created?.meta.changes) throw new ApiError("conflict", "an admin token already exists: bootstrap is closed (use that token)");
  // The secret is shown here once and never again.
  return c.json({ id, secret, name, scopes: ["admin"], teamId: null }, 201);
});
