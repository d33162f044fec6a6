import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { getDb } from "../src/db/client.ts";
import { raiseAlert, resolveAlert } from "../src/db/alerts.ts";
import { auditLog } from "../src/db/schema.ts";
import { webhookAttempts, webhookDeliveries } from "../src/db/schema-webhooks.ts";
import { verifySignature } from "../src/intake/signature.ts";
import { publishAlertChanges } from "../src/webhooks/alert-events.ts";
import { handleWebhookBatch, WEBHOOK_DEAD_LETTER_QUEUE, WEBHOOK_QUEUE } from "../src/webhooks/consumer.ts";
import { backoffSeconds } from "../src/webhooks/deliver.ts";
import type { WebhookMessage } from "../src/webhooks/emit.ts";
import type { WebhookEvent } from "../src/webhooks/events.ts";
import { fanOut } from "../src/webhooks/fan-out.ts";
import { requeueStuckDeliveries, stuckAfterMs } from "../src/webhooks/sweep.ts";
import { modelVariant, uploadModel } from "./governance-helpers.ts";
import { call, HOT_LEAD, uniqueEmail, type ErrorJson } from "./helpers.ts";
import { TOKENS } from "./setup.ts";

/** A stand-in queue binding that keeps what is sent, so no message reaches the real consumer here. */
function capturingQueue() {
  const sent: WebhookMessage[] = [];
  const queue = {
    send: async (body: WebhookMessage) => void sent.push(body),
    sendBatch: async (msgs: { body: WebhookMessage }[]) => void sent.push(...msgs.map((m) => m.body)),
  } as unknown as Queue;
  return { sent, env: { ...env, WEBHOOKS: queue } as Env };
}

type Posted = { url: string; headers: Headers; body: string };
/** A stand-in for the consumer's outbound fetch: records each POST and answers with `status`. */
function receiver(status: number | ((n: number) => number | "hang")) {
  const posts: Posted[] = [];
  const fetcher = (async (url: string, init: RequestInit & { signal: AbortSignal }) => {
    posts.push({ url, headers: new Headers(init.headers), body: new TextDecoder().decode(init.body as Uint8Array) });
    const s = typeof status === "number" ? status : status(posts.length);
    if (s === "hang") return new Promise((_, reject) => init.signal.addEventListener("abort", () => reject(init.signal.reason)));
    return new Response(s === 204 ? null : s === 200 ? "ok" : "nope", { status: s });
  }) as unknown as typeof fetch;
  return { posts, fetcher };
}

function admin(path: string, method = "GET", body?: unknown, bindings: Env = env, token: string = TOKENS.admin) {
  return call(path, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }, bindings);
}

const SUB = { teamId: "demo", url: "https://hooks.example.com/lead-router", events: ["decision.assigned", "decision.queued", "decision.nurtured", "review.held"] };

async function subscribe(extra: Record<string, unknown> = {}) {
  const res = await admin("/v1/admin/webhooks", "POST", { ...SUB, ...extra });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; secret: string; events: string[]; format: string };
}

const event = (over: Partial<WebhookEvent> = {}): WebhookEvent => ({
  id: `evt_${crypto.randomUUID()}`,
  type: "decision.assigned",
  teamId: "demo",
  occurredAt: Date.now(),
  data: {
    decision: { id: "dec_1", outcome: "assigned", tier: "AE", repId: "rep_ada", queue: null, mode: "model", probability: 0.8123, model: null, policyVersion: 1, reason: "r", reasons: [{ feature: "demo_requested", value: 1, contribution: 0.5 }], supersedes: null },
    lead: { id: "lead_1", email: "cto@bigcorp.example", company: "BigCorp <b>" },
  },
  ...over,
});

/** Runs a batch through the consumer the way the queue would, and returns what it acked and retried. */
async function consume(queue: string, messages: { body: WebhookMessage; attempts?: number }[], bindings: Env, fetcher?: typeof fetch) {
  const batch = createMessageBatch<WebhookMessage>(queue, messages.map((m, i) => ({ id: `msg${i}`, timestamp: new Date(), attempts: m.attempts ?? 1, body: m.body })));
  // getQueueResult reports which messages were retried but not their delay: keep that from the calls.
  const delays = batch.messages.map((m) => vi.spyOn(m, "retry"));
  const ctx = createExecutionContext();
  await handleWebhookBatch(batch, bindings, fetcher);
  return { ...(await getQueueResult(batch, ctx)), delays: delays.map((spy) => spy.mock.calls.map(([o]) => o?.delaySeconds)) };
}

/**
 * One delivery made by fanning an event out to a fresh subscription, its first attempt answered with
 * `firstStatus`; returns its id, the subscription, and the queue that took any retry message.
 */
async function oneDelivery(extra: Record<string, unknown> = {}, firstStatus = 500) {
  const sub = await subscribe(extra);
  const q = capturingQueue();
  const first = receiver(firstStatus);
  await fanOut(q.env, [event()], first.fetcher);
  const [row] = await getDb(env.DB).select().from(webhookDeliveries).where(eq(webhookDeliveries.subscriptionId, sub.id));
  return { sub, id: row!.id, q, first };
}

const retryMessage = (id: string, attempts = 1) => ({ body: { kind: "delivery", deliveryId: id } as WebhookMessage, attempts });

const deliveryRow = (id: string) => getDb(env.DB).select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id)).get();

describe("webhook subscriptions API", () => {
  it("shows the signing secret once, at creation, and never in listings", async () => {
    const sub = await subscribe();
    expect(sub.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    const list = (await (await admin("/v1/admin/webhooks")).json()) as { data: Record<string, unknown>[] };
    expect(list.data.map((s) => s.id)).toEqual([sub.id]);
    expect(JSON.stringify(list)).not.toContain(sub.secret);
    expect(JSON.stringify(await (await admin(`/v1/admin/webhooks/${sub.id}`)).json())).not.toContain(sub.secret);
  });

  it("refuses http, loopback and private hosts outside local dev", async () => {
    for (const url of ["http://hooks.example.com/x", "https://127.0.0.1/x", "http://127.0.0.1:8080/x", "https://localhost/x", "https://10.1.2.3/x", "https://user:pw@hooks.example.com/x", "not a url"]) {
      const res = await admin("/v1/admin/webhooks", "POST", { ...SUB, url });
      expect(res.status, url).toBe(422);
      expect(((await res.json()) as ErrorJson).error.message, url).toMatch(/^url: /);
    }
  });

  it("refuses loopback and private hosts however they are spelled (IPv4-mapped IPv6, decimal, CGNAT, unspecified)", async () => {
    const spellings = ["https://[::ffff:127.0.0.1]/x", "https://[::ffff:7f00:1]/x", "https://[::ffff:10.0.0.1]/x", "https://2130706433/x", "https://0x7f.1/x", "https://[::]/x", "https://0.0.0.0/x", "https://100.64.0.1/x", "https://[fe90::1]/x", "https://224.0.0.1/x", "https://[::1]/x"];
    for (const url of spellings) {
      const res = await admin("/v1/admin/webhooks", "POST", { ...SUB, url });
      expect(res.status, url).toBe(422);
    }
    const fine = await admin("/v1/admin/webhooks", "POST", { ...SUB, url: "https://100.128.0.1/x" });
    expect(fine.status).toBe(201);
  });

  it("allows http on loopback when the local-dev switch is on", async () => {
    const res = await admin("/v1/admin/webhooks", "POST", { ...SUB, url: "http://127.0.0.1:8862/hook" }, { ...env, WEBHOOK_ALLOW_LOOPBACK: "true" } as unknown as Env);
    expect(res.status).toBe(201);
  });

  it("refuses unknown event types and unknown teams with 422", async () => {
    const bad = await admin("/v1/admin/webhooks", "POST", { ...SUB, events: ["lead.eaten"] });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as ErrorJson).error.message).toMatch(/^events\.0: /);
    const team = await admin("/v1/admin/webhooks", "POST", { ...SUB, teamId: "nope" });
    expect(team.status).toBe(422);
  });

  it("keeps a team-bound admin token to its own team's subscriptions", async () => {
    const sub = await subscribe();
    // A token's team must exist (issue 15): create it first, as a real setup would.
    expect((await admin("/v1/admin/teams/other", "PUT", { name: "Other" })).status).toBe(201);
    const created = await admin("/v1/admin/tokens", "POST", { name: "other admin", scopes: ["admin"], teamId: "other" });
    const { secret: otherAdmin } = (await created.json()) as { secret: string };
    expect((await admin(`/v1/admin/webhooks/${sub.id}`, "GET", undefined, env, otherAdmin)).status).toBe(404);
    expect((await admin(`/v1/admin/webhooks/${sub.id}`, "PATCH", { enabled: false }, env, otherAdmin)).status).toBe(404);
    expect((await admin(`/v1/admin/webhooks/${sub.id}/deliveries`, "GET", undefined, env, otherAdmin)).status).toBe(404);
    expect(((await (await admin("/v1/admin/webhooks", "GET", undefined, env, otherAdmin)).json()) as { data: unknown[] }).data).toEqual([]);
    expect((await admin("/v1/admin/webhooks", "POST", SUB, env, otherAdmin)).status).toBe(403);
  });

  it("records every change in the audit log, without the secret", async () => {
    const sub = await subscribe();
    expect((await admin(`/v1/admin/webhooks/${sub.id}`, "PATCH", { enabled: false })).status).toBe(200);
    expect((await admin(`/v1/admin/webhooks/${sub.id}`, "PATCH", { enabled: true, format: "slack" })).status).toBe(200);
    const rotated = (await (await admin(`/v1/admin/webhooks/${sub.id}/rotate-secret`, "POST", { graceHours: 1 })).json()) as { secret: string };
    expect((await admin(`/v1/admin/webhooks/${sub.id}`, "DELETE")).status).toBe(200);
    const rows = await getDb(env.DB).select().from(auditLog).where(eq(auditLog.entityId, sub.id));
    expect(rows.map((r) => r.action)).toEqual(["webhook.create", "webhook.disable", "webhook.enable", "webhook.rotate_secret", "webhook.delete"]);
    expect(JSON.stringify(rows)).not.toContain(sub.secret);
    expect(JSON.stringify(rows)).not.toContain(rotated.secret);
    expect((await admin(`/v1/admin/webhooks/${sub.id}`)).status).toBe(404);
  });

  it("signs with both secrets during a rotation's grace period, then with the new one only", async () => {
    const { sub, id, q } = await oneDelivery();
    const res = await admin(`/v1/admin/webhooks/${sub.id}/rotate-secret`, "POST", { graceHours: 24 });
    const { secret: fresh, previousSecretExpiresAt } = (await res.json()) as { secret: string; previousSecretExpiresAt: string };
    expect(Date.parse(previousSecretExpiresAt)).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    const r = receiver(200);
    await consume(WEBHOOK_QUEUE, [{ body: { kind: "delivery", deliveryId: id } }], q.env, r.fetcher);
    const header = r.posts[0]!.headers.get("lead-router-signature")!;
    expect(header.match(/v1=/g)).toHaveLength(2);
    const raw = new TextEncoder().encode(r.posts[0]!.body);
    expect(await verifySignature(header, raw, [sub.secret])).toMatchObject({ ok: true });
    expect(await verifySignature(header, raw, [fresh])).toMatchObject({ ok: true });

    const { secret: newest } = (await (await admin(`/v1/admin/webhooks/${sub.id}/rotate-secret`, "POST", { graceHours: 0 })).json()) as { secret: string };
    expect((await admin(`/v1/admin/webhooks/${sub.id}/deliveries/${id}/redeliver`, "POST", {}, q.env)).status).toBe(202);
    await consume(WEBHOOK_QUEUE, [{ body: { kind: "delivery", deliveryId: id } }], q.env, r.fetcher);
    const after = r.posts[1]!.headers.get("lead-router-signature")!;
    expect(after.match(/v1=/g)).toHaveLength(1);
    const rawAfter = new TextEncoder().encode(r.posts[1]!.body);
    expect(await verifySignature(after, rawAfter, [newest])).toMatchObject({ ok: true });
    expect(await verifySignature(after, rawAfter, [fresh])).toEqual({ ok: false, reason: "signature does not match" });
  });

  it("refuses to redeliver a delivery still being tried, and one that is not the subscription's", async () => {
    const { sub, id, q } = await oneDelivery();
    const pending = await admin(`/v1/admin/webhooks/${sub.id}/deliveries/${id}/redeliver`, "POST", {}, q.env);
    expect(pending.status).toBe(409);
    const other = await subscribe({ url: "https://hooks.example.com/other" });
    expect((await admin(`/v1/admin/webhooks/${other.id}/deliveries/${id}/redeliver`, "POST", {}, q.env)).status).toBe(404);
    expect(q.sent).toHaveLength(1);
  });
});

describe("webhook events from the lead path", () => {
  it("enqueues one event per decision when the team subscribes, after the answer", async () => {
    await subscribe();
    const q = capturingQueue();
    const res = await call("/v1/leads", { method: "POST", headers: { "content-type": "application/json", "x-site-key": "pk_demo" }, body: JSON.stringify({ ...HOT_LEAD, email: uniqueEmail() }) }, q.env);
    expect(res.status).toBe(201);
    const { decision } = (await res.json()) as { decision: { id: string; outcome: string } };
    expect(q.sent).toHaveLength(1);
    const msg = q.sent[0] as { kind: "event"; event: WebhookEvent };
    expect(msg.kind).toBe("event");
    expect(msg.event.teamId).toBe("demo");
    expect((msg.event.data as { decision: { id: string } }).decision.id).toBe(decision.id);
    expect(msg.event.type).toBe({ assigned: "decision.assigned", queued: "decision.queued", nurture: "decision.nurtured" }[decision.outcome]);
  });

  it("enqueues nothing when no subscription wants the event", async () => {
    await subscribe({ events: ["model.activated"] });
    const q = capturingQueue();
    const res = await call("/v1/leads", { method: "POST", headers: { "content-type": "application/json", "x-site-key": "pk_demo" }, body: JSON.stringify({ ...HOT_LEAD, email: uniqueEmail() }) }, q.env);
    expect(res.status).toBe(201);
    expect(q.sent).toEqual([]);
  });

  it("still answers 201 when the queue refuses the event", async () => {
    await subscribe();
    const broken = { ...env, WEBHOOKS: { send: async () => { throw new Error("queue down"); } } } as unknown as Env;
    const res = await call("/v1/leads", { method: "POST", headers: { "content-type": "application/json", "x-site-key": "pk_demo" }, body: JSON.stringify({ ...HOT_LEAD, email: uniqueEmail() }) }, broken);
    expect(res.status).toBe(201);
  });

  it("enqueues decision.rerouted when an admin moves an assigned lead to another rep", async () => {
    await subscribe({ events: ["decision.rerouted"] });
    const q = capturingQueue();
    const res = await call("/v1/leads", { method: "POST", headers: { "content-type": "application/json", "x-site-key": "pk_demo" }, body: JSON.stringify({ ...HOT_LEAD, email: uniqueEmail() }) }, q.env);
    const { lead, decision } = (await res.json()) as { lead: { id: string }; decision: { id: string; outcome: string; repId: string } };
    expect([decision.outcome, q.sent]).toEqual(["assigned", []]);
    const to = decision.repId === "rep_ada" ? "rep_grace" : "rep_ada";
    const moved = await admin(`/v1/admin/leads/${lead.id}/reassign`, "POST", { repId: to, reason: "territory swap" }, q.env);
    expect(moved.status).toBe(200);
    const { id } = (await moved.json()) as { id: string };
    const [msg] = q.sent as { kind: "event"; event: WebhookEvent }[];
    expect(q.sent).toHaveLength(1);
    expect([msg!.event.type, msg!.event.data]).toEqual(["decision.rerouted", expect.objectContaining({ decision: expect.objectContaining({ id, repId: to, supersedes: decision.id }) })]);
  });

  it("enqueues model.activated when a version is activated", async () => {
    await subscribe({ events: ["model.activated"] });
    const variant = modelVariant("9.9.9", { method: "platt", a: 1, b: 0 });
    expect((await uploadModel(variant)).status).toBe(201);
    const q = capturingQueue();
    const res = await admin(`/v1/models/${variant.manifest.name}/9.9.9/status`, "POST", { to: "active", reason: "webhook test" }, q.env);
    expect(res.status).toBe(200);
    expect(q.sent.map((m) => m.kind === "event" && [m.event.type, m.event.teamId, m.event.data])).toEqual([["model.activated", null, { model: { name: variant.manifest.name, version: "9.9.9" } }]]);
  });

  it("publishes each alert opened and resolved once, to the team it names", async () => {
    await subscribe({ events: ["alert.opened", "alert.resolved"] });
    const db = getDb(env.DB);
    const t0 = Date.now() - 60_000;
    const q = capturingQueue();
    await publishAlertChanges(q.env, t0); // sets the cursor
    await raiseAlert(db, { kind: "routing_skew", subject: "team:demo", severity: "alert", message: "one rep took 90%" }, t0 + 1_000);
    await raiseAlert(db, { kind: "routing_skew", subject: "team:other", severity: "alert", message: "not demo's" }, t0 + 1_000);
    await resolveAlert(db, "routing_skew", "team:demo", t0 + 2_000);
    const [first, again] = await Promise.all([publishAlertChanges(q.env, t0 + 10_000), publishAlertChanges(q.env, t0 + 10_000)]);
    expect(first.opened + again.opened).toBe(2);
    const types = q.sent.map((m) => m.kind === "event" && [m.event.type, m.event.teamId]);
    // The other team's alert concerns a team with no subscription: nothing is enqueued for it.
    expect(types).toEqual([["alert.opened", "demo"], ["alert.resolved", "demo"]]);
  });
});

describe("webhook consumer", () => {
  it("fans an event out to each subscription that wants it, and a retried fan-out sends nothing twice", async () => {
    const a = await subscribe();
    const b = await subscribe({ url: "https://hooks.example.com/b", format: "slack" });
    await subscribe({ url: "https://hooks.example.com/c", events: ["model.activated"] });
    await subscribe({ url: "https://hooks.example.com/d", enabled: false });
    const q = capturingQueue();
    const r = receiver(200);
    const e = event();
    expect(await fanOut(q.env, [e, e], r.fetcher)).toEqual({ deliveries: 2, delivered: 2 });
    expect(await fanOut(q.env, [e], r.fetcher, true)).toEqual({ deliveries: 0, delivered: 0 });
    const rows = await getDb(env.DB).select().from(webhookDeliveries);
    expect(rows.map((row) => row.subscriptionId).sort()).toEqual([a.id, b.id].sort());
    expect(r.posts.map((p) => p.url).sort()).toEqual(["https://hooks.example.com/b", SUB.url].sort());
    expect(q.sent).toEqual([]);
  });

  it("re-queues, on a retried fan-out, a failed delivery whose retry message was never sent", async () => {
    await subscribe();
    const e = event();
    const broken = { ...env, WEBHOOKS: { sendBatch: async () => { throw new Error("queue down"); } } } as unknown as Env;
    const r = receiver(500);
    await expect(fanOut(broken, [e], r.fetcher)).rejects.toThrow("queue down");
    const q = capturingQueue();
    expect(await fanOut(q.env, [e], r.fetcher, true)).toEqual({ deliveries: 0, delivered: 0 });
    const [row] = await getDb(env.DB).select().from(webhookDeliveries);
    expect([row!.status, r.posts.length, q.sent]).toEqual(["retrying", 1, [{ kind: "delivery", deliveryId: row!.id }]]);
  });

  it("queues again, from the cron's sweep, only unsettled deliveries idle past twice the longest backoff, and each once per wait", async () => {
    const stuck = await oneDelivery({}, 500);
    const fresh = await oneDelivery({ url: "https://hooks.example.com/fresh" }, 500);
    const done = await oneDelivery({ url: "https://hooks.example.com/done" }, 200);
    const pending = await oneDelivery({ url: "https://hooks.example.com/pending" }, 500);
    const idleSince = Date.now() - stuckAfterMs(env) - 1_000;
    const db = getDb(env.DB);
    await db.update(webhookDeliveries).set({ updatedAt: idleSince }).where(eq(webhookDeliveries.id, stuck.id));
    await db.update(webhookDeliveries).set({ updatedAt: idleSince }).where(eq(webhookDeliveries.id, done.id));
    await db.update(webhookDeliveries).set({ status: "pending", updatedAt: idleSince - 1 }).where(eq(webhookDeliveries.id, pending.id));
    const freshBefore = (await deliveryRow(fresh.id))!.updatedAt;
    const q = capturingQueue();
    expect(await requeueStuckDeliveries(q.env)).toBe(2);
    // Oldest first; the fresh retrying one and the delivered one stay as they are.
    expect(q.sent).toEqual([pending.id, stuck.id].map((id) => ({ kind: "delivery", deliveryId: id })));
    expect((await deliveryRow(fresh.id))!.updatedAt).toBe(freshBefore);
    // Touched: the next run does not send them again (until they sit idle that long once more).
    expect(await requeueStuckDeliveries(q.env)).toBe(0);
    const unsettled = (await db.select().from(webhookDeliveries)).filter((d) => d.status === "pending" || d.status === "retrying");
    expect(unsettled.length).toBeGreaterThan(2);
    expect(await requeueStuckDeliveries(q.env, Date.now() + stuckAfterMs(env) + 1_000)).toBe(unsettled.length);
    // The queued message delivers it as any retry does.
    const r = receiver(200);
    await consume(WEBHOOK_QUEUE, [retryMessage(stuck.id)], q.env, r.fetcher);
    expect((await deliveryRow(stuck.id))!.status).toBe("delivered");
  });

  it("queues each stuck delivery once when sweeps run at the same time", async () => {
    const a = await oneDelivery({}, 500);
    const b = await oneDelivery({ url: "https://hooks.example.com/b" }, 500);
    const db = getDb(env.DB);
    await db.update(webhookDeliveries).set({ updatedAt: Date.now() - stuckAfterMs(env) - 1_000 });
    const stuck = (await db.select().from(webhookDeliveries)).filter((d) => d.status === "retrying").map((d) => d.id);
    expect(stuck).toEqual(expect.arrayContaining([a.id, b.id]));
    const q = capturingQueue();
    const counts = await Promise.all([requeueStuckDeliveries(q.env), requeueStuckDeliveries(q.env), requeueStuckDeliveries(q.env)]);
    expect(counts.reduce((x, y) => x + y, 0)).toBe(stuck.length);
    expect(q.sent.map((m) => (m as { deliveryId: string }).deliveryId).sort()).toEqual([...stuck].sort());
  });

  it("posts the generic JSON shape with the delivery id, event and rep name, and acks the event on 2xx", async () => {
    await subscribe();
    const q = capturingQueue();
    const r = receiver(204);
    const e = event();
    const result = await consume(WEBHOOK_QUEUE, [{ body: { kind: "event", event: e } }], q.env, r.fetcher);
    expect(result.explicitAcks).toEqual(["msg0"]);
    const body = JSON.parse(r.posts[0]!.body);
    const id = r.posts[0]!.headers.get("lead-router-delivery");
    expect(body).toMatchObject({ id, type: "decision.assigned", eventId: e.id, teamId: "demo", data: { decision: { id: "dec_1", repName: "Ada Lovelace" }, lead: { id: "lead_1" } } });
    const row = (await deliveryRow(id!))!;
    expect([row.status, row.attempts, row.lastStatusCode]).toEqual(["delivered", 1, 204]);
    expect(q.sent).toEqual([]);
  });

  it("escapes what a lead typed in the Slack shape", async () => {
    const { first } = await oneDelivery({ format: "slack" }, 200);
    const { text } = JSON.parse(first.posts[0]!.body) as { text: string };
    expect(text).toContain("BigCorp &lt;b&gt;");
    expect(text).toContain("*Ada Lovelace*");
    expect(text).toContain("Tier AE · p=0.81");
    expect(text).toContain("demo_requested (+0.50)");
  });

  it("puts a failed first attempt back on the queue as a delivery message after the backoff", async () => {
    const { id, q } = await oneDelivery({}, 502);
    expect(q.sent).toEqual([{ kind: "delivery", deliveryId: id }]);
    const row = (await deliveryRow(id))!;
    expect([row.status, row.attempts, row.lastError]).toEqual(["retrying", 1, "HTTP 502: nope"]);
  });

  it("does not post a delivery that was already delivered (the queue delivers at least once)", async () => {
    const { id, q, first } = await oneDelivery({}, 200);
    const r = receiver(200);
    const again = await consume(WEBHOOK_QUEUE, [retryMessage(id)], q.env, r.fetcher);
    expect(again.explicitAcks).toEqual(["msg0"]);
    expect([first.posts.length, r.posts.length]).toEqual([1, 0]);
  });

  it("retries a non-2xx with exponential backoff on the delivery's attempts, capped, and logs each attempt", async () => {
    const { id, q } = await oneDelivery({}, 503);
    const r = receiver(503);
    const second = await consume(WEBHOOK_QUEUE, [retryMessage(id, 1)], q.env, r.fetcher);
    expect([second.retryMessages, second.delays]).toEqual([[{ msgId: "msg0" }], [[60]]]);
    const third = await consume(WEBHOOK_QUEUE, [retryMessage(id, 2)], q.env, r.fetcher);
    expect([third.retryMessages, third.delays]).toEqual([[{ msgId: "msg0" }], [[120]]]);
    expect(backoffSeconds(env, 10)).toBe(900);
    const row = (await deliveryRow(id))!;
    expect([row.status, row.attempts, row.lastStatusCode, row.lastError]).toEqual(["retrying", 3, 503, "HTTP 503: nope"]);
    const log = await getDb(env.DB).select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, id));
    expect(log.map((a) => [a.attempt, a.statusCode])).toEqual([[1, 503], [2, 503], [3, 503]]);
  });

  it("counts a receiver that does not answer in time as a failed attempt", async () => {
    await subscribe();
    const q = capturingQueue();
    const r = receiver(() => "hang");
    const result = await consume(WEBHOOK_QUEUE, [{ body: { kind: "event", event: event() } }], { ...q.env, WEBHOOK_TIMEOUT_MS: "50" } as unknown as Env, r.fetcher);
    expect(result.explicitAcks).toEqual(["msg0"]);
    const [row] = await getDb(env.DB).select().from(webhookDeliveries);
    expect([row!.status, row!.lastError]).toEqual(["retrying", "no answer within 50 ms"]);
    expect(q.sent).toEqual([{ kind: "delivery", deliveryId: row!.id }]);
  });

  it("marks a delivery dead when its message reaches the dead-letter queue, and shows it in the log and health", async () => {
    const { sub, id, q } = await oneDelivery();
    const result = await consume(WEBHOOK_DEAD_LETTER_QUEUE, [retryMessage(id)], q.env);
    expect(result.explicitAcks).toEqual(["msg0"]);
    const log = (await (await admin(`/v1/admin/webhooks/${sub.id}/deliveries?status=dead`)).json()) as { data: { id: string; attempts: number; lastError: string; log: unknown[] }[] };
    expect(log.data.map((d) => [d.id, d.attempts, d.lastError, d.log.length])).toEqual([[id, 1, "HTTP 500: nope", 1]]);
    const health = (await (await admin("/v1/admin/webhooks/health")).json()) as { data: { id: string; dead: number; delivered: number; successRate: number; lastError: { message: string } }[] };
    expect(health.data.find((h) => h.id === sub.id)).toMatchObject({ dead: 1, delivered: 0, successRate: 0, lastError: { message: "HTTP 500: nope" } });
  });

  it("skips a delivery whose subscription was disabled before its retry", async () => {
    const { sub, id, q } = await oneDelivery();
    await admin(`/v1/admin/webhooks/${sub.id}`, "PATCH", { enabled: false });
    const r = receiver(200);
    const result = await consume(WEBHOOK_QUEUE, [retryMessage(id)], q.env, r.fetcher);
    expect(result.explicitAcks).toEqual(["msg0"]);
    expect(r.posts).toEqual([]);
    expect((await deliveryRow(id))!.status).toBe("skipped");
  });
});
