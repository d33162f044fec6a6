import { asc, eq, gt, inArray, sql } from "drizzle-orm";
import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import { getDb } from "../db/client.ts";
import { leads, outcomes } from "../db/schema.ts";
import { requireScope } from "../lib/auth.ts";
import { parseOrThrow } from "../lib/validate.ts";
import { ExportQuery } from "../schemas/crm.ts";

const POSITIVE = new Set(["opportunity_created", "won"]);

/**
 * Training rows: every lead with at least one outcome, its fields as received, and `converted` (1 when an
 * opportunity was created or the deal won). Paged by lead rowid so a long export resumes.
 */
export const exportsApi = new Hono<AppEnv>().get("/training", requireScope("admin"), async (c) => {
  const { cursor, limit } = parseOrThrow(ExportQuery, c.req.query());
  const db = getDb(c.env.DB);
  // rowid is unique and increases with every insert: a cursor on it never skips or repeats a lead.
  const rowid = sql<number>`${leads}.rowid`;
  const labelled = await db
    .selectDistinct({ leadId: outcomes.leadId, rowid })
    .from(outcomes)
    .innerJoin(leads, eq(leads.id, outcomes.leadId))
    .where(gt(rowid, cursor))
    .orderBy(asc(rowid))
    .limit(limit);
  const ids = labelled.map((l) => l.leadId);
  const [rows, events] = ids.length
    ? await Promise.all([
        db.select().from(leads).where(inArray(leads.id, ids)).orderBy(asc(rowid)),
        db.select({ leadId: outcomes.leadId, type: outcomes.type }).from(outcomes).where(inArray(outcomes.leadId, ids)),
      ])
    : [[], []];
  const converted = new Set(events.filter((e) => POSITIVE.has(e.type)).map((e) => e.leadId));
  const data = rows.map((l) => ({ leadId: l.id, receivedAt: new Date(l.receivedAt).toISOString(), fields: l.payload as Record<string, unknown>, converted: converted.has(l.id) ? 1 : 0 }));
  const last = labelled.at(-1)?.rowid ?? cursor;
  return c.json({ data, nextCursor: String(last), hasMore: labelled.length === limit });
});
