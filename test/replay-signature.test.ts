import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { getDb } from "../src/db/client.ts";
import { forgetOldSignatures } from "../src/intake/replay.ts";
import { signBody } from "../src/intake/signature.ts";
import { call, HOT_LEAD, uniqueEmail, type ErrorJson } from "./helpers.ts";
import { admin } from "./trust-helpers.ts";

const SECRET = "whsec_replay_0123456789abcdef";
const leadsStored = () => env.DB.prepare("SELECT count(*) AS n FROM leads WHERE site_id = 'pk_signed'").first("n");

/** A signed request, ready to be sent (and sent again) byte for byte. */
async function signed(extra: Record<string, string> = {}) {
  const raw = new TextEncoder().encode(JSON.stringify({ ...HOT_LEAD, email: uniqueEmail() }));
  const headers = { "content-type": "application/json", "x-site-key": "pk_signed", "lead-router-signature": await signBody(SECRET, raw), ...extra };
  return { raw, headers, send: (h: Record<string, string> = headers) => call("/v1/leads", { method: "POST", headers: h, body: raw }) };
}

beforeEach(async () => {
  // No dedupe window: nothing but the signature check stands between a replay and a second lead.
  const res = await admin("/v1/admin/sites/pk_signed", "PUT", { name: "server", teamId: "demo", signingSecrets: [SECRET], requireSignature: true, dedupeWindowSeconds: 0 });
  expect(res.status).toBe(201);
});

describe("replayed signed posts", () => {
  it("refuses the same signed request sent twice within the window with a 409, storing one lead", async () => {
    const req = await signed();
    expect((await req.send()).status).toBe(201);
    const again = await req.send();
    expect(again.status).toBe(409);
    expect(((await again.json()) as ErrorJson).error.message).toContain("replayed signature");
    expect(await leadsStored()).toBe(1);
  });

  it("refuses a replay whose header is padded with another v1 value", async () => {
    const req = await signed();
    expect((await req.send()).status).toBe(201);
    const padded = { ...req.headers, "lead-router-signature": `${req.headers["lead-router-signature"]},v1=${"ab".repeat(32)}` };
    expect((await req.send(padded)).status).toBe(409);
    expect(await leadsStored()).toBe(1);
  });

  it("answers a retry that carries an Idempotency-Key with the first answer instead", async () => {
    const req = await signed({ "idempotency-key": "retry-1" });
    const first = await req.send();
    expect(first.status).toBe(201);
    const retry = await req.send();
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.json()).toEqual(await first.json());
    expect(await leadsStored()).toBe(1);
  });

  it("accepts the same body signed afresh (another timestamp) as a new post", async () => {
    const raw = new TextEncoder().encode(JSON.stringify({ ...HOT_LEAD, email: uniqueEmail() }));
    const t = Math.floor(Date.now() / 1000);
    for (const ts of [t - 1, t]) {
      const res = await call("/v1/leads", { method: "POST", headers: { "content-type": "application/json", "x-site-key": "pk_signed", "lead-router-signature": await signBody(SECRET, raw, ts) }, body: raw });
      expect(res.status).toBe(201);
    }
    expect(await leadsStored()).toBe(2);
  });

  it("forgets signatures older than twice the tolerance window, keeping recent ones", async () => {
    const req = await signed();
    expect((await req.send()).status).toBe(201);
    await env.DB.prepare("INSERT INTO signed_posts (site_id, signature, seen_at) VALUES ('pk_signed', 'old', ?)").bind(Date.now() - 11 * 60_000).run();
    expect(await forgetOldSignatures(getDb(env.DB))).toBe(1);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM signed_posts").first("n")).toBe(1);
  });
});
