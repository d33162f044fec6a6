import { eq } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import { sites } from "../db/schema.ts";
import { ttlCache } from "../lib/ttl-cache.ts";

export type SiteRow = typeof sites.$inferSelect;

const SITE_TTL_MS = 30_000;
const cache = ttlCache<string, SiteRow | undefined>(SITE_TTL_MS);

/** Forgets cached sites (after an admin change in this isolate). */
export function invalidateSites(): void {
  cache.invalidate();
}

/**
 * Whether a lead of this site key must read the site first (not fresh in this isolate), and if so the team it
 * belonged to when this isolate last read it, however long ago (undefined: never read). A site never changes
 * team (see the admin route), so that is a safe guess of whose context the lead will need — to read beside
 * the site, never to authorize anything.
 */
export function siteToRead(id: string): { lastTeam: string | undefined } | undefined {
  return cache.peek(id) === undefined ? { lastTeam: cache.last(id)?.teamId } : undefined;
}

/** A site by its public key, cached per isolate for 30 s; undefined when unknown. */
export async function getSite(env: Env, id: string): Promise<SiteRow | undefined> {
  return cache.get(id, () => getDb(env.DB).select().from(sites).where(eq(sites.id, id)).get());
}
