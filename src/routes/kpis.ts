import { z } from "zod";
import { apiApp, route } from "../lib/openapi-route.ts";
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
    from: z.iso.datetime({ offset: true }).optional().describe("ISO 8601 (default: 30 days before to)"),
    to: z.iso.datetime({ offset: true }).optional().describe("ISO 8601 (default: now)"),
    /** With an admin token: one team only. */
    team: z.string().min(1).max(64).optional().describe("admin tokens: one team"),
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
const kpis = route({
  method: "get",
  path: "/kpis",
  tags: ["Reports"],
  summary: "KPIs of leads received in [from, to): time to first action, contact rate, conversion by tier and rep, pipeline velocity, unassigned leads by reason",
  auth: "crm:read",
  middleware: requireScope("crm:read"),
  request: { query: KpiQuery.in },
  ok: { 200: "The KPIs" },
});

export const kpisApi = apiApp().openapi(kpis, async (c) => {
  const q = parseOrThrow(KpiQuery, c.req.query());
  const own = c.get("token").teamId;
  if (own !== null && q.team !== undefined && q.team !== own) throw new ApiError("forbidden", `this token reads team ${own} only`);
  const teamId = own ?? q.team ?? null;
  const rows = await kpiRows(getDb(c.env.DB), q.from, q.to, teamId);
  return c.json({ from: new Date(q.from).toISOString(), to: new Date(q.to).toISOString(), team: teamId, ...computeKpis(rows.leads, rows.decisions, rows.outcomes) });
});
