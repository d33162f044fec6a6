import { signBody } from "../intake/signature.ts";

/**
 * The `lead-router-signature` value for an outgoing body: the same `t=<unix>,v1=<hex HMAC-SHA256 of
 * "t.body">` as inbound signed posts (src/intake/signature.ts), with one `v1=` per live secret so a
 * receiver still holding the previous secret verifies during a rotation.
 */
export async function signOutgoing(raw: Uint8Array, secrets: readonly string[], timestamp = Math.floor(Date.now() / 1000)): Promise<string> {
  const parts = await Promise.all(secrets.map((s) => signBody(s, raw, timestamp)));
  return [`t=${timestamp}`, ...parts.map((p) => p.slice(p.indexOf(",") + 1))].join(",");
}

/** The secrets that sign now: the current one, and the previous one until its grace period ends. */
export function liveSecrets(sub: { secret: string; previousSecret: string | null; previousSecretExpiresAt: number | null }, now = Date.now()): string[] {
  return sub.previousSecret && (sub.previousSecretExpiresAt ?? 0) > now ? [sub.secret, sub.previousSecret] : [sub.secret];
}
