import type { AppEnv } from "../app-env.ts";
import { getDb } from "../db/client.ts";
import { assignmentsAfter } from "../db/decisions.ts";
import { requireScope } from "../lib/auth.ts";
import { apiApp, route } from "../lib/openapi-route.ts";
import { parseOrThrow } from "../lib/validate.ts";
import { FeedQuery } from "../schemas/crm.ts";
import { AssignmentsPage } from "../schemas/responses.ts";

/**
 * The CRM's pull feed. The cursor is the decision sequence number: D1 commits writes one at a time, so a
 * row with a lower sequence is never committed after a higher one has been read — no gaps, no duplicates.
 */
const feed = route({
  method: "get",
  path: "/",
  tags: ["CRM"],
  summary: "Assignments after a cursor, oldest first (the token's team only)",
  auth: "crm:read",
  middleware: requireScope("crm:read"),
  request: { query: FeedQuery },
  ok: { 200: { description: "A page of assignments with nextCursor and hasMore", schema: AssignmentsPage } },
});

export const assignments = apiApp().openapi(feed, async (c) => {
  const { cursor, limit } = parseOrThrow(FeedQuery, c.req.query());
  const rows = await assignmentsAfter(getDb(c.env.DB), cursor, limit, c.get("token").teamId);
  const data = rows.map(({ decision, lead, rep, reasons }) => ({
    id: decision.id,
    seq: decision.seq,
    current: decision.isCurrent,
    createdAt: new Date(decision.createdAt).toISOString(),
    teamId: decision.teamId,
    tier: decision.tier,
    mode: decision.mode,
    probability: decision.probability,
    reason: decision.reason,
    reasons,
    rep,
    lead: { id: lead.id, email: lead.email, receivedAt: new Date(lead.receivedAt).toISOString(), fields: lead.payload, consent: lead.consent },
  }));
  const last = rows.at(-1)?.decision.seq ?? cursor;
  return c.json({ data, nextCursor: String(last), hasMore: rows.length === limit });
});
