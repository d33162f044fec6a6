import { and, asc, eq, lt, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { leads } from "./schema.ts";

export type LeadRow = typeof leads.$inferSelect;

/** Notes a failed attempt; the lead stays pending for the cron trigger to retry. */
export async function markAttemptFailed(db: Db, id: string, error: string): Promise<void> {
  await db
    .update(leads)
    .set({ attempts: sql`${leads.attempts} + 1`, lastError: error.slice(0, 500) })
    .where(eq(leads.id, id));
}

/** Pending leads older than `olderThanMs`, oldest first: what the cron retries. */
export function pendingLeads(db: Db, olderThanMs: number, limit: number): Promise<LeadRow[]> {
  return db
    .select()
    .from(leads)
    .where(and(eq(leads.status, "pending"), lt(leads.receivedAt, Date.now() - olderThanMs)))
    .orderBy(asc(leads.receivedAt))
    .limit(limit);
}

export type StoredLead = { stored: true; lead: LeadRow } | { stored: false; mergedInto: string };

/**
 * Stores a lead unless the same site already has a lead for this email inside the dedupe window; then the
 * submission is kept as a merged submission of that first lead instead. One D1 batch (one transaction),
 * so two racing identical posts cannot both create a lead.
 */
export async function storeLeadOnce(d1: D1Database, lead: typeof leads.$inferInsert, windowMs: number, submissionId: string): Promise<StoredLead> {
  const payload = JSON.stringify(lead.payload);
  const insertLead = (guarded: boolean) =>
    d1
      .prepare(
        `INSERT INTO leads (id, team_id, site_id, email, payload, input_hash, status, review_reason, channel, received_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
         ${guarded ? "WHERE EXISTS (SELECT 1 FROM lead_dedupe WHERE site_id = ?3 AND email = ?4 AND lead_id = ?1)" : ""}
         RETURNING id`,
      )
      .bind(lead.id, lead.teamId, lead.siteId, lead.email, payload, lead.inputHash, lead.status ?? "pending", lead.reviewReason ?? null, lead.channel ?? "json", lead.receivedAt);
  let inserted: Record<string, unknown> | undefined;
  if (windowMs <= 0) {
    inserted = (await insertLead(false).all()).results[0];
  } else {
    const results = await d1.batch([
      d1
        .prepare(
          `INSERT INTO lead_dedupe (site_id, email, lead_id, expires_at) VALUES (?1, ?2, ?3, ?4)
           ON CONFLICT (site_id, email) DO UPDATE SET lead_id = excluded.lead_id, expires_at = excluded.expires_at
           WHERE lead_dedupe.expires_at <= ?5`,
        )
        .bind(lead.siteId, lead.email, lead.id, lead.receivedAt + windowMs, lead.receivedAt),
      insertLead(true),
      d1
        .prepare(
          `INSERT INTO submissions (id, lead_id, payload, received_at)
           SELECT ?1, lead_id, ?2, ?3 FROM lead_dedupe WHERE site_id = ?4 AND email = ?5 AND lead_id != ?6`,
        )
        .bind(submissionId, payload, lead.receivedAt, lead.siteId, lead.email, lead.id),
      d1.prepare("SELECT lead_id FROM lead_dedupe WHERE site_id = ?1 AND email = ?2").bind(lead.siteId, lead.email),
    ]);
    const owner = (results[3]!.results[0] as { lead_id: string } | undefined)?.lead_id;
    if (owner && owner !== lead.id) return { stored: false, mergedInto: owner };
    inserted = results[1]!.results[0] as Record<string, unknown> | undefined;
  }
  if (!inserted) throw new Error(`lead ${lead.id} was not stored`);
  // The row as written: the insert's values and the table's defaults, without reading it back.
  return { stored: true, lead: { status: "pending", reviewReason: null, channel: "json", attempts: 0, lastError: null, ...lead } };
}
