import { and, asc, eq } from "drizzle-orm";
import { z } from "zod";
import type { AppEnv } from "../app-env.ts";
import { apiApp, jsonBody, route } from "../lib/openapi-route.ts";
import { getDb, type Db } from "../db/client.ts";
import { getDecision, type DecisionRow } from "../db/decisions.ts";
import { decisions, leads } from "../db/schema.ts";
import { reviewHolds } from "../db/schema-signals.ts";
import { requireScope, type TokenInfo } from "../lib/auth.ts";
import { ApiError } from "../lib/errors.ts";
import { parseOrThrow, readJson } from "../lib/validate.ts";
import { assignByHand, sendToNurture, type ManualResult } from "../routing/manual.ts";
import { ApproveBody, HoldsQuery, OverrideBody, SendBackBody } from "../schemas/review.ts";

type Hold = typeof reviewHolds.$inferSelect;
type Resolution = "approved" | "overridden" | "sent_back";

/**
 * Claims a pending hold for one resolution, so two managers cannot both act on it; the held decision
 * must still be the lead's current one. Returns the hold and its decision.
 */
async function claim(db: Db, id: string, token: TokenInfo, to: Resolution, note: string | null): Promise<{ hold: Hold; decision: DecisionRow }> {
  const hold = await db.select().from(reviewHolds).where(eq(reviewHolds.decisionId, id)).get();
  if (!hold || (token.teamId !== null && hold.teamId !== token.teamId)) throw new ApiError("not_found", "no such held decision");
  const decision = await getDecision(db, id);
  if (hold.status !== "pending") throw new ApiError("conflict", `the decision was already ${hold.status.replace("_", " ")}`);
  if (!decision?.isCurrent) throw new ApiError("conflict", "the held decision is no longer the lead's current one");
  const claimed = await db
    .update(reviewHolds)
    .set({ status: to, resolvedBy: token.name, note, resolvedAt: Date.now() })
    .where(and(eq(reviewHolds.decisionId, id), eq(reviewHolds.status, "pending")))
    .returning()
    .get();
  if (!claimed) throw new ApiError("conflict", "another reviewer resolved the decision first");
  return { hold: claimed, decision };
}

/** Runs the resolution; if it fails, the hold goes back to pending so the manager can try again. */
async function resolve(db: Db, id: string, run: () => Promise<ManualResult>): Promise<ManualResult> {
  try {
    return await run();
  } catch (err) {
    await db.update(reviewHolds).set({ status: "pending", resolvedBy: null, note: null, resolvedAt: null }).where(eq(reviewHolds.decisionId, id));
    throw err;
  }
}

const linkNext = (db: Db, heldId: string) => (next: string) => [db.update(reviewHolds).set({ nextDecisionId: next }).where(eq(reviewHolds.decisionId, heldId))];

const IdPath = z.object({ id: z.string().describe("the held decision's id") });

/** The operations of this sub-app, as the API document shows them; their handlers follow. */
const definitions = {
  "GET /": route({ method: "get", path: "/", tags: ["Review"], summary: "Decisions held for a manager (the token's team), oldest first", auth: "review:write", request: { query: HoldsQuery }, ok: { 200: "Holds" } }),
  "POST /{id}/approve": route({ method: "post", path: "/{id}/approve", tags: ["Review"], summary: "Approve a held decision: the proposed rep gets the lead", auth: "review:write", request: { params: IdPath, body: jsonBody(ApproveBody, { required: false }) }, ok: { 200: "Assigned; the new decision supersedes the held one" } }),
  "POST /{id}/override": route({ method: "post", path: "/{id}/override", tags: ["Review"], summary: "Assign a held lead to another rep, with a reason (audited)", auth: "review:write", request: { params: IdPath, body: jsonBody(OverrideBody) }, ok: { 200: "Assigned to the chosen rep" } }),
  "POST /{id}/send-back": route({ method: "post", path: "/{id}/send-back", tags: ["Review"], summary: "Send a held lead back to nurture, with a reason (audited)", auth: "review:write", request: { params: IdPath, body: jsonBody(SendBackBody) }, ok: { 200: "Sent back to nurture" } }),
};

/** The review queue: decisions a policy held for a manager, and the manager's three answers. */
export const reviewsApi = apiApp(requireScope("review:write"))
  .openapi(definitions["GET /"], async (c) => {
    const { status, limit } = parseOrThrow(HoldsQuery, c.req.query());
    const teamId = c.get("token").teamId;
    const rows = await getDb(c.env.DB)
      .select({ hold: reviewHolds, decision: { tier: decisions.tier, probability: decisions.probability, reason: decisions.reason }, lead: { id: leads.id, email: leads.email, fields: leads.payload } })
      .from(reviewHolds)
      .innerJoin(decisions, eq(decisions.id, reviewHolds.decisionId))
      .innerJoin(leads, eq(leads.id, reviewHolds.leadId))
      .where(and(eq(reviewHolds.status, status), teamId === null ? undefined : eq(reviewHolds.teamId, teamId)))
      .orderBy(asc(reviewHolds.createdAt))
      .limit(limit);
    return c.json({
      data: rows.map(({ hold, decision, lead }) => ({ ...hold, createdAt: new Date(hold.createdAt).toISOString(), resolvedAt: hold.resolvedAt === null ? null : new Date(hold.resolvedAt).toISOString(), decision, lead })),
    });
  })
  .openapi(definitions["POST /{id}/approve"], async (c) => {
    const { note } = parseOrThrow(ApproveBody, c.req.header("content-type") ? await readJson(c.req) : {});
    const db = getDb(c.env.DB);
    const id = c.req.param("id");
    const token = c.get("token");
    const { hold, decision } = await claim(db, id, token, "approved", note ?? null);
    const next = await resolve(db, id, () => {
      if (!hold.proposedRepId) throw new ApiError("conflict", "no rep was proposed (none had room): override to a rep instead");
      return assignByHand(c.env, db, decision, hold.proposedRepId, { actor: token.name, action: "review.approve", reason: note ?? "approved as proposed" }, linkNext(db, id));
    });
    return c.json({ held: id, status: "approved", next });
  })
  .openapi(definitions["POST /{id}/override"], async (c) => {
    const { repId, reason } = parseOrThrow(OverrideBody, await readJson(c.req));
    const db = getDb(c.env.DB);
    const id = c.req.param("id");
    const token = c.get("token");
    const { decision } = await claim(db, id, token, "overridden", reason);
    const next = await resolve(db, id, () => assignByHand(c.env, db, decision, repId, { actor: token.name, action: "review.override", reason }, linkNext(db, id)));
    return c.json({ held: id, status: "overridden", next });
  })
  .openapi(definitions["POST /{id}/send-back"], async (c) => {
    const { reason } = parseOrThrow(SendBackBody, await readJson(c.req));
    const db = getDb(c.env.DB);
    const id = c.req.param("id");
    const token = c.get("token");
    const { decision } = await claim(db, id, token, "sent_back", reason);
    const next = await resolve(db, id, () => sendToNurture(c.env, db, decision, { actor: token.name, action: "review.send_back", reason }, linkNext(db, id)));
    return c.json({ held: id, status: "sent_back", next });
  });
