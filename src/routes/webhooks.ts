import { and, count, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Context } from "hono";
import type { AppEnv } from "../app-env.ts";
import { apiApp, jsonBody, route } from "../lib/openapi-route.ts";
import { auditRow } from "../db/audit.ts";
import { getDb } from "../db/client.ts";
import { teams } from "../db/schema.ts";
import { webhookDeliveries, webhookSubscriptions } from "../db/schema-webhooks.ts";
import { deliveryHealth, findSubscription, listDeliveries, subscriptionView } from "../db/webhooks.ts";
import { auditReason } from "../lib/audit-reason.ts";
import { ApiError } from "../lib/errors.ts";
import { newId, toHex } from "../lib/hashing.ts";
import { parseOrThrow, readJson } from "../lib/validate.ts";
import { DeliveriesQuery, RotateBody, WebhookCreateBody, WebhookUpdateBody } from "../schemas/webhooks.ts";
import { invalidateSubscribers, type WebhookMessage } from "../webhooks/emit.ts";
import { targetUrlProblem } from "../webhooks/target-url.ts";

type Ctx = Context<AppEnv>;

/** Subscriptions a team may hold: each event fans out to all of them in one queue batch. */
const MAX_PER_TEAM = 20;
const HEALTH_WINDOW_MS = 24 * 3_600_000;

const newSecret = () => `whsec_${toHex(crypto.getRandomValues(new Uint8Array(32)))}`;

function checkUrl(c: Ctx, url: string): void {
  const problem = targetUrlProblem(url, String(c.env.WEBHOOK_ALLOW_LOOPBACK) === "true");
  if (problem) throw new ApiError("validation_failed", `url: ${problem}`);
}

/** The subscription named in the path, if the caller's team owns it; another team's answers 404. */
async function ownSubscription(c: Ctx) {
  const sub = await findSubscription(getDb(c.env.DB), c.req.param("id")!, c.get("token").teamId);
  if (!sub) throw new ApiError("not_found", "no such webhook subscription");
  return sub;
}

const IdPath = z.object({ id: z.string().describe("a subscription id") });

/** The operations of this sub-app, as the API document shows them; their handlers follow. */
const definitions = {
  "GET /webhooks": route({ method: "get", path: "/webhooks", tags: ["Webhooks"], summary: "Webhook subscriptions (a team-bound admin token sees its team's only); secrets are never listed", auth: "admin", request: { query: z.object({ team: z.string().optional().describe("a team id (all-teams tokens)") }) }, ok: { 200: "Subscriptions" } }),
  "GET /webhooks/health": route({ method: "get", path: "/webhooks/health", tags: ["Webhooks"], summary: "Delivery health per subscription over 24 h: delivered, in flight, dead, success rate, last error", auth: "admin", ok: { 200: "Health rows" } }),
  "POST /webhooks": route({ method: "post", path: "/webhooks", tags: ["Webhooks"], summary: "Subscribe a URL to events; the answer carries the signing secret, shown this once (audited)", auth: "admin", request: { body: jsonBody(WebhookCreateBody) }, ok: { 201: "Created, with `secret`" } }),
  "GET /webhooks/{id}": route({ method: "get", path: "/webhooks/{id}", tags: ["Webhooks"], summary: "One subscription", auth: "admin", request: { params: IdPath }, ok: { 200: "The subscription" } }),
  "PATCH /webhooks/{id}": route({ method: "patch", path: "/webhooks/{id}", tags: ["Webhooks"], summary: "Change url, events, format, description or enabled (audited)", auth: "admin", request: { params: IdPath, body: jsonBody(WebhookUpdateBody) }, ok: { 200: "Updated" } }),
  "DELETE /webhooks/{id}": route({ method: "delete", path: "/webhooks/{id}", tags: ["Webhooks"], summary: "Delete a subscription; its delivery log stays (audited)", auth: "admin", request: { params: IdPath }, ok: { 200: "Deleted" } }),
  "POST /webhooks/{id}/rotate-secret": route({
    method: "post",
    path: "/webhooks/{id}/rotate-secret",
    tags: ["Webhooks"],
    summary: "A new signing secret (shown once); the old one signs beside it for graceHours (audited)",
    auth: "admin",
    request: { params: IdPath, body: jsonBody(RotateBody, { required: false }) },
    ok: { 200: "Rotated, with `secret`" },
  }),
  "GET /webhooks/{id}/deliveries": route({ method: "get", path: "/webhooks/{id}/deliveries", tags: ["Webhooks"], summary: "The delivery log, newest first: status, attempts, last error, every attempt", auth: "admin", request: { params: IdPath, query: DeliveriesQuery }, ok: { 200: "Deliveries with their attempts" } }),
  "POST /webhooks/{id}/deliveries/{deliveryId}/redeliver": route({
    method: "post",
    path: "/webhooks/{id}/deliveries/{deliveryId}/redeliver",
    tags: ["Webhooks"],
    summary: "Send a delivered, dead or skipped delivery again: same id and body, fresh signature (audited)",
    auth: "admin",
    request: { params: IdPath.extend({ deliveryId: z.string() }) },
    ok: { 202: "Queued" },
  }),
};

/**
 * Outbound webhooks (mounted under /v1/admin, admin tokens only; a team-bound admin token sees and
 * changes its own team's subscriptions only). Every change is audited in the batch that makes it. The
 * signing secret is in the answer to create and rotate, and nowhere else.
 */
export const webhooksApi = apiApp()
  .openapi(definitions["GET /webhooks"], async (c) => {
    const teamId = c.get("token").teamId ?? c.req.query("team") ?? null;
    const rows = await getDb(c.env.DB)
      .select()
      .from(webhookSubscriptions)
      .where(and(isNull(webhookSubscriptions.deletedAt), teamId !== null ? eq(webhookSubscriptions.teamId, teamId) : undefined));
    return c.json({ data: rows.map((r) => subscriptionView(r)) });
  })
  .openapi(definitions["GET /webhooks/health"], async (c) => {
    const since = Date.now() - HEALTH_WINDOW_MS;
    return c.json({ since: new Date(since).toISOString(), data: await deliveryHealth(getDb(c.env.DB), c.get("token").teamId, since) });
  })
  .openapi(definitions["POST /webhooks"], async (c) => {
    const input = parseOrThrow(WebhookCreateBody, await readJson(c.req));
    const reason = auditReason(c.req);
    const own = c.get("token").teamId;
    const teamId = input.teamId ?? own;
    if (teamId === null) throw new ApiError("validation_failed", "teamId: name the team whose events this subscription receives");
    if (own !== null && teamId !== own) throw new ApiError("forbidden", "this token may only subscribe its own team");
    checkUrl(c, input.url);
    const db = getDb(c.env.DB);
    const [team, existing] = await Promise.all([
      db.select({ id: teams.id }).from(teams).where(eq(teams.id, teamId)).get(),
      db.select({ n: count() }).from(webhookSubscriptions).where(and(eq(webhookSubscriptions.teamId, teamId), isNull(webhookSubscriptions.deletedAt))).get(),
    ]);
    if (!team) throw new ApiError("validation_failed", `teamId: no team ${teamId}`);
    if ((existing?.n ?? 0) >= MAX_PER_TEAM) throw new ApiError("conflict", `team ${teamId} already has ${MAX_PER_TEAM} webhook subscriptions`);
    const now = Date.now();
    const row = { id: newId("wh"), teamId, url: input.url, events: input.events, format: input.format, description: input.description, enabled: input.enabled, secret: newSecret(), createdAt: now, updatedAt: now };
    const { secret, ...audited } = row;
    const [[created]] = await db.batch([
      db.insert(webhookSubscriptions).values(row).returning(),
      auditRow(db, { actor: c.get("token").name, action: "webhook.create", entityType: "webhook", entityId: row.id, before: null, after: audited, reason }),
    ]);
    invalidateSubscribers();
    // The secret is shown here once; it signs every delivery and is never listed.
    return c.json({ ...subscriptionView(created!), secret }, 201);
  })
  .openapi(definitions["GET /webhooks/{id}"], async (c) => c.json(subscriptionView(await ownSubscription(c))))
  .openapi(definitions["PATCH /webhooks/{id}"], async (c) => {
    const sub = await ownSubscription(c);
    const change = parseOrThrow(WebhookUpdateBody, await readJson(c.req));
    const reason = auditReason(c.req);
    if (change.url !== undefined) checkUrl(c, change.url);
    const db = getDb(c.env.DB);
    const before = Object.fromEntries(Object.keys(change).map((k) => [k, sub[k as keyof typeof change]]));
    const [[updated]] = await db.batch([
      db.update(webhookSubscriptions).set({ ...change, updatedAt: Date.now() }).where(eq(webhookSubscriptions.id, sub.id)).returning(),
      auditRow(db, { actor: c.get("token").name, action: change.enabled === false ? "webhook.disable" : change.enabled === true ? "webhook.enable" : "webhook.update", entityType: "webhook", entityId: sub.id, before, after: change, reason }),
    ]);
    invalidateSubscribers();
    return c.json(subscriptionView(updated!));
  })
  .openapi(definitions["DELETE /webhooks/{id}"], async (c) => {
    const sub = await ownSubscription(c);
    const reason = auditReason(c.req);
    const db = getDb(c.env.DB);
    await db.batch([
      db.update(webhookSubscriptions).set({ deletedAt: Date.now(), enabled: false, updatedAt: Date.now() }).where(eq(webhookSubscriptions.id, sub.id)),
      auditRow(db, { actor: c.get("token").name, action: "webhook.delete", entityType: "webhook", entityId: sub.id, before: { url: sub.url, events: sub.events, enabled: sub.enabled }, after: null, reason }),
    ]);
    invalidateSubscribers();
    return c.json({ id: sub.id, deleted: true });
  })
  /** A new secret signs from now on; the old one signs beside it for `graceHours`, so receivers can switch without a gap. */
  .openapi(definitions["POST /webhooks/{id}/rotate-secret"], async (c) => {
    const sub = await ownSubscription(c);
    const { graceHours } = parseOrThrow(RotateBody, c.req.header("content-type") ? await readJson(c.req) : {});
    const reason = auditReason(c.req);
    const db = getDb(c.env.DB);
    const now = Date.now();
    const secret = newSecret();
    const expires = graceHours > 0 ? now + graceHours * 3_600_000 : null;
    const [[updated]] = await db.batch([
      db
        .update(webhookSubscriptions)
        .set({ secret, previousSecret: expires ? sub.secret : null, previousSecretExpiresAt: expires, updatedAt: now })
        .where(eq(webhookSubscriptions.id, sub.id))
        .returning(),
      auditRow(db, { actor: c.get("token").name, action: "webhook.rotate_secret", entityType: "webhook", entityId: sub.id, before: null, after: { graceHours }, reason }),
    ]);
    return c.json({ ...subscriptionView(updated!, now), secret });
  })
  .openapi(definitions["GET /webhooks/{id}/deliveries"], async (c) => {
    const sub = await ownSubscription(c);
    const { status, limit } = parseOrThrow(DeliveriesQuery, c.req.query());
    return c.json({ data: await listDeliveries(getDb(c.env.DB), sub.id, status, limit) });
  })
  /** Sends a delivery again (same id and body, fresh signature), whatever became of it; refused while one is in flight. */
  .openapi(definitions["POST /webhooks/{id}/deliveries/{deliveryId}/redeliver"], async (c) => {
    const sub = await ownSubscription(c);
    if (!sub.enabled) throw new ApiError("conflict", "the subscription is disabled; enable it first");
    const reason = auditReason(c.req);
    const db = getDb(c.env.DB);
    const deliveryId = c.req.param("deliveryId");
    const found = await db.select({ status: webhookDeliveries.status }).from(webhookDeliveries).where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.subscriptionId, sub.id))).get();
    if (!found) throw new ApiError("not_found", "no such delivery for this subscription");
    if (found.status === "pending" || found.status === "retrying") throw new ApiError("conflict", `the delivery is ${found.status}: it is still being tried`);
    await db.batch([
      db.update(webhookDeliveries).set({ status: "pending", updatedAt: Date.now() }).where(eq(webhookDeliveries.id, deliveryId)),
      auditRow(db, { actor: c.get("token").name, action: "webhook.redeliver", entityType: "webhook", entityId: sub.id, before: { deliveryId, status: found.status }, after: { deliveryId, status: "pending" }, reason }),
    ]);
    await c.env.WEBHOOKS.send({ kind: "delivery", deliveryId } satisfies WebhookMessage, { contentType: "json" });
    return c.json({ id: deliveryId, status: "pending" }, 202);
  });
