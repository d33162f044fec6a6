import { eq } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import { sites } from "../db/schema.ts";

export type SiteRow = typeof sites.$inferSelect;

const SITE_TTL_MS = 30_000;
// Resolved rows only, never a pending query: another request must not await this one's I/O.
const cache = new Map<string, { at: number; value: SiteRow | undefined }>();

/** Forgets cached sites (after an admin change in this isolate). */
export function invalidateSites(): void {
  cache.clear();
}

/** A site by its public key, cached per isolate for 30 s; undefined when unknown. */
export async function getSite(env: Env, id: string): Promise<SiteRow | undefined> {
  const hit = cache.get(id);
  if (hit && Date.now() - hit.at < SITE_TTL_MS) return hit.value;
  const value = await getDb(env.DB).select().from(sites).where(eq(sites.id, id)).get();
  cache.set(id, { at: Date.now(), value });
  return value;
}
