import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import { getDb } from "../db/client.ts";
import { insertLead, markAttemptFailed } from "../db/leads.ts";
import { canonicalJson, newId, sha256Hex } from "../lib/hashing.ts";
import { parseOrThrow, readJson } from "../lib/validate.ts";
import { decideLead } from "../routing/decide.ts";
import { LeadInputSchema } from "../schemas/lead.ts";

export const leads = new Hono<AppEnv>().post("/", async (c) => {
  const t0 = performance.now();
  const input = parseOrThrow(LeadInputSchema, await readJson(c.req));
  const db = getDb(c.env.DB);
  const lead = await insertLead(db, {
    id: newId("lead"),
    teamId: c.env.DEFAULT_TEAM,
    email: input.email,
    payload: input,
    inputHash: await sha256Hex(canonicalJson(input)),
    receivedAt: Date.now(),
  });
  const stored = performance.now();
  try {
    const decision = await decideLead(c.env, lead);
    const stages = { intake: stored - t0, ...decision.timings };
    c.header("Server-Timing", Object.entries(stages).map(([k, v]) => `${k};dur=${v.toFixed(1)}`).join(", "));
    return c.json({ lead: { id: lead.id, status: "decided" as const }, decision }, 201);
  } catch (err) {
    // The lead is stored: answer 202 and let the cron trigger retry the decision.
    console.error("decision failed; lead kept pending", lead.id, err);
    await markAttemptFailed(db, lead.id, String(err)).catch(() => undefined);
    return c.json({ lead: { id: lead.id, status: "pending" as const }, decision: null }, 202);
  }
});
