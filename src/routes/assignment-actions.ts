import { eq } from "drizzle-orm";
import { z } from "zod";
import type { AppEnv } from "../app-env.ts";
import { apiApp, jsonBody, route } from "../lib/openapi-route.ts";
import { getDb } from "../db/client.ts";
import { getDecision, setCrmStatus, type DecisionRow } from "../db/decisions.ts";
import { leads } from "../db/schema.ts";
import { requireScope, type TokenInfo } from "../lib/auth.ts";
import { ApiError } from "../lib/errors.ts";
import { parseOrThrow, readJson } from "../lib/validate.ts";
import { decideLead } from "../routing/decide-lead.ts";
import { releaseSlot } from "../capacity/capacity-client.ts";
import { NoteBody, RejectBody } from "../schemas/crm.ts";
import { AssignmentStatus } from "../schemas/responses.ts";

const IdPath = z.object({ id: z.string().describe("the assignment's decision id") });

/** The assignment, if the token's team may act on it. */
async function ownAssignment(db: ReturnType<typeof getDb>, id: string, token: TokenInfo): Promise<DecisionRow> {
  const d = await getDecision(db, id);
  if (!d || d.outcome !== "assigned" || (token.teamId !== null && d.teamId !== token.teamId)) {
    throw new ApiError("not_found", "no such assignment");
  }
  return d;
}

async function optionalJson(req: { header(n: string): string | undefined; text(): Promise<string> }): Promise<unknown> {
  return req.header("content-type") ? readJson(req) : {};
}

const transitions = { ack: { to: "acked", from: ["new"] }, accept: { to: "accepted", from: ["new", "acked"] } } as const;

/** The CRM acts on assignments: ack (seen), accept (working it), reject (re-routed to someone else). */
export const assignmentActions = apiApp().openapi(
  route({
    method: "post",
    path: "/{id}/reject",
    tags: ["CRM"],
    summary: "Reject an assignment: the lead is routed to another rep",
    auth: "crm:write",
    middleware: requireScope("crm:write"),
    request: { params: IdPath, body: jsonBody(RejectBody) },
    ok: { 200: "Rejected, with the new decision" },
  }),
  async (c) => {
    const { reason } = parseOrThrow(RejectBody, await readJson(c.req));
    const db = getDb(c.env.DB);
    const d = await ownAssignment(db, c.req.param("id"), c.get("token"));
    const updated = await setCrmStatus(db, d.id, "rejected", ["new", "acked", "accepted"], reason);
    if (!updated) throw new ApiError("conflict", "the assignment is no longer current or was already closed");
    if (d.repId) await releaseSlot(c.env, d.repId, d.leadId, { assigned: true });
    const lead = (await db.select().from(leads).where(eq(leads.id, d.leadId)).get())!;
    const next = await decideLead(c.env, lead, { excludeReps: d.repId ? [d.repId] : [], supersedes: d.id });
    return c.json({ rejected: d.id, next });
  },
);

// ack and accept are one transition each: two operations of the document, one handler.
for (const action of ["ack", "accept"] as const) {
  assignmentActions.openapi(
    route({
      method: "post",
      path: `/{id}/${action}`,
      tags: ["CRM"],
      summary: action === "ack" ? "Mark an assignment as seen" : "Accept an assignment (working it)",
      auth: "crm:write",
      middleware: requireScope("crm:write"),
      request: { params: IdPath, body: jsonBody(NoteBody, { required: false }) },
      ok: { 200: { description: action === "ack" ? "Acknowledged" : "Accepted", schema: AssignmentStatus } },
    }),
    async (c) => {
      const { note } = parseOrThrow(NoteBody, await optionalJson(c.req));
      const db = getDb(c.env.DB);
      const d = await ownAssignment(db, c.req.param("id"), c.get("token"));
      const step = transitions[action];
      const updated = await setCrmStatus(db, d.id, step.to, [...step.from], note ?? null);
      if (!updated) throw new ApiError("conflict", `the assignment is ${d.isCurrent ? d.crmStatus : "no longer current"}`);
      return c.json({ id: updated.id, crmStatus: updated.crmStatus });
    },
  );
}
