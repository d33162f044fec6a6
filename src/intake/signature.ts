import { toHex } from "../lib/hashing.ts";

/** The header a server-to-server post carries: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = "lead-router-signature";

/** How far a signature's timestamp may be from now, either way. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const encoder = new TextEncoder();

function hexToBytes(hex: string): Uint8Array | null {
  if (!/^(?:[0-9a-f]{2})+$/i.test(hex)) return null;
  return Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
}

function signedPayload(timestamp: string, raw: Uint8Array): Uint8Array {
  const prefix = encoder.encode(`${timestamp}.`);
  const out = new Uint8Array(prefix.length + raw.length);
  out.set(prefix);
  out.set(raw, prefix.length);
  return out;
}

const hmacKey = (secret: string, usage: "sign" | "verify") =>
  crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [usage]);

/** Signs a body as a sending server would (used by tests, scripts and client examples). */
export async function signBody(secret: string, raw: Uint8Array, timestamp = Math.floor(Date.now() / 1000)): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret, "sign"), signedPayload(String(timestamp), raw));
  return `t=${timestamp},v1=${toHex(mac)}`;
}

/** `signature`: the hex HMAC that verified, the key under which a replay of this exact request is refused. */
export type SignatureCheck = { ok: true; signature: string } | { ok: false; reason: string };

/**
 * Verifies a Stripe-style signature over `timestamp.rawBody` against any of the site's secrets (several
 * during rotation). `crypto.subtle.verify` compares in constant time.
 */
export async function verifySignature(
  header: string,
  raw: Uint8Array,
  secrets: readonly string[],
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<SignatureCheck> {
  const parts = new Map<string, string[]>();
  for (const item of header.split(",")) {
    const [k, v] = item.trim().split("=", 2);
    if (k && v) parts.set(k, [...(parts.get(k) ?? []), v]);
  }
  const t = parts.get("t")?.[0];
  const sigs = (parts.get("v1") ?? []).map(hexToBytes).filter((s): s is Uint8Array => s !== null);
  if (!t || !/^\d{1,12}$/.test(t) || sigs.length === 0) return { ok: false, reason: "malformed signature header" };
  if (Math.abs(nowSeconds - Number(t)) > SIGNATURE_TOLERANCE_SECONDS) return { ok: false, reason: "signature timestamp outside the 5-minute tolerance" };
  if (secrets.length === 0) return { ok: false, reason: "this site has no signing secret" };
  const data = signedPayload(t, raw);
  for (const secret of secrets) {
    const key = await hmacKey(secret, "verify");
    for (const sig of sigs) if (await crypto.subtle.verify("HMAC", key, sig, data)) return { ok: true, signature: toHex(sig) };
  }
  return { ok: false, reason: "signature does not match" };
}
