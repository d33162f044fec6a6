import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { idempotencyKeys } from "../db/schema.ts";

export type Claim =
  | { kind: "new" }
  | { kind: "replay"; status: number; body: string }
  | { kind: "conflict"; message: string };

const where = (siteId: string, key: string) => and(eq(idempotencyKeys.siteId, siteId), eq(idempotencyKeys.key, key));

/**
 * Claims an Idempotency-Key for a site. The insert is atomic, so of two concurrent requests with one key
 * exactly one proceeds: the other gets the stored response once there is one, or a 409 until then.
 */
export async function claimKey(db: Db, siteId: string, key: string, requestHash: string): Promise<Claim> {
  const inserted = await db.insert(idempotencyKeys).values({ siteId, key, requestHash }).onConflictDoNothing().returning();
  if (inserted.length > 0) return { kind: "new" };
  const row = await db.select().from(idempotencyKeys).where(where(siteId, key)).get();
  if (!row) return { kind: "conflict", message: "the Idempotency-Key is being released; retry" };
  if (row.requestHash !== requestHash) return { kind: "conflict", message: "this Idempotency-Key was used with a different body" };
  if (row.status === null || row.body === null) return { kind: "conflict", message: "a request with this Idempotency-Key is still in progress" };
  return { kind: "replay", status: row.status, body: row.body };
}

/** Stores the response to replay for later requests with the key (await it, or put it in a batch). */
export function completeKey(db: Db, siteId: string, key: string, status: number, body: string) {
  return db.update(idempotencyKeys).set({ status, body }).where(where(siteId, key));
}

/** Frees a key whose request failed before it had a response, so the client may retry with it. */
export async function releaseKey(db: Db, siteId: string, key: string): Promise<void> {
  await db.delete(idempotencyKeys).where(where(siteId, key));
}
