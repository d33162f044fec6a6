import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import type { AccountFacts, RepFacts, TerritoryFacts } from "../routing/plan.ts";
import { accountDomainCandidates } from "../routing/domains.ts";
import { selectInChunks } from "./chunks.ts";
import type { Db } from "./client.ts";
import { accounts, reps, territories } from "./schema.ts";

export type RepRow = typeof reps.$inferSelect;

export const repFacts = (r: RepRow): RepFacts => ({
  id: r.id,
  role: r.role,
  weight: r.weight,
  winRateFactor: r.winRateFactor,
  timezone: r.timezone,
  status: r.status,
  outOfOfficeUntil: r.outOfOfficeUntil,
  workingHours: r.workingHours ?? null,
  territoryIds: r.territoryIds,
  segments: r.segments,
});

const teamRepsQuery = (db: Db, teamId: string) => db.select().from(reps).where(and(eq(reps.teamId, teamId), isNull(reps.deletedAt))).orderBy(reps.id);
const teamTerritoriesQuery = (db: Db, teamId: string) => db.select().from(territories).where(eq(territories.teamId, teamId));
const territoryFacts = (t: typeof territories.$inferSelect): TerritoryFacts => ({ id: t.id, countries: t.countries, industries: t.industries, minEmployees: t.minEmployees, maxEmployees: t.maxEmployees });
const accountFacts = (a: typeof accounts.$inferSelect): AccountFacts => ({ domain: a.domain, ownerRepId: a.ownerRepId, strategic: a.strategic });

/** The team's reps (not deleted) and territories. */
export async function teamFacts(db: Db, teamId: string) {
  const [teamReps, teamTerritories] = await db.batch([teamRepsQuery(db, teamId), teamTerritoriesQuery(db, teamId)]);
  return { reps: teamReps, territories: teamTerritories.map(territoryFacts) };
}

/** The account each email belongs to (most specific domain first: eu.acme.com before acme.com), in one query. */
export async function accountsFor(db: Db, teamId: string, emails: readonly string[]): Promise<(AccountFacts | null)[]> {
  const candidates = emails.map(accountDomainCandidates);
  const all = [...new Set(candidates.flat())];
  const found = await selectInChunks(all, (part) => db.select().from(accounts).where(and(eq(accounts.teamId, teamId), inArray(accounts.domain, part))));
  const byDomain = new Map(found.map((a) => [a.domain, a]));
  return candidates.map((domains) => {
    const a = domains.map((d) => byDomain.get(d)).find((x) => x !== undefined);
    return a ? accountFacts(a) : null;
  });
}

export type RoutingFacts = { reps: RepRow[]; territories: TerritoryFacts[]; account: AccountFacts | null };

/**
 * The reads behind routingFacts as batch items, and how to turn their results into facts: the intake sends
 * them in the batch that stores the lead, so storing and reading cost one round trip.
 */
export function routingFactReads(db: Db, teamId: string, email: string) {
  const domains = accountDomainCandidates(email);
  const reads = [
    teamRepsQuery(db, teamId),
    teamTerritoriesQuery(db, teamId),
    db.select().from(accounts).where(and(eq(accounts.teamId, teamId), domains.length > 0 ? inArray(accounts.domain, domains) : sql`0`)),
  ] as const;
  const collect = (results: readonly unknown[]): RoutingFacts => {
    const [teamReps, teamTerritories, found] = results as [RepRow[], (typeof territories.$inferSelect)[], (typeof accounts.$inferSelect)[]];
    const byDomain = new Map(found.map((a) => [a.domain, a]));
    const account = domains.map((d) => byDomain.get(d)).find((x) => x !== undefined);
    return { reps: teamReps, territories: teamTerritories.map(territoryFacts), account: account ? accountFacts(account) : null };
  };
  return { reads, collect };
}

/** Everything routing reads from D1 for one lead, in one batch: the team's reps, its territories, the matched account. */
export async function routingFacts(db: Db, teamId: string, email: string): Promise<RoutingFacts> {
  const { reads, collect } = routingFactReads(db, teamId, email);
  return collect(await db.batch(reads));
}
