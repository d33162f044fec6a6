/**
 * The latency floor for `npm run bench`: the same runtime as the router (wrangler dev, local D1) answering
 * a POST with one D1 insert and nothing else. Never deployed; the bench starts it on a loopback port.
 *
 * `GET /hops?n=` also times, inside the runtime, each kind of call the lead path makes in sequence — a
 * Rate Limiting check, a D1 batch, a Durable Object RPC — so the gap to the floor can be read as a sum of
 * round trips. `POST /calls` makes the lead path's calls and nothing else (no parsing, scoring or
 * routing): a second floor, the one the design's required round trips set. `POST /outbox` makes design
 * (b)'s calls alone: the rate limit, then one call to a rep's object committing the reservation, the lead,
 * its decision and its lineage in its own storage, and after the answer (waitUntil) the drain of those rows
 * to D1 — a third floor, the one the alternative design would set. Under the bench's edge simulation its D1
 * and Durable Object calls are delayed exactly like the router's (src/lib/bench-delay.ts).
 */
import { DurableObject } from "cloudflare:workers";
import { withBenchDelays } from "../../src/lib/bench-delay.ts";

type FloorEnv = { DB: D1Database; LIMITER: RateLimit; COUNTER: DurableObjectNamespace<Counter> };

/** A Durable Object doing what a rep's does per call: one small SQLite write. */
export class Counter extends DurableObject {
  bump(): number {
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS c (k INTEGER PRIMARY KEY, n INTEGER NOT NULL)");
    return this.ctx.storage.sql.exec<{ n: number }>("INSERT INTO c (k, n) VALUES (1, 1) ON CONFLICT (k) DO UPDATE SET n = n + 1 RETURNING n").one().n;
  }

  /**
   * What a rep's object would do per lead if it committed the lead itself (design (b) of the lead-path issue):
   * the reservation and the lead, its decision and its lineage in an outbox, one transaction of its storage.
   */
  commit(id: string, body: string): number {
    const sql = this.ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS outbox (id TEXT PRIMARY KEY, kind TEXT NOT NULL, body TEXT NOT NULL)");
    for (const [kind, text] of [["lead", body], ["decision", id], ["lineage", body]]) sql.exec("INSERT INTO outbox (id, kind, body) VALUES (?, ?, ?)", `${id}:${kind}`, kind, text);
    return this.bump();
  }
}

let ready: Promise<unknown> | undefined;

const insertPing = (db: D1Database, id: string, body: string) => db.prepare("INSERT INTO pings (id, body, at) VALUES (?1, ?2, ?3)").bind(id, body, Date.now());

/**
 * The lead path's calls and nothing else: the rate limit; a reservation on a rep's object; one D1 batch
 * storing the lead, its decision and its lineage. False when limited. `POST /calls` and `/hops` both time it.
 */
async function leadPathCalls(env: FloorEnv, id: string, body: string): Promise<boolean> {
  if (!(await env.LIMITER.limit({ key: "site" })).success) return false;
  await env.COUNTER.getByName(`rep-${id.charCodeAt(0) % 10}`).bump();
  await env.DB.batch([insertPing(env.DB, id, body), insertPing(env.DB, `${id}:decision`, id), insertPing(env.DB, `${id}:lineage`, body)]);
  return true;
}

/**
 * Design (b)'s calls and nothing else: the rate limit, then the rep's object commits everything (the answer
 * waits for that); the rows reach D1 after the answer (`drain`, one batch). False when limited.
 */
async function outboxCalls(env: FloorEnv, id: string, body: string, drain: (work: Promise<unknown>) => void): Promise<boolean> {
  if (!(await env.LIMITER.limit({ key: "site" })).success) return false;
  await env.COUNTER.getByName(`rep-${id.charCodeAt(0) % 10}`).commit(id, body);
  drain(env.DB.batch([insertPing(env.DB, id, body), insertPing(env.DB, `${id}:decision`, id), insertPing(env.DB, `${id}:lineage`, body)]));
  return true;
}

async function timed(n: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await op(i);
  return (performance.now() - t0) / n;
}

export default {
  async fetch(request: Request, rawEnv: FloorEnv, ctx: ExecutionContext): Promise<Response> {
    const env = withBenchDelays(rawEnv, { d1: ["DB"], durableObjects: ["COUNTER"] });
    ready ??= env.DB.exec("CREATE TABLE IF NOT EXISTS pings (id TEXT PRIMARY KEY, body TEXT NOT NULL, at INTEGER NOT NULL)");
    await ready;
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/hops") {
      const n = Math.min(Number(url.searchParams.get("n") ?? 500), 5_000);
      const counter = env.COUNTER.getByName("bench");
      const insert = (i: number) => insertPing(env.DB, crypto.randomUUID(), `hop ${i}`);
      return Response.json({
        n,
        rateLimitMs: await timed(n, (i) => env.LIMITER.limit({ key: `k${i % 8}` })),
        d1InsertMs: await timed(n, (i) => insert(i).run()),
        d1BatchMs: await timed(n, (i) => env.DB.batch([insert(i), insert(i), insert(i)])),
        durableObjectMs: await timed(n, () => counter.bump()),
        // Design (b)'s calls alone: the rate limit, then one call to the rep's object committing everything.
        outboxCallsMs: await timed(n, async (i) => (await env.LIMITER.limit({ key: `k${i % 8}` }), counter.commit(crypto.randomUUID(), `hop ${i}`))),
        // The lead path's calls alone, as /calls makes them.
        leadCallsMs: await timed(n, (i) => leadPathCalls(env, crypto.randomUUID(), `hop ${i}`)),
      });
    }
    if (request.method !== "POST") return Response.json({ status: "ok" });
    const body = await request.text();
    const id = crypto.randomUUID();
    if (url.pathname === "/calls" || url.pathname === "/outbox") {
      const made = url.pathname === "/calls" ? await leadPathCalls(env, id, body) : await outboxCalls(env, id, body, (work) => ctx.waitUntil(work));
      if (!made) return Response.json({ error: "limited" }, { status: 429 });
      return Response.json({ id }, { status: 201 });
    }
    await insertPing(env.DB, id, body).run();
    return Response.json({ id }, { status: 201 });
  },
};
