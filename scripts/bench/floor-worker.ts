/**
 * The latency floor for `npm run bench`: the same runtime as the router (wrangler dev, local D1) answering
 * a POST with one D1 insert and nothing else. Never deployed; the bench starts it on a loopback port.
 */
let ready: Promise<unknown> | undefined;

export default {
  async fetch(request: Request, env: { DB: D1Database }): Promise<Response> {
    if (request.method !== "POST") return Response.json({ status: "ok" });
    ready ??= env.DB.exec("CREATE TABLE IF NOT EXISTS pings (id TEXT PRIMARY KEY, body TEXT NOT NULL, at INTEGER NOT NULL)");
    await ready;
    const body = await request.text();
    const id = crypto.randomUUID();
    await env.DB.prepare("INSERT INTO pings (id, body, at) VALUES (?1, ?2, ?3)").bind(id, body, Date.now()).run();
    return Response.json({ id }, { status: 201 });
  },
};
