import { and, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { AppEnv } from "../app-env.ts";
import { apiApp, jsonBody, route } from "../lib/openapi-route.ts";
import { listAlerts } from "../db/alerts.ts";
import { auditRow } from "../db/audit.ts";
import { getDb } from "../db/client.ts";
import { alerts } from "../db/schema.ts";
import { ApiError } from "../lib/errors.ts";
import { parseOrThrow, readJson } from "../lib/validate.ts";
import { ReasonBody } from "../schemas/admin.ts";

const ListQuery = z.object({ all: z.enum(["0", "1", "true", "false"]).optional().describe("1 or true: resolved ones too") });

/** The operations of this sub-app, as the API document shows them; their handlers follow. */
const definitions = {
  "GET /alerts": route({ method: "get", path: "/alerts", tags: ["Governance"], summary: "Operational alerts (model unavailable, routing skew, ...): open ones, or all", auth: "admin", request: { query: ListQuery }, ok: { 200: "Alerts" } }),
  "POST /alerts/{id}/resolve": route({
    method: "post",
    path: "/alerts/{id}/resolve",
    tags: ["Governance"],
    summary: "Resolve an open alert (audited)",
    auth: "admin",
    request: { params: z.object({ id: z.string().regex(/^[0-9]+$/, "an alert id is a number") }), body: jsonBody(ReasonBody) },
    ok: { 200: "Resolved" },
  }),
};

/** Operational alerts (mounted under /v1/admin): list them, and resolve one by hand with a reason. */
export const alertsApi = apiApp()
  .openapi(definitions["GET /alerts"], async (c) => {
    const { all } = parseOrThrow(ListQuery, c.req.query());
    return c.json({ data: await listAlerts(getDb(c.env.DB), all === "1" || all === "true") });
  })
  .openapi(definitions["POST /alerts/{id}/resolve"], async (c) => {
    const { reason } = parseOrThrow(ReasonBody, await readJson(c.req));
    const db = getDb(c.env.DB);
    const id = Number(c.req.param("id"));
    const row = await db.update(alerts).set({ resolvedAt: Date.now() }).where(and(eq(alerts.id, id), isNull(alerts.resolvedAt))).returning().get();
    if (!row) throw new ApiError("not_found", `no open alert ${id}`);
    await auditRow(db, { actor: c.get("token").name, action: "alert.resolve", entityType: "alert", entityId: String(id), before: { resolvedAt: null }, after: { resolvedAt: row.resolvedAt }, reason });
    return c.json(row);
  });
