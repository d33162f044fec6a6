import { describe, expect, it } from "vitest";
import { call, HOT_LEAD, postLead, uniqueEmail, type ErrorJson } from "./helpers.ts";
import { TOKENS } from "./setup.ts";

const as = (token: string, path: string, method = "GET", body?: unknown) =>
  call(path, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });

/** An admin token bound to the `other` team (the seed's `other` CRM token gives that team a token too). */
async function otherTeamAdmin(): Promise<string> {
  expect((await as(TOKENS.admin, "/v1/admin/teams/other", "PUT", { name: "Other" })).status).toBe(201);
  const res = await as(TOKENS.admin, "/v1/admin/tokens", "POST", { name: "other admin", scopes: ["admin"], teamId: "other" });
  expect(res.status).toBe(201);
  return ((await res.json()) as { secret: string }).secret;
}

// A token bound to a team acts for that team only, admin scope or not: what it names of another team's is
// refused or answers like a missing thing, and it cannot mint a way out of its team.
describe("a team-bound admin token", () => {
  it("cannot create a token bound to no team, or to another team (403)", async () => {
    const secret = await otherTeamAdmin();
    for (const teamId of [null, "demo"]) {
      const res = await as(secret, "/v1/admin/tokens", "POST", { name: "escape", scopes: ["admin"], teamId });
      expect(res.status).toBe(403);
      expect(((await res.json()) as ErrorJson).error.code).toBe("forbidden");
    }
    expect((await as(secret, "/v1/admin/tokens", "POST", { name: "own crm", scopes: ["crm:read"], teamId: "other" })).status).toBe(201);
  });

  it("lists and revokes only its own team's tokens", async () => {
    const secret = await otherTeamAdmin();
    const { data } = (await (await as(secret, "/v1/admin/tokens")).json()) as { data: { id: string; teamId: string | null }[] };
    expect(data.length).toBeGreaterThan(0);
    expect(data.every((t) => t.teamId === "other")).toBe(true);
    const all = (await (await as(TOKENS.admin, "/v1/admin/tokens")).json()) as { data: { id: string; teamId: string | null }[] };
    const demo = all.data.find((t) => t.teamId === "demo")!;
    expect((await as(secret, `/v1/admin/tokens/${demo.id}`, "DELETE")).status).toBe(404);
    expect((await as(TOKENS.crm, "/v1/assignments")).status).toBe(200);
  });

  it("is refused (403) by the admin areas that span every team, and taken by those that scope by team", async () => {
    const secret = await otherTeamAdmin();
    const spanning: [string, string, unknown?][] = [
      ["/v1/admin/sites", "GET"],
      ["/v1/admin/sites/pk_mine", "PUT", { teamId: "other", name: "Mine", allowedOrigins: [] }],
      ["/v1/admin/teams", "GET"],
      ["/v1/admin/reps", "GET"],
      ["/v1/admin/reps/rep_ada", "DELETE"],
      ["/v1/admin/territories", "GET"],
      ["/v1/admin/accounts", "GET"],
      ["/v1/admin/audit", "GET"],
      ["/v1/admin/alerts", "GET"],
      ["/v1/admin/review", "GET"],
      ["/v1/admin/monitoring/run", "POST"],
    ];
    for (const [path, method, body] of spanning) {
      const res = await as(secret, path, method, body);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(((await res.json()) as ErrorJson).error.message).toContain("bound to no team");
    }
    expect((await as(TOKENS.admin, "/v1/admin/reps")).status).toBe(200);
    for (const path of ["/v1/admin/tokens", "/v1/admin/webhooks", "/v1/admin/experiments", "/v1/admin/teams/other/rules-only"]) {
      expect((await as(secret, path)).status, path).toBe(200);
    }
  });

  it("cannot replay another team's decision (404)", async () => {
    const secret = await otherTeamAdmin();
    const { decision } = (await (await postLead({ ...HOT_LEAD, email: uniqueEmail() })).json()) as { decision: { id: string } };
    expect((await as(secret, `/v1/decisions/${decision.id}/replay`, "POST", {})).status).toBe(404);
    expect((await as(TOKENS.admin, `/v1/decisions/${decision.id}/replay`, "POST", {})).status).toBe(200);
  });

  it("cannot list, start, stop or read another team's or the default's experiments", async () => {
    const secret = await otherTeamAdmin();
    expect((await as(secret, "/v1/admin/experiments?team=demo")).status).toBe(403);
    const start = await as(secret, "/v1/admin/experiments", "POST", { id: "exp-default", kind: "policy", description: "d", teamId: null, arms: [{ name: "a", share: 1, policyVersion: 1 }, { name: "b", share: 1, policyVersion: 1 }], reason: "split every team" });
    expect(start.status).toBe(403);
    const mine = await as(TOKENS.admin, "/v1/admin/experiments", "POST", { id: "exp-demo", kind: "policy", description: "d", teamId: "demo", arms: [{ name: "a", share: 1, policyVersion: 1 }, { name: "b", share: 1, policyVersion: 1 }], reason: "demo's own" });
    expect(mine.status).toBe(201);
    expect((await as(secret, "/v1/admin/experiments/exp-demo/results")).status).toBe(404);
    expect((await as(secret, "/v1/admin/experiments/exp-demo/stop", "POST", { reason: "not mine" })).status).toBe(404);
    const { data } = (await (await as(secret, "/v1/admin/experiments")).json()) as { data: { id: string }[] };
    expect(data.map((e) => e.id)).not.toContain("exp-demo");
  });
});
