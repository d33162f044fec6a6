import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env.ts";
import { getDb } from "../db/client.ts";
import { kpiRows } from "../kpis/kpi-data.ts";
import { computeKpis } from "../kpis/compute.ts";
import { requireScope } from "../lib/auth.ts";
import { ApiError } from "../lib/errors.ts";
import { parseOrThrow } from "../lib/validate.ts";

const DAY = 86_400_000;

export const KpiQuery = z
  .object({
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    /** With an admin token: one team only. */
    team: z.string().min(1).max(64).optional(),
  })
  .transform(({ from, to, team }) => {
    const end = to ? Date.parse(to) : Date.now();
    return { from: from ? Date.parse(from) : end - 30 * DAY, to: end, team };
  })
  .refine((q) => q.from < q.to, { message: "from must be before to" })
  .refine((q) => q.to - q.from <= 366 * DAY, { message: "the window is at most 366 days" });

/**
 * KPIs of the leads received in [from, to) (default: the last 30 days): time to first action, contact
 * rate, conversion by tier and by rep, pipeline velocity, and the leads left without a rep, by reason.
 * A CRM token sees its own team; an admin token every team, or one with `team`.
 */
export const kpisApi = new Hono<AppEnv>().get("/kpis", requireScope("crm:read"), async (c) => {
  const q = parseOrThrow(KpiQuery, c.req.query());
  const own = c.get("token").teamId;
  if (own !== null && q.team !== undefined && q.team !== own) throw new ApiError("forbidden", `this token reads team ${own} only`);
  const teamId = own ?? q.team ?? null;
  const rows = await kpiRows(getDb(c.env.DB), q.from, q.to, teamId);
  return c.json({ from: new Date(q.from).toISOString(), to: new Date(q.to).toISOString(), team: teamId, ...computeKpis(rows.leads, rows.decisions, rows.outcomes) });
});
