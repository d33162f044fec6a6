import { and, eq, inArray } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import { teamFacts, type RepRow, type RoutingFacts } from "../db/routing-facts.ts";
import { accounts } from "../db/schema.ts";
import { ttlCache } from "../lib/ttl-cache.ts";
import type { AccountContext } from "../signals/aggregates.ts";
import { accountDomainCandidates } from "./domains.ts";
import type { AccountFacts, TerritoryFacts } from "./plan.ts";

/**
 * A team's routing facts as this isolate last read them: reps, territories and (for teams of up to
 * MAX_CACHED_ACCOUNTS accounts) every account by domain. A lead reads them from here instead of paying a
 * D1 round trip to the primary; an admin change in this isolate invalidates them at once, one made elsewhere
 * reaches this isolate within 2 × FACTS_TTL_MS (the second while they reload after a lead's answer). Capacity is never cached here: the rep's Durable Object decides.
 */
export const FACTS_TTL_MS = 2_000;
const MAX_CACHED_ACCOUNTS = 5_000;

// Accounts are kept with what the scorer can read of them (`account.*` signals), so a lead's signals read
// only its events.
type TeamFacts = { reps: RepRow[]; territories: TerritoryFacts[]; accounts: Map<string, AccountContext> | null };
// Past its TTL a team's facts answer one more TTL while they reload after the answer (an admin change in this
// isolate invalidates them at once; one made elsewhere reaches new leads within twice the TTL).
const teams = ttlCache<string, TeamFacts>(FACTS_TTL_MS, 200, FACTS_TTL_MS);

/** Forgets every team's facts (after an admin change to reps, territories or accounts in this isolate). */
export function invalidateRoutingFacts(): void {
  teams.invalidate();
}

async function loadTeam(env: Env, teamId: string): Promise<TeamFacts> {
  const db = getDb(env.DB);
  const [team, rows] = await Promise.all([
    teamFacts(db, teamId),
    db
      .select({ domain: accounts.domain, ownerRepId: accounts.ownerRepId, strategic: accounts.strategic, industry: accounts.industry, employees: accounts.employees, arr: accounts.arr, territoryId: accounts.territoryId })
      .from(accounts)
      .where(eq(accounts.teamId, teamId))
      .limit(MAX_CACHED_ACCOUNTS + 1),
  ]);
  return { ...team, accounts: rows.length > MAX_CACHED_ACCOUNTS ? null : new Map(rows.map((a) => [a.domain, a])) };
}

/** The lead's routing facts: the team's from the isolate cache, its account from there or (large teams) D1. */
export async function cachedRoutingFacts(env: Env, teamId: string, email: string): Promise<RoutingFacts> {
  const team = await teams.get(teamId, () => loadTeam(env, teamId));
  const domains = accountDomainCandidates(email);
  let account: AccountFacts | undefined;
  if (team.accounts) {
    const found = domains.map((d) => team.accounts!.get(d)).find((a) => a !== undefined);
    account = found && { domain: found.domain, ownerRepId: found.ownerRepId, strategic: found.strategic };
  } else if (domains.length > 0) {
    const found = await getDb(env.DB)
      .select({ domain: accounts.domain, ownerRepId: accounts.ownerRepId, strategic: accounts.strategic })
      .from(accounts)
      .where(and(eq(accounts.teamId, teamId), inArray(accounts.domain, domains)));
    account = domains.map((d) => found.find((a) => a.domain === d)).find((a) => a !== undefined);
  }
  return { reps: team.reps, territories: team.territories, account: account ?? null };
}

/** The team's reps as this isolate last read them, however long ago (a guess of whom to ask for counters early, never routing facts). */
export function lastKnownReps(teamId: string): readonly RepRow[] | undefined {
  return teams.last(teamId)?.reps;
}

/**
 * The team's accounts with their scoring context, by domain, from the same cached facts (null for a team of
 * more than MAX_CACHED_ACCOUNTS: its signals read their account from D1).
 */
export async function cachedAccountContexts(env: Env, teamId: string): Promise<ReadonlyMap<string, AccountContext> | null> {
  return (await teams.get(teamId, () => loadTeam(env, teamId))).accounts;
}
