import { and, desc, eq, isNull, or } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import { policies } from "../db/schema.ts";
import { DEFAULT_POLICY, PolicySchema, type Policy } from "./policy.ts";

/**
 * The policy a team routes under. `owner` is the team whose policy it is, or null for the default policy
 * (a team without an active policy of its own routes under the default one).
 */
export type ActivePolicy = { version: number; policy: Policy; owner: string | null };

/** How long an isolate trusts its view of the active policy: a rollback reaches new leads within it. */
export const POLICY_TTL_MS = 5_000;

// Resolved policies per team ("" is the default), never the query's promise (another request must not
// await this one's I/O).
const cached = new Map<string, { at: number; value: ActivePolicy }>();

export function invalidatePolicy(): void {
  cached.clear();
  versions.clear();
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
  const now = Date.now();
  const key = teamId ?? "";
  const hit = cached.get(key);
  if (hit && now - hit.at <= POLICY_TTL_MS) return hit.value;
  const value = await loadActive(env, teamId);
  cached.set(key, { at: now, value });
  return value;
}

// A version's body never changes once stored, so a parsed version is kept (an experiment arm asks for its
// version on every lead). Bounded: the oldest entry goes first.
const versions = new Map<number, { policy: Policy; owner: string | null }>();
const MAX_CACHED_VERSIONS = 32;

/** A stored policy version with the team it belongs to (0 is the built-in default), or undefined. */
export async function getPolicyRecord(env: Env, version: number): Promise<{ policy: Policy; owner: string | null } | undefined> {
  if (version === 0) return { policy: DEFAULT_POLICY, owner: null };
  const hit = versions.get(version);
  if (hit) return hit;
  const row = await getDb(env.DB).select().from(policies).where(eq(policies.version, version)).get();
  if (!row) return undefined;
  const record = { policy: PolicySchema.parse(row.body), owner: row.teamId };
  if (versions.size >= MAX_CACHED_VERSIONS) versions.delete(versions.keys().next().value!);
  versions.set(version, record);
  return record;
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
