import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "./client.ts";
import { reps, territories } from "./schema.ts";

export type RepRow = typeof reps.$inferSelect;

/** A territory as routing matches it. */
export type TerritoryFacts = { id: string; countries: string[]; industries: string[]; minEmployees: number | null; maxEmployees: number | null };
/** The account a lead's email domain belongs to, as routing uses it. */
export type AccountFacts = { domain: string; ownerRepId: string | null; strategic: boolean };

const teamRepsQuery = (db: Db, teamId: string) => db.select().from(reps).where(and(eq(reps.teamId, teamId), isNull(reps.deletedAt))).orderBy(reps.id);
const teamTerritoriesQuery = (db: Db, teamId: string) => db.select().from(territories).where(eq(territories.teamId, teamId));
const territoryFacts = (t: typeof territories.$inferSelect): TerritoryFacts => ({ id: t.id, countries: t.countries, industries: t.industries, minEmployees: t.minEmployees, maxEmployees: t.maxEmployees });

/** The team's reps (not deleted) and territories. */
export async function teamFacts(db: Db, teamId: string) {
  const [teamReps, teamTerritories] = await db.batch([teamRepsQuery(db, teamId), teamTerritoriesQuery(db, teamId)]);
  return { reps: teamReps, territories: teamTerritories.map(territoryFacts) };
}

export type RoutingFacts = { reps: RepRow[]; territories: TerritoryFacts[]; account: AccountFacts | null };
