import { and, eq, inArray, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../db/client.ts";
import { reps, teams, territories } from "../db/schema.ts";
import { ApiError } from "./errors.ts";

/**
 * Admin writes that point somewhere: every reference a body carries must exist and belong to the same
 * team, or the write is refused with a 422 naming the field, before anything is stored.
 */

const refused = (field: string, message: string) => new ApiError("validation_failed", `${field}: ${message}`);

/** The team exists. */
export async function requireTeam(db: Db, teamId: string, field = "teamId"): Promise<void> {
  if (!(await db.select({ id: teams.id }).from(teams).where(eq(teams.id, teamId)).get())) throw refused(field, `no team ${teamId}`);
}

/** Every territory exists and belongs to the team. */
export async function requireTerritories(db: Db, teamId: string, ids: readonly string[], field: string): Promise<void> {
  if (ids.length === 0) return;
  const found = await db.select({ id: territories.id, teamId: territories.teamId }).from(territories).where(inArray(territories.id, [...new Set(ids)]));
  const byId = new Map(found.map((t) => [t.id, t.teamId]));
  ids.forEach((id, i) => {
    const owner = byId.get(id);
    const at = ids.length > 1 || field.endsWith("s") ? `${field}.${i}` : field;
    if (owner === undefined) throw refused(at, `no territory ${id}`);
    if (owner !== teamId) throw refused(at, `territory ${id} belongs to another team`);
  });
}

/** The rep exists (not deleted) and belongs to the team. */
export async function requireRep(db: Db, teamId: string, repId: string, field: string): Promise<void> {
  const rep = await db.select({ teamId: reps.teamId }).from(reps).where(and(eq(reps.id, repId), isNull(reps.deletedAt))).get();
  if (!rep) throw refused(field, `no rep ${repId}`);
  if (rep.teamId !== teamId) throw refused(field, `rep ${repId} belongs to another team`);
}

/** Ids of reps, territories and sites are global (a rep's Durable Object is named by its id): one team owns each. */
export function requireSameTeam(kind: string, id: string, existingTeamId: string | undefined, teamId: string): void {
  if (existingTeamId !== undefined && existingTeamId !== teamId) {
    throw new ApiError("conflict", `${kind} ${id} belongs to team ${existingTeamId}; choose another id`);
  }
}

/** A URL a browser will be sent to or trusted from: http or https only (never `javascript:`, `data:`, ...). */
export const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });
