import { and, desc, eq, isNull, or } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import { policies } from "../db/schema.ts";
import { ttlCache } from "../lib/ttl-cache.ts";
import { DEFAULT_POLICY, PolicySchema, type Policy } from "./policy.ts";

/**
 * The policy a team routes under. `owner` is the team whose policy it is, or null for the default policy
 * (a team without an active policy of its own routes under the default one).
 */
export type ActivePolicy = { version: number; policy: Policy; owner: string | null };

/** How long an isolate trusts its view of the active policy: a rollback reaches new leads within it. */
export const POLICY_TTL_MS = 5_000;

// Per team ("" is the default).
const active = ttlCache<string, ActivePolicy>(POLICY_TTL_MS);
// A version's body never changes once stored, so a parsed version is kept for as long as the cache keeps it
// (an experiment arm asks for its version on every lead).
const versions = ttlCache<number, { policy: Policy; owner: string | null } | undefined>(60_000, 32);

export function invalidatePolicy(): void {
  active.invalidate();
  versions.invalidate();
}

/** The rows of one policy scope: a team's own (teamId) or the default's (null). */
export const policyScope = (teamId: string | null) => (teamId === null ? isNull(policies.teamId) : eq(policies.teamId, teamId));

async function loadActive(env: Env, teamId: string | null): Promise<ActivePolicy> {
  // One query for both: the team's own active policy and the default's.
  const rows = await getDb(env.DB)
    .select()
    .from(policies)
    .where(and(eq(policies.status, "active"), teamId === null ? policyScope(null) : or(policyScope(teamId), policyScope(null))));
  const own = teamId === null ? undefined : rows.find((r) => r.teamId === teamId);
  if (own) return { version: own.version, policy: PolicySchema.parse(own.body), owner: teamId };
  const row = rows.find((r) => r.teamId === null);
  // Version 0 is the built-in default, used only before any policy was stored.
  if (!row) return { version: 0, policy: DEFAULT_POLICY, owner: null };
  return { version: row.version, policy: PolicySchema.parse(row.body), owner: null };
}

/**
 * The active routing policy of a team (its own, else the default); with no team, the default policy.
 * Cached per isolate and team for a few seconds.
 */
export async function getActivePolicy(env: Env, teamId: string | null = null): Promise<ActivePolicy> {
  return active.get(teamId ?? "", () => loadActive(env, teamId));
}

/** A stored policy version with the team it belongs to (0 is the built-in default), or undefined. */
export async function getPolicyRecord(env: Env, version: number): Promise<{ policy: Policy; owner: string | null } | undefined> {
  if (version === 0) return { policy: DEFAULT_POLICY, owner: null };
  return versions.get(version, async () => {
    const row = await getDb(env.DB).select().from(policies).where(eq(policies.version, version)).get();
    return row ? { policy: PolicySchema.parse(row.body), owner: row.teamId } : undefined;
  });
}

/** A stored policy version (0 is the built-in default), or undefined. */
export async function getPolicyVersion(env: Env, version: number): Promise<Policy | undefined> {
  return (await getPolicyRecord(env, version))?.policy;
}

/** The versions of one scope: a team's own policies, or the default's (null). */
export function policyHistory(env: Env, teamId: string | null = null) {
  return getDb(env.DB)
    .select({ version: policies.version, status: policies.status, teamId: policies.teamId, createdAt: policies.createdAt, activatedAt: policies.activatedAt })
    .from(policies)
    .where(policyScope(teamId))
    .orderBy(desc(policies.version));
}
