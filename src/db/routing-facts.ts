import { and, eq, inArray, isNull } from "drizzle-orm";
import type { AccountFacts, RepFacts, TerritoryFacts } from "../routing/plan.ts";
import { accountDomainCandidates } from "../routing/domains.ts";
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

/** Everything routing reads from D1 for one lead: the team's reps, its territories, the matched account. */
export async function routingFacts(db: Db, teamId: string, email: string) {
  const domains = accountDomainCandidates(email);
  const [teamReps, teamTerritories, matched] = await Promise.all([
    db.select().from(reps).where(and(eq(reps.teamId, teamId), isNull(reps.deletedAt))).orderBy(reps.id),
    db.select().from(territories).where(eq(territories.teamId, teamId)),
    domains.length ? db.select().from(accounts).where(and(eq(accounts.teamId, teamId), inArray(accounts.domain, domains))) : Promise.resolve([]),
  ]);
  // The most specific domain wins: eu.acme.com before acme.com.
  const account = domains.map((d) => matched.find((a) => a.domain === d)).find((a) => a !== undefined);
  return {
    reps: teamReps,
    territories: teamTerritories.map((t): TerritoryFacts => ({ id: t.id, countries: t.countries, industries: t.industries, minEmployees: t.minEmployees, maxEmployees: t.maxEmployees })),
    account: account ? ({ domain: account.domain, ownerRepId: account.ownerRepId, strategic: account.strategic } satisfies AccountFacts) : null,
  };
}
