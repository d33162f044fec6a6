import { eq } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import { teams } from "../db/schema.ts";
import { ttlCache } from "../lib/ttl-cache.ts";

/** A team's data settings: the model family it scores with, and how long its leads keep personal fields. */
export type TeamSettings = { modelFamily: string | null; retentionDays: number | null };

/** How long an isolate trusts a team's settings (as for the active policy): a change reaches new leads within it. */
const TEAM_TTL_MS = 5_000;
const cache = ttlCache<string, TeamSettings>(TEAM_TTL_MS);

/** Forgets cached team settings (after an admin change in this isolate). */
export function invalidateTeamSettings(): void {
  cache.invalidate();
}

/** A team's settings, cached per isolate for a few seconds; an unknown team has none. */
export async function teamSettings(env: Env, teamId: string): Promise<TeamSettings> {
  return cache.get(teamId, async () => {
    const row = await getDb(env.DB).select({ modelFamily: teams.modelFamily, retentionDays: teams.retentionDays }).from(teams).where(eq(teams.id, teamId)).get();
    return row ?? { modelFamily: null, retentionDays: null };
  });
}

/** The family a team with these settings scores with: its own, else the default (env.MODEL_NAME). */
const familyOf = (env: Env, settings: TeamSettings) => settings.modelFamily ?? env.MODEL_NAME;

/** The model family a team scores with, if this isolate knows it without a read (its settings are cached). */
export function knownFamily(env: Env, teamId: string): string | undefined {
  const settings = cache.peek(teamId);
  return settings && familyOf(env, settings);
}

/** The model family a team's leads are scored with: its own, else the default (env.MODEL_NAME). */
export async function familyForTeam(env: Env, teamId: string | null): Promise<string> {
  if (teamId === null) return env.MODEL_NAME;
  return familyOf(env, await teamSettings(env, teamId));
}

/**
 * Which teams score with `family`: a predicate over team ids (teams naming no family score with the
 * default one). Read fresh, for monitoring runs and reports.
 */
export async function teamsOfFamily(env: Env, family: string): Promise<(teamId: string) => boolean> {
  const rows = await getDb(env.DB).select({ id: teams.id, family: teams.modelFamily }).from(teams);
  const named = new Map(rows.map((r) => [r.id, r.family ?? env.MODEL_NAME]));
  return (teamId) => (named.get(teamId) ?? env.MODEL_NAME) === family;
}

/** The first team (by id) naming `family`, whose policy's drift settings the family's checks use; null for the default family. */
export async function familyOwner(env: Env, family: string): Promise<string | null> {
  if (family === env.MODEL_NAME) return null;
  const row = await getDb(env.DB).select({ id: teams.id }).from(teams).where(eq(teams.modelFamily, family)).orderBy(teams.id).limit(1).get();
  return row?.id ?? null;
}
