import { eq } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import { sites } from "../db/schema.ts";

export type SiteRow = typeof sites.$inferSelect;

const SITE_TTL_MS = 30_000;
const cache = new Map<string, { at: number; value: Promise<SiteRow | undefined> }>();

/** Forgets cached sites (after an admin change in this isolate). */
export function invalidateSites(): void {
  cache.clear();
}

/** A site by its public key, cached per isolate for 30 s; undefined when unknown. */
export function getSite(env: Env, id: string): Promise<SiteRow | undefined> {
  const hit = cache.get(id);
  if (hit && Date.now() - hit.at < SITE_TTL_MS) return hit.value;
  const value = getDb(env.DB).select().from(sites).where(eq(sites.id, id)).get();
  cache.set(id, { at: Date.now(), value });
  value.catch(() => cache.delete(id));
  return value;
}
