import { and, asc, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import { selectInChunks } from "../db/chunks.ts";
import { getDb } from "../db/client.ts";
import { decisions, leads, lineage, outcomes } from "../db/schema.ts";
import { loadSignals } from "../db/signals.ts";
import type { Signals } from "../signals/aggregates.ts";
import { requireScope } from "../lib/auth.ts";
import { parseOrThrow } from "../lib/validate.ts";
import { ExportQuery } from "../schemas/crm.ts";

const POSITIVE = new Set(["opportunity_created", "won"]);

/**
 * Training rows: every lead with at least one outcome, its fields as received, its signal aggregates
 * (`signals.events`, `signals.account`) as of the moment its current decision scored it — computed by the
 * same code live scoring uses, from events ingested by then — and `converted` (1 when an opportunity was
 * created or the deal won), and its consent. Leads whose personal fields were masked are left out. Paged
 * by lead rowid so a long export resumes.
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
    // A lead whose personal fields were masked (erasure, retention) no longer has the inputs it was scored on.
    .where(and(gt(rowid, cursor), isNull(leads.maskedAt)))
    .orderBy(asc(rowid))
    .limit(limit);
  const ids = labelled.map((l) => l.leadId);
  const order = new Map(ids.map((id, i) => [id, i]));
  const [rows, events, scored] = ids.length
    ? await Promise.all([
        selectInChunks(ids, (part) => db.select().from(leads).where(inArray(leads.id, part))).then((r) => r.sort((a, b) => order.get(a.id)! - order.get(b.id)!)),
        selectInChunks(ids, (part) => db.select({ leadId: outcomes.leadId, type: outcomes.type }).from(outcomes).where(inArray(outcomes.leadId, part))),
        selectInChunks(ids, (part) =>
          db
            .select({ leadId: decisions.leadId, provenance: lineage.provenance, context: lineage.context })
            .from(decisions)
            .innerJoin(lineage, eq(lineage.decisionId, decisions.id))
            .where(and(inArray(decisions.leadId, part), eq(decisions.isCurrent, true))),
        ),
      ])
    : [[], [], []];
  const converted = new Set(events.filter((e) => POSITIVE.has(e.type)).map((e) => e.leadId));
  // The point in time the lead was last scored at; a lead never decided is taken as of its arrival.
  const asOf = new Map(scored.map((s) => [s.leadId, (s.provenance as { asOf?: number } | null)?.asOf ?? (s.context as { now?: number }).now]));
  const signals = new Map<string, Signals>();
  for (const teamId of new Set(rows.map((l) => l.teamId))) {
    const team = rows.filter((l) => l.teamId === teamId);
    const loaded = await loadSignals(db, teamId, team.map((l) => ({ leadId: l.id, teamId, email: l.email, receivedAt: l.receivedAt, asOf: asOf.get(l.id) ?? l.receivedAt })));
    for (const [id, s] of loaded) signals.set(id, s);
  }
  const data = rows.map((l) => ({
    leadId: l.id,
    receivedAt: new Date(l.receivedAt).toISOString(),
    fields: l.payload as Record<string, unknown>,
    /** The consent the site's consent field carried; null when the site asks none. */
    consent: l.consent,
    signalsAsOf: new Date(asOf.get(l.id) ?? l.receivedAt).toISOString(),
    signals: signals.get(l.id)!.values,
    converted: converted.has(l.id) ? 1 : 0,
  }));
  const last = labelled.at(-1)?.rowid ?? cursor;
  return c.json({ data, nextCursor: String(last), hasMore: labelled.length === limit });
});
