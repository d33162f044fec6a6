import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { call, type ErrorJson } from "./helpers.ts";

const SECRET = "bootstrap-secret-for-tests-0123456789abcdef";
const withSecret = (secret: string | undefined): Env => ({ ...env, BOOTSTRAP_TOKEN: secret });

const bootstrap = (bearer: string = SECRET, bindings: Env = withSecret(SECRET), body?: unknown) =>
  call("/v1/bootstrap", { method: "POST", headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { "content-type": "application/json" }) }, body: body === undefined ? undefined : JSON.stringify(body) }, bindings);

const adminTokens = async () =>
  (await env.DB.prepare("SELECT t.id, t.revoked_at FROM api_tokens t, json_each(t.scopes) s WHERE s.value = 'admin'").all<{ id: string; revoked_at: number | null }>()).results;

describe("bootstrap: the first admin token", () => {
  // The shared setup seeds an admin token; a freshly deployed router has none.
  beforeEach(async () => {
    await env.DB.prepare("DELETE FROM api_tokens WHERE id IN (SELECT t.id FROM api_tokens t, json_each(t.scopes) s WHERE s.value = 'admin')").run();
  });

  it("creates an admin token that works, once, and audits it", async () => {
    const res = await bootstrap(SECRET, withSecret(SECRET), { name: "ops admin" });
    expect(res.status).toBe(201);
    const token = await res.json<{ id: string; secret: string; name: string; scopes: string[]; teamId: null }>();
    expect(token).toMatchObject({ name: "ops admin", scopes: ["admin"], teamId: null });
    expect(token.secret).toMatch(/^lr_[0-9a-f]{48}$/);
    const teams = await call("/v1/admin/teams", { headers: { authorization: `Bearer ${token.secret}` } });
    expect(teams.status).toBe(200);
    const audit = await env.DB.prepare("SELECT actor, action, entity_id, after FROM audit_log WHERE entity_type = 'token'").all<{ actor: string; action: string; entity_id: string; after: string }>();
    expect(audit.results).toEqual([{ actor: "bootstrap", action: "token.create", entity_id: token.id, after: JSON.stringify({ name: "ops admin", scopes: ["admin"], teamId: null }) }]);
    expect(audit.results[0]!.after).not.toContain(token.secret);
  });

  it("is refused with 409 once an admin token exists", async () => {
    expect((await bootstrap()).status).toBe(201);
    const again = await bootstrap();
    expect(again.status).toBe(409);
    expect((await again.json<ErrorJson>()).error.code).toBe("conflict");
    expect(await adminTokens()).toHaveLength(1);
  });

  it("is refused while the seeded admin token exists", async () => {
    await env.DB.prepare("INSERT INTO api_tokens (id, name, token_hash, scopes, team_id) VALUES ('tok_x', 'x', 'h', '[\"crm:read\",\"admin\"]', NULL)").run();
    expect((await bootstrap()).status).toBe(409);
  });

  it("lets exactly one of many concurrent bootstraps in", async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => bootstrap()));
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    expect(await adminTokens()).toHaveLength(1);
  });

  it("opens again only when every admin token has been revoked", async () => {
    const first = await (await bootstrap()).json<{ id: string; secret: string }>();
    const revoke = await call(`/v1/admin/tokens/${first.id}`, { method: "DELETE", headers: { authorization: `Bearer ${first.secret}` } });
    expect(revoke.status).toBe(200);
    expect((await bootstrap()).status).toBe(201);
  });

  it("is refused with 403 when the router has no BOOTSTRAP_TOKEN", async () => {
    const res = await bootstrap(SECRET, withSecret(undefined));
    expect(res.status).toBe(403);
    expect((await res.json<ErrorJson>()).error.message).toMatch(/no BOOTSTRAP_TOKEN/);
    expect(await adminTokens()).toHaveLength(0);
  });

  it("is refused with 403 when BOOTSTRAP_TOKEN is too short to be safe", async () => {
    const res = await bootstrap("short", withSecret("short"));
    expect(res.status).toBe(403);
    expect(await adminTokens()).toHaveLength(0);
  });

  it("is refused with 401 for a wrong or missing secret", async () => {
    expect((await bootstrap(`${SECRET}x`)).status).toBe(401);
    expect((await bootstrap(SECRET.slice(0, -1))).status).toBe(401);
    expect((await call("/v1/bootstrap", { method: "POST" }, withSecret(SECRET))).status).toBe(401);
    expect(await adminTokens()).toHaveLength(0);
  });

  it("refuses a body that is not a name", async () => {
    expect((await bootstrap(SECRET, withSecret(SECRET), { name: "" })).status).toBe(422);
    expect(await adminTokens()).toHaveLength(0);
  });

  it("opens nothing else: every other route refuses the bootstrap secret", async () => {
    const auth = { authorization: `Bearer ${SECRET}` };
    const attempts: [string, RequestInit][] = [
      ["/v1/admin/teams", { headers: auth }],
      ["/v1/admin/tokens", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ name: "x", scopes: ["admin"] }) }],
      ["/v1/policies", { headers: auth }],
      ["/v1/models", { headers: auth }],
      ["/v1/assignments", { headers: auth }],
      ["/v1/events", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ events: [] }) }],
    ];
    for (const [path, init] of attempts) expect((await call(path, init, withSecret(SECRET))).status, path).toBe(401);
    expect(await adminTokens()).toHaveLength(0);
  });
});
