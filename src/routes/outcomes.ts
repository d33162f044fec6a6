import { z } from "zod";
import type { AppEnv } from "../app-env.ts";
import { apiApp, jsonBody, route } from "../lib/openapi-route.ts";
import { releaseSlot } from "../capacity/capacity-client.ts";
import { getDb } from "../db/client.ts";
import { closeAssignments, leadsOfTeam, storeOutcomes, type NewOutcome, type OutcomeStatus } from "../db/outcomes.ts";
import { requireScope } from "../lib/auth.ts";
import { ApiError } from "../lib/errors.ts";
import { parseOrThrow, readJson } from "../lib/validate.ts";
import { OutcomeSchema, OutcomesBatch } from "../schemas/crm.ts";
import { OutcomeAnswer, OutcomesBatchAnswer } from "../schemas/responses.ts";

const report = route({
  method: "post",
  path: "/",
  tags: ["CRM"],
  summary: "Report what happened to leads (training labels; won/lost frees the rep): one outcome, or `{ outcomes: [...] }` (up to 500) with a result per item. An id is unique per team: the same report again is a duplicate, another report under that id a conflict (409 for one outcome)",
  auth: "crm:write",
  middleware: requireScope("crm:write"),
  request: { body: jsonBody(z.union([OutcomeSchema, OutcomesBatch])) },
  ok: {
    201: { description: "Stored (a batch: at least one, each item's status listed)", schema: z.union([OutcomeAnswer, OutcomesBatchAnswer]) },
    200: { description: "Already stored (same id and report), or nothing new in a batch", schema: z.union([OutcomeAnswer, OutcomesBatchAnswer]) },
  },
});

/**
 * Outcomes close the loop: they become training labels, and `won` / `lost` free the rep's slot. One
 * outcome, or a batch of up to 500 with a result per item. An outcome id is the CRM's, unique per team:
 * sent again with the same report it is a duplicate (nothing changes), with another report a conflict
 * (409 for a single outcome); another team's ids never clash.
 */
export const outcomesApi = apiApp().openapi(report, async (c) => {
  const raw = await readJson(c.req);
  const body = raw !== null && typeof raw === "object" && "outcomes" in raw ? parseOrThrow(OutcomesBatch, raw) : parseOrThrow(OutcomeSchema, raw);
  const items = "outcomes" in body ? body.outcomes : [body];
  const db = getDb(c.env.DB);
  // A lead of another team is answered like a lead that does not exist.
  const known = await leadsOfTeam(db, items.map((o) => o.leadId), c.get("token").teamId);
  const rows: (NewOutcome | null)[] = items.map((o) => {
    const lead = known.get(o.leadId);
    return lead ? { teamId: lead.teamId, id: o.id, leadId: lead.id, type: o.type, amount: o.amount ?? null, occurredAt: Date.parse(o.occurredAt) } : null;
  });
  const found = rows.flatMap((r, i) => (r ? [{ row: r, at: i }] : []));
  const statuses = await storeOutcomes(db, found.map((f) => f.row));
  const results: OutcomeStatus[] = rows.map(() => "not_found");
  found.forEach((f, k) => (results[f.at] = statuses[k]!));
  const closing = found.filter((f, k) => statuses[k] === "stored" && (f.row.type === "won" || f.row.type === "lost")).map((f) => f.row);
  const closed = await closeAssignments(db, closing);
  await Promise.all(closed.map((a) => releaseSlot(c.env, a.repId, a.leadId, { assigned: true })));

  if (!("outcomes" in body)) {
    if (results[0] === "not_found") throw new ApiError("not_found", "no such lead");
    if (results[0] === "conflict") throw new ApiError("conflict", `outcome ${body.id} was already reported with another lead, type, amount or time`);
    return c.json({ id: body.id, duplicate: results[0] === "duplicate" }, results[0] === "stored" ? 201 : 200);
  }
  const count = (s: OutcomeStatus) => results.filter((r) => r === s).length;
  return c.json(
    {
      stored: count("stored"),
      duplicates: count("duplicate"),
      conflicts: count("conflict"),
      notFound: count("not_found"),
      results: items.map((o, i) => ({ id: o.id, leadId: o.leadId, status: results[i] })),
    },
    count("stored") > 0 ? 201 : 200,
  );
});
