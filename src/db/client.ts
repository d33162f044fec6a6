import { drizzle } from "drizzle-orm/d1";

export type Db = ReturnType<typeof getDb>;

// One drizzle instance per D1 binding object. Without a schema (the relational query API is not used),
// building one is cheap, but the lead path asks for it several times per request.
const instances = new WeakMap<D1Database, ReturnType<typeof drizzle>>();

/** drizzle over the D1 binding. */
export function getDb(d1: D1Database) {
  let db = instances.get(d1);
  if (!db) instances.set(d1, (db = drizzle(d1)));
  return db;
}

/** What a D1 bookmark (Sessions API) looks like: hex groups joined by dashes. Anything else is not sent to D1. */
const BOOKMARK = /^[0-9a-f]{1,16}(?:-[0-9a-f]{1,64}){1,7}$/i;

/** The bookmark a client sent, if it looks like one (else none: a read then starts unconstrained). */
export function bookmarkOf(value: string | undefined | null): string | null {
  return value && value.length <= 256 && BOOKMARK.test(value) ? value : null;
}

/**
 * True when `err` (or an error it wraps, as D1's batch errors do) says a constraint matching `pattern`
 * failed, e.g. /UNIQUE constraint failed: signed_posts\./: how a batch that failed on purpose is told apart.
 */
export function failedConstraint(err: unknown, pattern: RegExp): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if (pattern.test(String((e as { message?: unknown }).message ?? e))) return true;
  }
  return false;
}
