import { and, asc, eq, lt, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { leads } from "./schema.ts";

export type LeadRow = typeof leads.$inferSelect;

/** Stores a lead as `pending`: from here on it is never lost, whatever scoring or routing does. */
export async function insertLead(db: Db, lead: typeof leads.$inferInsert): Promise<LeadRow> {
  return (await db.insert(leads).values(lead).returning())[0]!;
}

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
