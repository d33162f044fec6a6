import { and, eq, inArray, isNull } from "drizzle-orm";
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

/** The team's reps (not deleted) and territories. */
export async function teamFacts(db: Db, teamId: string) {
  const [teamReps, teamTerritories] = await Promise.all([
    db.select().from(reps).where(and(eq(reps.teamId, teamId), isNull(reps.deletedAt))).orderBy(reps.id),
    db.select().from(territories).where(eq(territories.teamId, teamId)),
  ]);
  return {
    reps: teamReps,
    territories: teamTerritories.map((t): TerritoryFacts => ({ id: t.id, countries: t.countries, industries: t.industries, minEmployees: t.minEmployees, maxEmployees: t.maxEmployees })),
  };
}

/** The account each email belongs to (most specific domain first: eu.acme.com before acme.com), in one query. */
export async function accountsFor(db: Db, teamId: string, emails: readonly string[]): Promise<(AccountFacts | null)[]> {
  const candidates = emails.map(accountDomainCandidates);
  const all = [...new Set(candidates.flat())];
  const found = await selectInChunks(all, (part) => db.select().from(accounts).where(and(eq(accounts.teamId, teamId), inArray(accounts.domain, part))));
  const byDomain = new Map(found.map((a) => [a.domain, a]));
  return candidates.map((domains) => {
    const a = domains.map((d) => byDomain.get(d)).find((x) => x !== undefined);
    return a ? { domain: a.domain, ownerRepId: a.ownerRepId, strategic: a.strategic } : null;
  });
}

/** Everything routing reads from D1 for one lead: the team's reps, its territories, the matched account. */
export async function routingFacts(db: Db, teamId: string, email: string) {
  const [team, [account]] = await Promise.all([teamFacts(db, teamId), accountsFor(db, teamId, [email])]);
  return { ...team, account: account ?? null };
}
