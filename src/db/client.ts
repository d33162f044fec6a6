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
