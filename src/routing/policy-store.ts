import { desc, eq } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import { policies } from "../db/schema.ts";
import { DEFAULT_POLICY, PolicySchema, type Policy } from "./policy.ts";

export type ActivePolicy = { version: number; policy: Policy };

/** How long an isolate trusts its view of the active policy: a rollback reaches new leads within it. */
export const POLICY_TTL_MS = 5_000;

// The resolved policy is cached, never the query's promise (another request must not await this one's I/O).
let cached: { at: number; value: ActivePolicy } | undefined;

export function invalidatePolicy(): void {
  cached = undefined;
  versions.clear();
}

async function loadActive(env: Env): Promise<ActivePolicy> {
  const row = await getDb(env.DB).select().from(policies).where(eq(policies.status, "active")).get();
  // Version 0 is the built-in default, used only before any policy was stored.
  if (!row) return { version: 0, policy: DEFAULT_POLICY };
  return { version: row.version, policy: PolicySchema.parse(row.body) };
}

/** The active routing policy, cached per isolate for a few seconds. */
export async function getActivePolicy(env: Env): Promise<ActivePolicy> {
  const now = Date.now();
  if (cached && now - cached.at <= POLICY_TTL_MS) return cached.value;
  const value = await loadActive(env);
  cached = { at: now, value };
  return value;
}

// A version's body never changes once stored, so a parsed version is kept (an experiment arm asks for its
// version on every lead). Bounded: the oldest entry goes first.
const versions = new Map<number, Policy>();
const MAX_CACHED_VERSIONS = 32;

/** A stored policy version (0 is the built-in default), or undefined. */
export async function getPolicyVersion(env: Env, version: number): Promise<Policy | undefined> {
  if (version === 0) return DEFAULT_POLICY;
  const hit = versions.get(version);
  if (hit) return hit;
  const row = await getDb(env.DB).select().from(policies).where(eq(policies.version, version)).get();
  if (!row) return undefined;
  const policy = PolicySchema.parse(row.body);
  if (versions.size >= MAX_CACHED_VERSIONS) versions.delete(versions.keys().next().value!);
  versions.set(version, policy);
  return policy;
}

export function policyHistory(env: Env) {
  return getDb(env.DB)
    .select({ version: policies.version, status: policies.status, createdAt: policies.createdAt, activatedAt: policies.activatedAt })
    .from(policies)
    .orderBy(desc(policies.version));
}
