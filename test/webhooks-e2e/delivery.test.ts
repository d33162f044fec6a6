/**
 * Webhooks end to end, through real sockets and a real queue: the Worker runs on 127.0.0.1 under
 * wrangler's programmatic dev server (Miniflare's queue broker, producer and consumer as wrangler.toml
 * declares them), and each test starts its own HTTP receiver on 127.0.0.1, subscribes it, posts leads
 * and reads what arrived. Signatures are checked with node:crypto, following the README's algorithm.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readD1Migrations } from "@cloudflare/vitest-plugin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_startWorker } from "wrangler";
import { readModelDir } from "../../scripts/lib/default-model.ts";
import { openLocalStorage } from "../../scripts/lib/local-wrangler.ts";
import { goOffline } from "../../scripts/lib/offline-env.ts";
import { getDb } from "../../src/db/client.ts";
import { seedDefaults } from "../seed.ts";

const ADMIN = "lr_webhooks_admin";
const WORKER_PORT = 8861;
/** Retries 1 s apart here (deployed: 30 s doubling); wrangler.toml's max_retries = 5 stays as is. */
const TEST_VARS = { WEBHOOK_ALLOW_LOOPBACK: "true", WEBHOOK_RETRY_BASE_SECONDS: "1", WEBHOOK_RETRY_MAX_SECONDS: "1", WEBHOOK_TIMEOUT_MS: "3000", PUBLIC_URL: `http://127.0.0.1:${WORKER_PORT}` };
const MAX_ATTEMPTS = 6;

type Worker = Awaited<ReturnType<typeof unstable_startWorker>>;
let worker: Worker | undefined;
let base = "";
let persist = "";

type Received = { headers: Record<string, string | string[] | undefined>; raw: string; body: Record<string, unknown> };

/** A receiver on 127.0.0.1:`port`: records every POST and answers with the next status in `answers` (then 200). */
async function startReceiver(port: number, answers: number[] = []): Promise<{ received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      received.push({ headers: req.headers, raw, body: JSON.parse(raw) as Record<string, unknown> });
      const status = answers.shift() ?? 200;
      res.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "ok" : "receiver trouble");
    });
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
  return { received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The README's verification: HMAC-SHA256 of `<t>.<raw body>` with the secret, against any `v1=`. */
function verify(header: string, raw: string, secret: string, toleranceSeconds = 300): boolean {
  const items = header.split(",").map((p) => p.split("=", 2) as [string, string]);
  const t = items.find(([k]) => k === "t")?.[1];
  if (!t || Math.abs(Date.now() / 1000 - Number(t)) > toleranceSeconds) return false;
  const expected = createHmac("sha256", secret).update(`${t}.${raw}`).digest();
  return items.some(([k, v]) => k === "v1" && v.length === expected.length * 2 && timingSafeEqual(Buffer.from(v, "hex"), expected));
}

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

let serial = 0;
async function postLead(): Promise<{ leadId: string; decisionId: string; outcome: string }> {
  const n = ++serial;
  const res = await fetch(`${base}/v1/leads`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-site-key": "pk_demo" },
    body: JSON.stringify({ email: `cto${n}@bigcorp${n}.example`, company: `BigCorp ${n}`, employees: 5000, industry: "software", country: "US", job_title: "CTO", source: "referral", pages_viewed: 25, demo_requested: true }),
  });
  expect(res.status).toBe(201);
  const json = (await res.json()) as { lead: { id: string }; decision: { id: string; outcome: string } };
  return { leadId: json.lead.id, decisionId: json.decision.id, outcome: json.decision.outcome };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const DECISION_EVENTS = ["decision.assigned", "decision.queued", "decision.nurtured", "decision.rerouted", "review.held"];

async function subscribe(url: string, format: "json" | "slack" = "json") {
  const { status, json } = await api("POST", "/v1/admin/webhooks", { teamId: "demo", url, events: DECISION_EVENTS, format });
  expect(status).toBe(201);
  return json as { id: string; secret: string };
}

beforeAll(async () => {
  goOffline();
  process.env.WRANGLER_LOG ??= "error";
  persist = mkdtempSync(join(tmpdir(), "lr-webhooks-state-"));
  const { db, models, dispose } = await openLocalStorage(join(persist, "v3"));
  try {
    for (const m of await readD1Migrations("migrations")) await db.batch(m.queries.map((q) => db.prepare(q)));
    await seedDefaults(getDb(db), models, { model: readModelDir(), tokens: [{ name: "webhooks admin", secret: ADMIN, scopes: ["admin"], teamId: null }] });
  } finally {
    await dispose();
  }
  worker = await unstable_startWorker({
    config: "wrangler.toml",
    bindings: Object.fromEntries(Object.entries(TEST_VARS).map(([k, value]) => [k, { type: "plain_text", value }])),
    dev: { server: { hostname: "127.0.0.1", port: WORKER_PORT }, inspector: false, persist, watch: false, liveReload: false, logLevel: "warn" },
  });
  await worker.ready;
  base = (await worker.url).origin;
});

afterAll(async () => {
  await worker?.dispose();
  if (persist) rmSync(persist, { recursive: true, force: true });
});

describe("webhook delivery through the queue", () => {
  it("delivers each decision once, signed and verifiable, with its delivery id", async () => {
    const receiver = await startReceiver(8862);
    try {
      const sub = await subscribe("http://127.0.0.1:8862/hooks/crm");
      const leads = [];
      for (let i = 0; i < 5; i++) leads.push(await postLead());
      await until("five deliveries", () => (receiver.received.length >= 5 ? true : undefined));
      // Long enough for a duplicate (a second fan-out or a redelivered message) to show up.
      await new Promise((r) => setTimeout(r, 2_500));
      expect(receiver.received).toHaveLength(5);
      const byDecision = new Map(receiver.received.map((r) => [(r.body.data as { decision: { id: string } }).decision.id, r]));
      for (const lead of leads) {
        const got = byDecision.get(lead.decisionId)!;
        expect(got, lead.decisionId).toBeDefined();
        expect(verify(String(got.headers["lead-router-signature"]), got.raw, sub.secret)).toBe(true);
        expect(verify(String(got.headers["lead-router-signature"]), got.raw, "whsec_not_the_secret")).toBe(false);
        expect(got.body.id).toBe(got.headers["lead-router-delivery"]);
        expect(got.body.type).toBe(got.headers["lead-router-event"]);
        expect((got.body.data as { lead: { id: string } }).lead.id).toBe(lead.leadId);
        const outcome = (got.body.data as { decision: { outcome: string } }).decision.outcome;
        expect(outcome).toBe(lead.outcome);
      }
      expect(new Set(receiver.received.map((r) => r.body.id)).size).toBe(5);
      const log = await api("GET", `/v1/admin/webhooks/${sub.id}/deliveries`);
      expect(log.json.data).toHaveLength(5);
      for (const d of log.json.data) expect([d.status, d.attempts, d.log.length]).toEqual(["delivered", 1, 1]);
      await api("DELETE", `/v1/admin/webhooks/${sub.id}`);
    } finally {
      await receiver.close();
    }
  });

  it("sends a Slack-shaped message with the rep, tier, probability, top reasons and a link", async () => {
    const receiver = await startReceiver(8863);
    try {
      const sub = await subscribe("http://127.0.0.1:8863/slack", "slack");
      const lead = await postLead();
      const got = await until("the Slack message", () => receiver.received[0]);
      const decision = (await (await fetch(`${base}/v1/decisions/${lead.decisionId}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { tier: string; probability: number; repId: string | null };
      const text = String(got.body.text);
      expect(got.body.blocks).toEqual([{ type: "section", text: { type: "mrkdwn", text } }]);
      expect(text).toContain("BigCorp");
      expect(text).toContain(`Tier ${decision.tier}`);
      expect(text).toContain(`p=${decision.probability.toFixed(2)}`);
      expect(text).toMatch(/Top reasons: \w+/);
      expect(text).toContain(`<${base}/v1/decisions/${lead.decisionId}|`);
      if (decision.repId) expect(text).not.toContain(`*${decision.repId}*`); // the rep's name, not the id
      expect(verify(String(got.headers["lead-router-signature"]), got.raw, sub.secret)).toBe(true);
      await api("DELETE", `/v1/admin/webhooks/${sub.id}`);
    } finally {
      await receiver.close();
    }
  });

  it("retries after a 500 and logs both attempts", async () => {
    const receiver = await startReceiver(8864, [500]);
    try {
      const sub = await subscribe("http://127.0.0.1:8864/flaky");
      const lead = await postLead();
      await until("the retry", () => (receiver.received.length >= 2 ? true : undefined));
      expect(receiver.received[0]!.body.id).toBe(receiver.received[1]!.body.id);
      expect(receiver.received[0]!.raw).toBe(receiver.received[1]!.raw);
      const delivery = await until("the delivered log", async () => {
        const d = (await api("GET", `/v1/admin/webhooks/${sub.id}/deliveries`)).json.data[0];
        return d?.status === "delivered" ? d : undefined;
      });
      expect(delivery.id).toBe(receiver.received[1]!.body.id);
      expect((receiver.received[1]!.body.data as { decision: { id: string } }).decision.id).toBe(lead.decisionId);
      expect(delivery.attempts).toBe(2);
      expect(delivery.log.map((a: { attempt: number; statusCode: number }) => [a.attempt, a.statusCode])).toEqual([[1, 500], [2, 200]]);
      expect(delivery.log[0].error).toMatch(/HTTP 500: receiver trouble/);
      // At least the backoff's one second between the two.
      expect(Date.parse(delivery.log[1].at) - Date.parse(delivery.log[0].at)).toBeGreaterThanOrEqual(900);
      const health = (await api("GET", "/v1/admin/webhooks/health")).json.data.find((h: { id: string }) => h.id === sub.id);
      expect(health).toMatchObject({ delivered: 1, pending: 0, dead: 0, successRate: 1, attemptsPerDelivery: 2 });
      await api("DELETE", `/v1/admin/webhooks/${sub.id}`);
    } finally {
      await receiver.close();
    }
  });

  it("dead-letters a delivery whose receiver stays down past the last try, and redelivers it", async () => {
    const sub = await subscribe("http://127.0.0.1:8865/down");
    const lead = await postLead();
    const dead = await until(
      "the dead letter",
      async () => {
        const d = (await api("GET", `/v1/admin/webhooks/${sub.id}/deliveries?status=dead`)).json.data[0];
        return d;
      },
      60_000,
    );
    expect(dead.attempts).toBe(MAX_ATTEMPTS);
    expect(dead.log).toHaveLength(MAX_ATTEMPTS);
    for (const a of dead.log) expect([a.statusCode, a.error]).toEqual([null, expect.stringMatching(/^request failed/)]);
    const receiver = await startReceiver(8865);
    try {
      const redo = await api("POST", `/v1/admin/webhooks/${sub.id}/deliveries/${dead.id}/redeliver`);
      expect(redo.status).toBe(202);
      const got = await until("the redelivery", () => receiver.received[0]);
      expect(got.body.id).toBe(dead.id);
      expect((got.body.data as { decision: { id: string } }).decision.id).toBe(lead.decisionId);
      expect(verify(String(got.headers["lead-router-signature"]), got.raw, sub.secret)).toBe(true);
      const after = await until("the delivered log", async () => {
        const d = (await api("GET", `/v1/admin/webhooks/${sub.id}/deliveries`)).json.data[0];
        return d?.status === "delivered" ? d : undefined;
      });
      expect(after.attempts).toBe(MAX_ATTEMPTS + 1);
      expect(after.log.at(-1).statusCode).toBe(200);
      expect(receiver.received).toHaveLength(1);
      await api("DELETE", `/v1/admin/webhooks/${sub.id}`);
    } finally {
      await receiver.close();
    }
  });
});
