import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { AppEnv } from "../app-env.ts";
import { apiApp, jsonBody, route } from "../lib/openapi-route.ts";
import { getDb } from "../db/client.ts";
import { currentDecision } from "../db/decisions.ts";
import { leads } from "../db/schema.ts";
import { reviewHolds } from "../db/schema-signals.ts";
import { ApiError } from "../lib/errors.ts";
import { parseOrThrow, readJson } from "../lib/validate.ts";
import { assignByHand } from "../routing/manual.ts";
import { ReassignBody } from "../schemas/review.ts";

/** Admin actions on single leads (mounted under /v1/admin, which requires an admin token). */
const reassign = route({
  method: "post",
  path: "/leads/{id}/reassign",
  tags: ["Admin"],
  summary: "Move any lead to another rep of its team, with a reason (audited)",
  auth: "admin",
  request: { params: z.object({ id: z.string().describe("a lead id") }), body: jsonBody(ReassignBody) },
  ok: { 200: "Reassigned" },
});

export const leadAdmin = apiApp().openapi(reassign, async (c) => {
  const { repId, reason } = parseOrThrow(ReassignBody, await readJson(c.req));
  const db = getDb(c.env.DB);
  const lead = await db.select().from(leads).where(eq(leads.id, c.req.param("id"))).get();
  if (!lead) throw new ApiError("not_found", "no such lead");
  const current = await currentDecision(db, lead.id);
  if (!current) throw new ApiError("conflict", `the lead has no decision yet (it is ${lead.status})`);
  const actor = c.get("token").name;
  // A lead waiting for review is taken out of the queue: the admin's call is the review.
  const next = await assignByHand(c.env, db, current, repId, { actor, action: "lead.reassign", reason }, (nextId) => [
    db
      .update(reviewHolds)
      .set({ status: "overridden", resolvedBy: actor, note: reason, resolvedAt: Date.now(), nextDecisionId: nextId })
      .where(and(eq(reviewHolds.decisionId, current.id), eq(reviewHolds.status, "pending"))),
  ]);
  return c.json(next);
});
