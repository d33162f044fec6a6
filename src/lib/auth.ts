import { eq } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env.ts";
import { getDb, type Db } from "../db/client.ts";
import { apiTokens } from "../db/schema.ts";
import { ApiError } from "./errors.ts";
import { sha256Hex, toHex } from "./hashing.ts";

export const SCOPES = ["crm:read", "crm:write", "events:write", "review:write", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

/** The caller a bearer token identifies. `teamId` null means every team (admin tokens). */
export type TokenInfo = { id: string; name: string; scopes: Scope[]; teamId: string | null };

/** Creates an API token. The secret is returned once; only its sha256 is stored. */
export async function createToken(
  db: Db,
  input: { name: string; scopes: Scope[]; teamId: string | null; secret?: string },
): Promise<{ id: string; secret: string }> {
  const secret = input.secret ?? `lr_${toHex(crypto.getRandomValues(new Uint8Array(24)))}`;
  const id = `tok_${toHex(crypto.getRandomValues(new Uint8Array(8)))}`;
  await db.insert(apiTokens).values({
    id,
    name: input.name,
    tokenHash: await sha256Hex(secret),
    scopes: input.scopes,
    teamId: input.teamId,
  });
  return { id, secret };
}

/**
 * Requires a bearer token holding `scope` (or any of `others`; an `admin` token holds every scope). 401
 * when the token is missing, unknown or revoked; 403 when it lacks the scope.
 */
export const requireScope = (scope: Scope, ...others: Scope[]) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new ApiError("unauthorized", "send an API token as `Authorization: Bearer <token>`");
    const row = await getDb(c.env.DB)
      .select()
      .from(apiTokens)
      .where(eq(apiTokens.tokenHash, await sha256Hex(match[1]!)))
      .get();
    if (!row || row.revokedAt !== null) throw new ApiError("unauthorized", "the API token is invalid or revoked");
    const scopes = row.scopes as Scope[];
    if (![scope, ...others].some((s) => scopes.includes(s)) && !scopes.includes("admin")) {
      throw new ApiError("forbidden", `the API token lacks the ${[scope, ...others].join(" or ")} scope`);
    }
    c.set("token", { id: row.id, name: row.name, scopes, teamId: row.teamId });
    await next();
  });
