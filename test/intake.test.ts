import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { signBody } from "../src/intake/signature.ts";
import { call, HOT_LEAD, postLead, uniqueEmail, type ErrorJson } from "./helpers.ts";
import { TOKENS } from "./setup.ts";

const admin = { authorization: `Bearer ${TOKENS.admin}`, "content-type": "application/json" };

async function putSite(id: string, body: Record<string, unknown>) {
  const res = await call(`/v1/admin/sites/${id}`, { method: "PUT", headers: admin, body: JSON.stringify({ name: id, teamId: "demo", ...body }) });
  expect(res.status).toBeLessThan(300);
}

const count = async (sql: string, ...binds: unknown[]) => (await env.DB.prepare(sql).bind(...binds).first<{ n: number }>())!.n;

/**
 * The local Rate Limiting binding counts in fixed windows aligned to the clock (minute N counts from
 * N:00): a run of posts that straddles a window's end is counted in two. Start early in a window instead.
 */
async function startOfALimiterWindow(periodMs = 60_000, runMs = 10_000): Promise<void> {
  const into = Date.now() % periodMs;
  if (into > periodMs - runMs) await new Promise((resolve) => setTimeout(resolve, periodMs - into + 50));
}

afterEach(() => vi.restoreAllMocks());

describe("forms post directly", () => {
  it("takes a plain urlencoded HTML form and redirects to the thank-you page", async () => {
    const form = new URLSearchParams({ site_key: "pk_demo", email: uniqueEmail(), employees: "4000", job_title: "CTO", demo_requested: "true", pages_viewed: "20", source: "referral" });
    const res = await call("/v1/leads", { method: "POST", body: form, redirect: "manual" });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get("location")!);
    expect(location.pathname).toBe("/thanks");
    const leadId = location.searchParams.get("lead")!;
    const lead = await env.DB.prepare("SELECT status, channel, payload FROM leads WHERE id = ?").bind(leadId).first<{ status: string; channel: string; payload: string }>();
    expect(lead).toMatchObject({ status: "decided", channel: "form" });
    expect(JSON.parse(lead!.payload)).toMatchObject({ employees: 4000, demo_requested: true });
    expect(await count("SELECT count(*) AS n FROM decisions WHERE lead_id = ? AND is_current = 1", leadId)).toBe(1);
  });

  it("redirects to the site's own thank-you URL when it has one", async () => {
    await putSite("pk_shop", { thankYouUrl: "https://shop.example/thanks" });
    const form = new URLSearchParams({ site_key: "pk_shop", email: uniqueEmail() });
    const res = await call("/v1/leads", { method: "POST", body: form, redirect: "manual" });
    expect(res.headers.get("location")).toMatch(/^https:\/\/shop\.example\/thanks\?lead=lead_/);
  });

  it("answers JSON to a multipart form post that asks for JSON", async () => {
    const form = new FormData();
    form.set("email", uniqueEmail());
    form.set("company", "Multipart Inc");
    const res = await call("/v1/leads", { method: "POST", body: form, headers: { accept: "application/json", "x-site-key": "pk_demo" } });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { lead: { status: string } }).lead.status).toBe("decided");
  });

  it("refuses a file in a multipart post", async () => {
    const form = new FormData();
    form.set("email", uniqueEmail());
    form.set("cv", new File(["x"], "cv.pdf"));
    const res = await call("/v1/leads", { method: "POST", body: form, headers: { "x-site-key": "pk_demo" } });
    expect(res.status).toBe(422);
  });

  it("serves a demo page whose form posts to the router", async () => {
    const res = await call("/");
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('action="/v1/leads"');
    expect(page).toContain('name="site_key" value="pk_demo"');
    expect(page).toContain('name="_hp"');
  });
});

describe("CORS and origins", () => {
  it("answers a preflight with the origin, methods and headers", async () => {
    const res = await call("/v1/leads", { method: "OPTIONS", headers: { origin: "https://www.example.com", "access-control-request-method": "POST", "access-control-request-headers": "content-type, idempotency-key" } });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://www.example.com");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")).toContain("idempotency-key");
  });

  it("accepts an allowed origin and refuses another with 403", async () => {
    const ok = await postLead({ email: uniqueEmail() }, { origin: "http://127.0.0.1:8787" });
    expect(ok.status).toBe(201);
    expect(ok.headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:8787");
    expect(ok.headers.get("access-control-expose-headers")).toContain("idempotent-replayed");
    // A server's post (no Origin) is answered without CORS headers: they are for browsers.
    const server = await postLead({ email: uniqueEmail() });
    expect(server.status).toBe(201);
    expect([...server.headers.keys()].filter((k) => k.startsWith("access-control-"))).toEqual([]);
    const bad = await postLead({ email: uniqueEmail() }, { origin: "https://evil.example" });
    expect(bad.status).toBe(403);
    expect(((await bad.json()) as ErrorJson).error.code).toBe("forbidden");
  });

  it("refuses a missing, unknown or revoked site key with 401", async () => {
    expect((await postLead({ email: uniqueEmail() }, { "x-site-key": "" })).status).toBe(401);
    expect((await postLead({ email: uniqueEmail() }, { "x-site-key": "pk_nope" })).status).toBe(401);
    await env.DB.prepare("UPDATE sites SET revoked_at = 1 WHERE id = 'pk_demo'").run();
    const { invalidateSites } = await import("../src/intake/sites.ts");
    invalidateSites();
    expect((await postLead({ email: uniqueEmail() })).status).toBe(401);
  });
});

describe("signed server-to-server posts", () => {
  const OLD = "whsec_old_0123456789abcdef";
  const NEW = "whsec_new_0123456789abcdef";

  async function signedPost(secret: string, ts?: number, site = "pk_server", bindings?: Env) {
    const raw = new TextEncoder().encode(JSON.stringify({ email: uniqueEmail() }));
    return call("/v1/leads", { method: "POST", body: raw, headers: { "content-type": "application/json", "x-site-key": site, "lead-router-signature": await signBody(secret, raw, ts) } }, bindings);
  }

  it("accepts either secret during a rotation", async () => {
    await putSite("pk_server", { signingSecrets: [OLD, NEW], requireSignature: true });
    expect((await signedPost(OLD)).status).toBe(201);
    expect((await signedPost(NEW)).status).toBe(201);
  });

  it("rate-limits a whole site, signed posts included, with 429 and nothing stored", async () => {
    // The same route on an env whose site limiter is a real one with a ceiling of 3 a minute.
    const site = `pk_flood_${crypto.randomUUID().slice(0, 8)}`;
    await putSite(site, { signingSecrets: [NEW], requireSignature: true });
    const tight = { ...env, SITE_RATE_LIMITER: env.TEST_TIGHT_LIMITER };
    await startOfALimiterWindow();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await signedPost(NEW, undefined, site, tight);
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.headers.get("retry-after")).toBe("60");
        expect(((await res.json()) as ErrorJson).error.code).toBe("rate_limited");
      }
    }
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    expect(await count("SELECT count(*) AS n FROM leads WHERE site_id = ?", site)).toBe(3);
  });

  it("refuses a bad signature, a stale or future timestamp, and an unsigned post", async () => {
    await putSite("pk_server", { signingSecrets: [NEW], requireSignature: true });
    const now = Math.floor(Date.now() / 1000);
    for (const res of [await signedPost("whsec_wrong_0123456789"), await signedPost(NEW, now - 301), await signedPost(NEW, now + 301)]) {
      expect(res.status).toBe(401);
      expect(((await res.json()) as ErrorJson).error.message).toMatch(/signature/);
    }
    expect((await postLead({ email: uniqueEmail() }, { "x-site-key": "pk_server" })).status).toBe(401);
    expect(await count("SELECT count(*) AS n FROM leads WHERE site_id = 'pk_server'")).toBe(0);
  });

  it("refuses a body changed after signing", async () => {
    await putSite("pk_server", { signingSecrets: [NEW] });
    const raw = new TextEncoder().encode(JSON.stringify({ email: "a@b.example" }));
    const res = await call("/v1/leads", { method: "POST", body: JSON.stringify({ email: "mallory@b.example" }), headers: { "content-type": "application/json", "x-site-key": "pk_server", "lead-router-signature": await signBody(NEW, raw) } });
    expect(res.status).toBe(401);
  });
});

describe("Turnstile", () => {
  it("checks the token with siteverify and refuses a failed challenge", async () => {
    await putSite("pk_turnstile", { turnstileSecret: "ts_secret" });
    const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const body = (init?.body as FormData | undefined)?.get("response");
      return Response.json({ success: body === "good-token" });
    });
    const post = (token?: string) => postLead({ email: uniqueEmail(), ...(token ? { "cf-turnstile-response": token } : {}) }, { "x-site-key": "pk_turnstile" });
    expect((await post("good-token")).status).toBe(201);
    expect((await post("bad-token")).status).toBe(403);
    expect((await post()).status).toBe(403);
    expect(String(spy.mock.calls[0]![0])).toContain("challenges.cloudflare.com/turnstile/v0/siteverify");
  });
});

describe("spam and floods", () => {
  it("holds a honeypot lead for review without routing it or reserving capacity, then a manager releases it", async () => {
    const res = await postLead({ ...HOT_LEAD, email: uniqueEmail(), _hp: "i am a bot" });
    expect(res.status).toBe(202);
    const { lead } = (await res.json()) as { lead: { id: string; status: string } };
    expect(lead.status).toBe("received");
    expect(await count("SELECT count(*) AS n FROM decisions WHERE lead_id = ?", lead.id)).toBe(0);
    const queue = (await (await call("/v1/admin/review", { headers: admin })).json()) as { data: { id: string; reason: string }[] };
    expect(queue.data).toEqual([expect.objectContaining({ id: lead.id, reason: "honeypot field filled" })]);
    const released = await call(`/v1/admin/review/${lead.id}/release`, { method: "POST", headers: admin, body: JSON.stringify({ reason: "a real customer" }) });
    expect(released.status).toBe(200);
    expect(await count("SELECT count(*) AS n FROM decisions WHERE lead_id = ? AND is_current = 1", lead.id)).toBe(1);
  });

  it("sends disposable-mail leads to review", async () => {
    const res = await postLead({ email: `x${Date.now()}@mailinator.com` });
    const { lead } = (await res.json()) as { lead: { id: string } };
    expect(await env.DB.prepare("SELECT review_reason AS r FROM leads WHERE id = ?").bind(lead.id).first("r")).toBe("disposable email domain");
  });

  it("rate-limits one client IP with 429 and Retry-After", async () => {
    const ip = `198.51.100.${Math.floor(Math.random() * 250)}`;
    await startOfALimiterWindow();
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) statuses.push((await postLead({ email: uniqueEmail() }, { "cf-connecting-ip": ip })).status);
    expect(statuses.slice(0, 30).every((s) => s === 201)).toBe(true);
    expect(statuses.slice(30)).toEqual([429, 429]);
    const res = await postLead({ email: uniqueEmail() }, { "cf-connecting-ip": ip });
    expect(res.headers.get("retry-after")).toBe("60");
    expect(((await res.json()) as ErrorJson).error.code).toBe("rate_limited");
  });
});

describe("idempotency and duplicates", () => {
  it("replays the first response for the same key and body", async () => {
    const body = { ...HOT_LEAD, email: uniqueEmail() };
    const first = await postLead(body, { "idempotency-key": "k-1" });
    const second = await postLead(body, { "idempotency-key": "k-1" });
    expect(second.status).toBe(first.status);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(await second.json()).toEqual(await first.json());
    expect(await count("SELECT count(*) AS n FROM leads")).toBe(1);
  });

  it("answers 409 when a key is reused with another body", async () => {
    await postLead({ email: uniqueEmail() }, { "idempotency-key": "k-2" });
    const res = await postLead({ email: uniqueEmail() }, { "idempotency-key": "k-2" });
    expect(res.status).toBe(409);
    expect(await count("SELECT count(*) AS n FROM leads")).toBe(1);
  });

  it("creates exactly one lead when ten requests race with one key", async () => {
    const body = { ...HOT_LEAD, email: uniqueEmail() };
    const statuses = (await Promise.all(Array.from({ length: 10 }, () => postLead(body, { "idempotency-key": "k-race" })))).map((r) => r.status);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    expect(await count("SELECT count(*) AS n FROM leads")).toBe(1);
  });

  it("merges a repeated submission (same site and email) into the first lead", async () => {
    const email = uniqueEmail();
    const first = (await (await postLead({ ...HOT_LEAD, email })).json()) as { lead: { id: string } };
    const res = await postLead({ ...HOT_LEAD, email, pages_viewed: 40 });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ lead: { id: first.lead.id, status: "merged" } });
    expect(await count("SELECT count(*) AS n FROM leads")).toBe(1);
    expect(await count("SELECT count(*) AS n FROM submissions WHERE lead_id = ?", first.lead.id)).toBe(1);
    expect(await count("SELECT count(*) AS n FROM decisions")).toBe(1);
  });

  it("never creates two leads when identical submissions race", async () => {
    const body = { ...HOT_LEAD, email: uniqueEmail() };
    await Promise.all(Array.from({ length: 8 }, () => postLead(body)));
    expect(await count("SELECT count(*) AS n FROM leads")).toBe(1);
    expect(await count("SELECT count(*) AS n FROM submissions")).toBe(7);
  });
});
