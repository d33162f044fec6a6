import { and, desc, eq, gte, lt, lte, sql, type SQL } from "drizzle-orm";
import type { AppEnv } from "../app-env.ts";
import { apiApp, route } from "../lib/openapi-route.ts";
import { getDb } from "../db/client.ts";
import { auditLog } from "../db/schema.ts";
import { parseOrThrow } from "../lib/validate.ts";
import { AuditQuery } from "../schemas/governance.ts";

/** The append-only audit log, newest first, filtered and paged by id (`nextCursor`). Read only: no route changes a row. */
const list = route({
  method: "get",
  path: "/audit",
  tags: ["Governance"],
  summary: "The append-only audit log, newest first; send X-Audit-Reason on rep, token and model changes to record why",
  auth: "admin",
  request: { query: AuditQuery },
  ok: { 200: "Rows with actor, before, after and reason, and nextCursor" },
});

export const auditApi = apiApp().openapi(list, async (c) => {
  const q = parseOrThrow(AuditQuery, c.req.query());
  const where: (SQL | undefined)[] = [
    q.entityType ? eq(auditLog.entityType, q.entityType) : undefined,
    q.entityId ? eq(auditLog.entityId, q.entityId) : undefined,
    q.actor ? eq(auditLog.actor, q.actor) : undefined,
    q.action ? (q.action.endsWith(".") ? sql`substr(${auditLog.action}, 1, ${q.action.length}) = ${q.action}` : eq(auditLog.action, q.action)) : undefined,
    q.from !== undefined ? gte(auditLog.at, q.from) : undefined,
    q.to !== undefined ? lte(auditLog.at, q.to) : undefined,
    q.cursor !== undefined ? lt(auditLog.id, q.cursor) : undefined,
  ];
  const rows = await getDb(c.env.DB).select().from(auditLog).where(and(...where)).orderBy(desc(auditLog.id)).limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  return c.json({
    data: page.map((r) => ({ ...r, at: new Date(r.at).toISOString() })),
    nextCursor: rows.length > q.limit ? page[page.length - 1]!.id : null,
  });
});
