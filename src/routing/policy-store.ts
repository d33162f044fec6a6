import { desc, eq } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import { policies } from "../db/schema.ts";
import { ttlCache } from "../lib/ttl-cache.ts";
import { DEFAULT_POLICY, PolicySchema, type Policy } from "./policy.ts";

export type ActivePolicy = { version: number; policy: Policy };

/** How long an isolate trusts its view of the active policy: a rollback reaches new leads within it. */
export const POLICY_TTL_MS = 5_000;

const active = ttlCache<"active", ActivePolicy>(POLICY_TTL_MS);
// A version's body never changes once stored, so a parsed version is kept for as long as the cache keeps it
// (an experiment arm asks for its version on every lead).
const versions = ttlCache<number, Policy | undefined>(60_000, 32);

export function invalidatePolicy(): void {
  active.invalidate();
  versions.invalidate();
}

async function loadActive(env: Env): Promise<ActivePolicy> {
  const row = await getDb(env.DB).select().from(policies).where(eq(policies.status, "active")).get();
  // Version 0 is the built-in default, used only before any policy was stored.
  if (!row) return { version: 0, policy: DEFAULT_POLICY };
  return { version: row.version, policy: PolicySchema.parse(row.body) };
}

/** The active routing policy, cached per isolate for a few seconds. */
export async function getActivePolicy(env: Env): Promise<ActivePolicy> {
  return active.get("active", () => loadActive(env));
}

/** A stored policy version (0 is the built-in default), or undefined. */
export async function getPolicyVersion(env: Env, version: number): Promise<Policy | undefined> {
  if (version === 0) return DEFAULT_POLICY;
  return versions.get(version, async () => {
    const row = await getDb(env.DB).select().from(policies).where(eq(policies.version, version)).get();
    return row ? PolicySchema.parse(row.body) : undefined;
  });
}

export function policyHistory(env: Env) {
  return getDb(env.DB)
    .select({ version: policies.version, status: policies.status, createdAt: policies.createdAt, activatedAt: policies.activatedAt })
    .from(policies)
    .orderBy(desc(policies.version));
}
