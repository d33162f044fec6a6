import { and, asc, eq, lt, lte, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "./client.ts";
import { idempotencyKeys, leadDedupe, leads, submissions } from "./schema.ts";

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
 * so two racing identical posts cannot both create a lead. `reads` ride in the same batch, after the
 * writes (the intake reads the lead's routing facts this way: one round trip for both); their results
 * come back in order.
 */
export async function storeLeadOnce(
  db: Db,
  lead: typeof leads.$inferInsert,
  windowMs: number,
  submissionId: string,
  reads: readonly BatchItem<"sqlite">[] = [],
): Promise<{ result: StoredLead; reads: unknown[] }> {
  const row = { status: "pending" as const, reviewReason: null, channel: "json", attempts: 0, lastError: null, consent: null, maskedAt: null, maskedBy: null, ...lead };
  if (windowMs <= 0) {
    const [, ...results] = await db.batch([db.insert(leads).values(row), ...reads]);
    return { result: { stored: true, lead: row }, reads: results };
  }
  const payload = JSON.stringify(lead.payload);
  const sameEmail = sql`site_id = ${lead.siteId} AND email = ${lead.email}`;
  const [, , , owner, ...results] = await db.batch([
    // Claim the dedupe row unless another lead holds it inside its window.
    db
      .insert(leadDedupe)
      .values({ siteId: lead.siteId, email: lead.email, leadId: lead.id, expiresAt: lead.receivedAt + windowMs })
      .onConflictDoUpdate({ target: [leadDedupe.siteId, leadDedupe.email], set: { leadId: sql`excluded.lead_id`, expiresAt: sql`excluded.expires_at` }, setWhere: lte(leadDedupe.expiresAt, lead.receivedAt) }),
    // Only the post that now owns the dedupe row creates the lead.
    db.insert(leads).select(sql`SELECT ${row.id}, ${row.teamId}, ${row.siteId}, ${row.email}, ${payload}, ${row.inputHash}, ${row.status}, ${row.reviewReason}, ${row.channel}, ${row.attempts}, ${row.lastError}, ${row.receivedAt}, ${row.consent == null ? null : Number(row.consent)}, NULL, NULL
      WHERE EXISTS (SELECT 1 FROM lead_dedupe WHERE ${sameEmail} AND lead_id = ${lead.id})`),
    // Any other post is kept as a submission of the lead that owns it.
    db.insert(submissions).select(sql`SELECT ${submissionId}, lead_id, ${payload}, ${lead.receivedAt} FROM lead_dedupe WHERE ${sameEmail} AND lead_id != ${lead.id}`),
    db.select({ leadId: leadDedupe.leadId }).from(leadDedupe).where(and(eq(leadDedupe.siteId, lead.siteId), eq(leadDedupe.email, lead.email))),
    ...reads,
  ]);
  const ownerId = owner[0]?.leadId;
  if (ownerId === undefined) throw new Error(`lead ${lead.id} was not stored`);
  return { result: ownerId === lead.id ? { stored: true, lead: row } : { stored: false, mergedInto: ownerId }, reads: results };
}

/**
 * The lead path's one durable write: a new lead stored together with its decision in one D1 batch (one
 * transaction). Its idempotency record (with the answer to replay) and its dedupe claim are plain inserts
 * in the same batch, so a key already used or an email already claimed inside the window makes the whole
 * batch fail and nothing of it lands; the caller then stores the lead the careful way (storeLeadOnce, with
 * claimKey) to learn which it was. `statements` are the decision's (decision, lineage, review hold…).
 */
export async function storeDecidedLead(
  db: Db,
  lead: typeof leads.$inferInsert,
  windowMs: number,
  idempotency: { siteId: string; key: string; requestHash: string; status: number; body: string } | null,
  statements: readonly BatchItem<"sqlite">[],
): Promise<void> {
  const claims: BatchItem<"sqlite">[] = [];
  if (windowMs > 0) {
    const mine = and(eq(leadDedupe.siteId, lead.siteId), eq(leadDedupe.email, lead.email));
    claims.push(
      db.delete(leadDedupe).where(and(mine, lte(leadDedupe.expiresAt, lead.receivedAt))),
      db.insert(leadDedupe).values({ siteId: lead.siteId, email: lead.email, leadId: lead.id, expiresAt: lead.receivedAt + windowMs }),
    );
  }
  if (idempotency) claims.push(db.insert(idempotencyKeys).values(idempotency));
  await db.batch([db.insert(leads).values(lead), ...claims, ...statements] as unknown as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
}
