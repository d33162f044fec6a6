import { eq } from "drizzle-orm";
import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import { getDb } from "../db/client.ts";
import { currentDecision, setCrmStatus } from "../db/decisions.ts";
import { leads, outcomes } from "../db/schema.ts";
import { requireScope } from "../lib/auth.ts";
import { ApiError } from "../lib/errors.ts";
import { parseOrThrow, readJson } from "../lib/validate.ts";
import { releaseSlot } from "../capacity/capacity-client.ts";
import { OutcomeSchema } from "../schemas/crm.ts";

/** Outcomes close the loop: they become training labels, and `won` / `lost` free the rep's slot. */
export const outcomesApi = new Hono<AppEnv>().post("/", requireScope("crm:write"), async (c) => {
  const input = parseOrThrow(OutcomeSchema, await readJson(c.req));
  const db = getDb(c.env.DB);
  const lead = await db.select().from(leads).where(eq(leads.id, input.leadId)).get();
  const teamId = c.get("token").teamId;
  if (!lead || (teamId !== null && lead.teamId !== teamId)) throw new ApiError("not_found", "no such lead");
  const inserted = await db
    .insert(outcomes)
    .values({ id: input.id, leadId: lead.id, type: input.type, amount: input.amount ?? null, occurredAt: Date.parse(input.occurredAt), teamId: lead.teamId })
    .onConflictDoNothing()
    .returning();
  if (inserted.length === 0) return c.json({ id: input.id, duplicate: true }, 200);
  if (input.type === "won" || input.type === "lost") {
    const current = await currentDecision(db, lead.id);
    if (current?.repId && (await setCrmStatus(db, current.id, "closed", ["new", "acked", "accepted"], input.type))) {
      await releaseSlot(c.env, current.repId, lead.id);
    }
  }
  return c.json({ id: input.id, duplicate: false }, 201);
});
