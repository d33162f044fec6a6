import { and, eq, inArray } from "drizzle-orm";
import { chunks, selectInChunks } from "./chunks.ts";
import type { Db } from "./client.ts";
import { decisions, leads, outcomes } from "./schema.ts";

export type OutcomeRow = typeof outcomes.$inferSelect;
export type NewOutcome = Omit<typeof outcomes.$inferInsert, "createdAt">;

/** What became of one reported outcome. */
export type OutcomeStatus = "stored" | "duplicate" | "conflict" | "not_found";

/** Two reports of one outcome id say the same thing (a retry), or not (a clash: 409). */
export const sameOutcome = (a: NewOutcome, b: NewOutcome): boolean =>
  a.leadId === b.leadId && a.type === b.type && (a.amount ?? null) === (b.amount ?? null) && a.occurredAt === b.occurredAt;

/** The leads among `ids` that `teamId` may report on (null: an admin token, any team's). */
export async function leadsOfTeam(db: Db, ids: readonly string[], teamId: string | null): Promise<Map<string, { id: string; teamId: string }>> {
  const rows = await selectInChunks([...new Set(ids)], (part) =>
    db.select({ id: leads.id, teamId: leads.teamId }).from(leads).where(and(inArray(leads.id, part), teamId === null ? undefined : eq(leads.teamId, teamId))),
  );
  return new Map(rows.map((r) => [r.id, r]));
}

/** Stored outcomes of one team among `ids`, by id. */
async function storedOutcomes(db: Db, teamId: string, ids: readonly string[]): Promise<Map<string, OutcomeRow>> {
  const rows = await selectInChunks([...new Set(ids)], (part) => db.select().from(outcomes).where(and(eq(outcomes.teamId, teamId), inArray(outcomes.id, part))));
  return new Map(rows.map((r) => [r.id, r]));
}

/**
 * Stores outcomes once per (team, id): an id the team already used with the same report is a duplicate
 * (a retry), with another report a conflict; another team's ids never clash. New rows go in one D1 batch
 * (one transaction); a row a concurrent request stored first is judged against that row.
 */
export async function storeOutcomes(db: Db, items: readonly NewOutcome[]): Promise<OutcomeStatus[]> {
  const status: OutcomeStatus[] = new Array(items.length);
  const fresh: number[] = [];
  const firstOf = new Map<string, number>();
  for (const team of new Set(items.map((o) => o.teamId))) {
    const known = await storedOutcomes(db, team, items.filter((o) => o.teamId === team).map((o) => o.id));
    items.forEach((o, i) => {
      if (o.teamId !== team) return;
      const key = `${team}\u0000${o.id}`;
      const earlier = known.get(o.id) ?? (firstOf.has(key) ? items[firstOf.get(key)!] : undefined);
      if (earlier) status[i] = sameOutcome(o, earlier) ? "duplicate" : "conflict";
      else {
        firstOf.set(key, i);
        fresh.push(i);
      }
    });
  }
  if (fresh.length === 0) return status;
  const statements = chunks(fresh, 10).map((part) => db.insert(outcomes).values(part.map((i) => items[i]!)).onConflictDoNothing().returning({ teamId: outcomes.teamId, id: outcomes.id }));
  const inserted = new Set((await db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]])).flat().map((r) => `${r.teamId}\u0000${r.id}`));
  const raced = fresh.filter((i) => !inserted.has(`${items[i]!.teamId}\u0000${items[i]!.id}`));
  for (const i of fresh) status[i] = "stored";
  for (const i of raced) {
    const winner = (await storedOutcomes(db, items[i]!.teamId, [items[i]!.id])).get(items[i]!.id);
    status[i] = winner && sameOutcome(items[i]!, winner) ? "duplicate" : "conflict";
  }
  return status;
}

/**
 * A won or lost outcome closes the lead's current assignment (if the CRM had not closed it yet): one
 * update per lead in one batch; returns the closed assignments' rep and lead, whose slots to free.
 */
export async function closeAssignments(db: Db, closing: readonly { leadId: string; type: string }[]): Promise<{ repId: string; leadId: string }[]> {
  if (closing.length === 0) return [];
  const now = Date.now();
  const statements = closing.map((o) =>
    db
      .update(decisions)
      .set({ crmStatus: "closed", crmNote: o.type, crmUpdatedAt: now })
      .where(and(eq(decisions.leadId, o.leadId), eq(decisions.isCurrent, true), eq(decisions.outcome, "assigned"), inArray(decisions.crmStatus, ["new", "acked", "accepted"])))
      .returning({ repId: decisions.repId, leadId: decisions.leadId }),
  );
  const closed = (await db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]])).flat();
  return closed.filter((r): r is { repId: string; leadId: string } => r.repId !== null);
}
