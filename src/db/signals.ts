import { and, eq, inArray } from "drizzle-orm";
import { canonicalJson } from "../lib/hashing.ts";
import { chunks } from "./chunks.ts";
import type { Db } from "./client.ts";
import { signalEvents } from "./schema-signals.ts";

export type SignalEventRow = typeof signalEvents.$inferSelect;
export type NewSignalEvent = typeof signalEvents.$inferInsert;

/**
 * Stores events once per (team, id): returns the ids that were new. Chunked so each statement stays under
 * D1's bound-parameter limit; all chunks go in one batch (one transaction).
 */
export async function insertEvents(db: Db, rows: readonly NewSignalEvent[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const statements = chunks(rows, 8).map((part) => db.insert(signalEvents).values(part).onConflictDoNothing().returning({ id: signalEvents.id }));
  const results = await db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]);
  return new Set(results.flat().map((r) => r.id));
}

/** Stored events of one team among `ids`, by id (to tell a retried event from a clashing one). */
export async function storedEvents(db: Db, teamId: string, ids: readonly string[]): Promise<Map<string, SignalEventRow>> {
  const found: SignalEventRow[] = [];
  for (const part of chunks([...new Set(ids)])) {
    found.push(...(await db.select().from(signalEvents).where(and(eq(signalEvents.teamId, teamId), inArray(signalEvents.id, part)))));
  }
  return new Map(found.map((r) => [r.id, r]));
}

/** Two events with one id say the same thing (a retry), or not (a clash). */
export const sameEvent = (a: NewSignalEvent, b: NewSignalEvent): boolean =>
  a.subjectType === b.subjectType && a.subject === b.subject && a.type === b.type && a.occurredAt === b.occurredAt && a.source === b.source && canonicalJson(a.properties) === canonicalJson(b.properties);
