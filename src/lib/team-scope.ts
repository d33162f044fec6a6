import { eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { teams } from "../db/schema.ts";
import type { TokenInfo } from "./auth.ts";
import { ApiError } from "./errors.ts";

/**
 * The team a request acts on. A team-bound token acts on its own team only: naming another is a 403. A
 * token bound to no team (an admin's) acts on the team it names, or on every team (the default policy)
 * when it names none.
 */
export function scopedTeam(token: TokenInfo, requested: string | null | undefined): string | null {
  const own = token.teamId;
  if (own !== null && requested != null && requested !== "" && requested !== own) throw new ApiError("forbidden", `this token acts for team ${own} only`);
  return own ?? (requested || null);
}

/** Like scopedTeam, and a team an admin names must exist (404 otherwise). */
export async function existingScopedTeam(db: Db, token: TokenInfo, requested: string | null | undefined): Promise<string | null> {
  const team = scopedTeam(token, requested);
  if (team !== null && token.teamId === null && !(await db.select({ id: teams.id }).from(teams).where(eq(teams.id, team)).get())) {
    throw new ApiError("not_found", `no team ${team}`);
  }
  return team;
}

/** Whether the token may change routing configuration of its team (a manager's review token, or an admin). */
export const canConfigure = (token: TokenInfo) => token.scopes.includes("admin") || token.scopes.includes("review:write");
