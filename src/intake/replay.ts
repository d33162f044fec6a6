import { lt } from "drizzle-orm";
import { failedConstraint, type Db } from "../db/client.ts";
import { signedPosts } from "../db/schema-trust.ts";
import { ApiError } from "../lib/errors.ts";
import { SIGNATURE_TOLERANCE_SECONDS } from "./signature.ts";

/**
 * Replayed signed posts are refused. A signed post's HMAC is stored in the same D1 batch that stores its
 * lead (no extra round trip); the second arrival of the same signature fails that batch on the primary
 * key, so nothing of it is stored, and is answered 409. A client that retries on purpose sends the
 * same request with an `Idempotency-Key` (replayed from the first answer before this check) or signs
 * it afresh. Signatures are kept for twice the tolerance window: after that the timestamp check refuses
 * the post anyway.
 */
export function rememberSignature(db: Db, siteId: string, signature: string, now = Date.now()) {
  return db.insert(signedPosts).values({ siteId, signature, seenAt: now });
}

/** True when `err` is the batch failing on an already-seen signature. */
export function isReplayedSignature(err: unknown): boolean {
  return failedConstraint(err, /UNIQUE constraint failed: signed_posts\./);
}

export const replayRefused = () =>
  new ApiError("conflict", "this signed request was already received: a replayed signature is refused (retry with an Idempotency-Key, or sign the post again)");

/** Forgets signatures older than twice the tolerance window (the cron trigger). */
export async function forgetOldSignatures(db: Db, now = Date.now()): Promise<number> {
  const gone = await db.delete(signedPosts).where(lt(signedPosts.seenAt, now - 2 * SIGNATURE_TOLERANCE_SECONDS * 1000)).returning({ site: signedPosts.siteId });
  return gone.length;
}
