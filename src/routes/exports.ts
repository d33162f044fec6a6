import { and, asc, eq, gt, inArray, isNull, notInArray, sql } from "drizzle-orm";
import type { AppEnv } from "../app-env.ts";
import { apiApp, route } from "../lib/openapi-route.ts";
import { selectInChunks } from "../db/chunks.ts";
import { getDb, type Db } from "../db/client.ts";
import { decisions, leads, lineage, outcomes } from "../db/schema.ts";
import { loadSignals } from "../signals/load-signals.ts";
import type { Signals } from "../signals/aggregates.ts";
import { requireScope } from "../lib/auth.ts";
import { parseOrThrow } from "../lib/validate.ts";
import { ExportQuery } from "../schemas/crm.ts";
import { countRules, horizonLabel } from "../training/horizon-labels.ts";

type Lead = typeof leads.$inferSelect;

/**
 * Training rows with horizon labels (src/training/horizon-labels.ts): every lead that was routed or is
 * waiting (not held for review, not discarded), its fields as received, its signal aggregates
 * (`signals.events`, `signals.account`) as of the moment its current decision scored it — computed by
 * the same code live scoring uses, from events ingested by then — and `converted`: 1 for an opportunity
 * or win within `horizonDays` after that moment, 0 once the horizon passed without one (worked or not),
 * and no row while the horizon is open. `counts` says how many scanned leads each rule took. Paged by
 * lead rowid (a page scans `limit` leads) so a long export resumes. Each row carries the lead's consent;
 * leads whose personal fields were masked (erasure, retention) are left out: their inputs are gone.
 */
const training = route({
  method: "get",
  path: "/training",
  tags: ["Admin"],
  summary: "Leads as training rows, labelled `converted` within a horizon after their decision (censored while it is open)",
  auth: "admin",
  middleware: requireScope("admin"),
  request: { query: ExportQuery },
  ok: { 200: "A page of rows with nextCursor and hasMore" },
});

export const exportsApi = apiApp().openapi(training, async (c) => {
  const { cursor, limit, horizonDays } = parseOrThrow(ExportQuery, c.req.query());
  const db = getDb(c.env.DB);
  // rowid is unique and increases with every insert: a cursor on it never skips or repeats a lead.
  const rowid = sql<number>`${leads}.rowid`;
  const page = await db
    .select({ lead: leads, rowid })
    .from(leads)
    .where(and(gt(rowid, cursor), notInArray(leads.status, ["review", "discarded"]), isNull(leads.maskedAt)))
    .orderBy(asc(rowid))
    .limit(limit);
  const ids = page.map((p) => p.lead.id);
  const [events, scored] = ids.length
    ? await Promise.all([
        selectInChunks(ids, (part) => db.select({ leadId: outcomes.leadId, type: outcomes.type, occurredAt: outcomes.occurredAt }).from(outcomes).where(inArray(outcomes.leadId, part))),
        selectInChunks(ids, (part) =>
          db
            .select({ leadId: decisions.leadId, provenance: lineage.provenance, context: lineage.context })
            .from(decisions)
            .innerJoin(lineage, eq(lineage.decisionId, decisions.id))
            .where(and(inArray(decisions.leadId, part), eq(decisions.isCurrent, true))),
        ),
      ])
    : [[], []];
  // The point in time the lead was last scored at; a lead never decided is taken as of its arrival.
  const asOf = new Map(scored.map((s) => [s.leadId, (s.provenance as { asOf?: number } | null)?.asOf ?? (s.context as { now?: number }).now]));
  const { labels, counts } = labelPage(page.map((p) => p.lead), events, asOf, horizonDays, Date.now());
  const rows = page.map((p) => p.lead).filter((l) => labels.get(l.id)!.label !== null);
  const signals = await signalsAsOf(db, rows, asOf);
  const data = rows.map((l) => ({
    leadId: l.id,
    receivedAt: new Date(l.receivedAt).toISOString(),
    fields: l.payload as Record<string, unknown>,
    /** The consent the site's consent field carried; null when the site asks none. */
    consent: l.consent,
    signalsAsOf: new Date(asOf.get(l.id) ?? l.receivedAt).toISOString(),
    signals: signals.get(l.id)!.values,
    converted: labels.get(l.id)!.label!,
    labelRule: labels.get(l.id)!.rule,
  }));
  const last = page.at(-1)?.rowid ?? cursor;
  return c.json({ data, horizonDays, counts, nextCursor: String(last), hasMore: page.length === limit });
});

/** Horizon labels of one page of leads, and how many each rule took. */
function labelPage(
  page: readonly Lead[],
  events: readonly { leadId: string; type: string; occurredAt: number }[],
  asOf: ReadonlyMap<string, number | undefined>,
  horizonDays: number,
  now: number,
) {
  const byLead = new Map<string, { type: string; occurredAt: number }[]>();
  for (const e of events) byLead.set(e.leadId, [...(byLead.get(e.leadId) ?? []), e]);
  const labels = new Map(page.map((l) => [l.id, horizonLabel(asOf.get(l.id) ?? l.receivedAt, byLead.get(l.id) ?? [], horizonDays, now)]));
  return { labels, counts: countRules([...labels.values()]) };
}

/** Each lead's signal aggregates as of its decision, loaded per team. */
async function signalsAsOf(db: Db, rows: readonly Lead[], asOf: ReadonlyMap<string, number | undefined>): Promise<Map<string, Signals>> {
  const signals = new Map<string, Signals>();
  for (const teamId of new Set(rows.map((l) => l.teamId))) {
    const team = rows.filter((l) => l.teamId === teamId);
    const loaded = await loadSignals(db, teamId, team.map((l) => ({ leadId: l.id, teamId, email: l.email, receivedAt: l.receivedAt, asOf: asOf.get(l.id) ?? l.receivedAt })));
    for (const [id, s] of loaded) signals.set(id, s);
  }
  return signals;
}
