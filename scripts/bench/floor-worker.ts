/**
 * The latency floor for `npm run bench`: the same runtime as the router (wrangler dev, local D1) answering
 * a POST with one D1 insert and nothing else. Never deployed; the bench starts it on a loopback port.
 *
 * `GET /hops?n=` also times, inside the runtime, each kind of call the lead path makes in sequence — a
 * Rate Limiting check, a D1 batch, a Durable Object RPC — so the gap to the floor can be read as a sum of
 * round trips.
 */
import { DurableObject } from "cloudflare:workers";

type FloorEnv = { DB: D1Database; LIMITER: RateLimit; COUNTER: DurableObjectNamespace<Counter> };

/** A Durable Object doing what a rep's does per call: one small SQLite write. */
export class Counter extends DurableObject {
  bump(): number {
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS c (k INTEGER PRIMARY KEY, n INTEGER NOT NULL)");
    return this.ctx.storage.sql.exec<{ n: number }>("INSERT INTO c (k, n) VALUES (1, 1) ON CONFLICT (k) DO UPDATE SET n = n + 1 RETURNING n").one().n;
  }
}

let ready: Promise<unknown> | undefined;

async function timed(n: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await op(i);
  return (performance.now() - t0) / n;
}

export default {
  async fetch(request: Request, env: FloorEnv): Promise<Response> {
    ready ??= env.DB.exec("CREATE TABLE IF NOT EXISTS pings (id TEXT PRIMARY KEY, body TEXT NOT NULL, at INTEGER NOT NULL)");
    await ready;
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/hops") {
      const n = Math.min(Number(url.searchParams.get("n") ?? 500), 5_000);
      const counter = env.COUNTER.getByName("bench");
      const insert = (i: number) => env.DB.prepare("INSERT INTO pings (id, body, at) VALUES (?1, ?2, ?3)").bind(crypto.randomUUID(), `hop ${i}`, Date.now());
      const read = () => env.DB.prepare("SELECT id, body FROM pings ORDER BY at DESC LIMIT 10");
      return Response.json({
        n,
        rateLimitMs: await timed(n, (i) => env.LIMITER.limit({ key: `k${i % 8}` })),
        d1InsertMs: await timed(n, (i) => insert(i).run()),
        d1BatchMs: await timed(n, (i) => env.DB.batch([insert(i), read(), read(), read()])),
        durableObjectMs: await timed(n, () => counter.bump()),
      });
    }
    if (request.method !== "POST") return Response.json({ status: "ok" });
    const body = await request.text();
    const id = crypto.randomUUID();
    await env.DB.prepare("INSERT INTO pings (id, body, at) VALUES (?1, ?2, ?3)").bind(id, body, Date.now()).run();
    return Response.json({ id }, { status: 201 });
  },
};
