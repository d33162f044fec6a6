import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { call, type ErrorJson } from "./helpers.ts";
import { admin, json } from "./trust-helpers.ts";

/** Team `other` with a territory and a rep of its own. */
beforeEach(async () => {
  expect((await admin("/v1/admin/teams/other", "PUT", { name: "Other" })).status).toBe(201);
  expect((await admin("/v1/admin/territories/other-emea", "PUT", { teamId: "other", name: "EMEA" })).status).toBe(201);
  expect((await admin("/v1/admin/reps/rep_otto", "PUT", { teamId: "other", name: "Otto", email: "otto@example.com", role: "ae", maxOpen: 5, maxPerDay: 5 })).status).toBe(201);
});

async function refused(res: Response, field: string): Promise<void> {
  expect(res.status).toBe(422);
  const { error } = (await res.json()) as ErrorJson;
  expect(error.code).toBe("validation_failed");
  expect(error.message).toContain(`${field}:`);
}

const count = (table: string) => env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first("n");

describe("admin writes that point nowhere are refused with a 422 naming the field", () => {
  it("refuses a token for a team that does not exist", async () => {
    const before = await count("api_tokens");
    await refused(await admin("/v1/admin/tokens", "POST", { name: "ghost crm", scopes: ["crm:read"], teamId: "ghost" }), "teamId");
    expect(await count("api_tokens")).toBe(before);
  });

  it("refuses a site for a team that does not exist", async () => {
    await refused(await admin("/v1/admin/sites/pk_ghost", "PUT", { name: "Ghost", teamId: "ghost" }), "teamId");
    expect(await count("sites")).toBe(1);
  });

  it("refuses a javascript: thank-you URL", async () => {
    await refused(await admin("/v1/admin/sites/pk_xss", "PUT", { name: "XSS", teamId: "demo", thankYouUrl: "javascript:alert(document.cookie)" }), "thankYouUrl");
  });

  it("refuses an allowed origin that is not http(s)", async () => {
    await refused(await admin("/v1/admin/sites/pk_data", "PUT", { name: "Data", teamId: "demo", allowedOrigins: ["data:text/html,hi"] }), "allowedOrigins.0");
  });

  it("refuses a rep whose territory belongs to another team", async () => {
    await refused(await admin("/v1/admin/reps/rep_new", "PUT", { teamId: "demo", name: "New", email: "new@example.com", role: "sdr", maxOpen: 5, maxPerDay: 5, territoryIds: ["other-emea"] }), "territoryIds.0");
    expect(await env.DB.prepare("SELECT count(*) AS n FROM reps WHERE id = 'rep_new'").first("n")).toBe(0);
  });

  it("refuses a rep whose territory does not exist", async () => {
    await refused(await admin("/v1/admin/reps/rep_new", "PUT", { teamId: "demo", name: "New", email: "new@example.com", role: "sdr", maxOpen: 5, maxPerDay: 5, territoryIds: ["nowhere"] }), "territoryIds.0");
  });

  it("refuses an account owned by another team's rep", async () => {
    await refused(await admin("/v1/admin/accounts/acme.example", "PUT", { name: "Acme", teamId: "demo", ownerRepId: "rep_otto" }), "ownerRepId");
    expect(await count("accounts")).toBe(0);
  });

  it("refuses an account in another team's territory", async () => {
    await refused(await admin("/v1/admin/accounts/acme.example", "PUT", { name: "Acme", teamId: "demo", territoryId: "other-emea" }), "territoryId");
  });

  it("refuses a territory or an account for a team that does not exist", async () => {
    await refused(await admin("/v1/admin/territories/ghost-t", "PUT", { teamId: "ghost", name: "Ghost" }), "teamId");
    await refused(await admin("/v1/admin/accounts/ghost.example", "PUT", { name: "Ghost", teamId: "ghost" }), "teamId");
  });

  it("refuses an owner-change event naming another team's rep", async () => {
    const { secret } = (await (await admin("/v1/admin/tokens", "POST", { name: "crm sync", scopes: ["events:write"], teamId: "demo" })).json()) as { secret: string };
    const event = { id: "o1", type: "owner_change", subject: { domain: "acme.example" }, occurredAt: new Date(Date.now() - 60_000).toISOString(), properties: { ownerRepId: "rep_otto" }, source: "salesforce" };
    await refused(await call("/v1/events", { method: "POST", headers: json(secret), body: JSON.stringify({ events: [event] }) }), "events.0.properties.ownerRepId");
    expect(await count("signal_events")).toBe(0);
  });

  it("refuses a policy simulation over another team's lead", async () => {
    await env.DB.prepare("INSERT INTO leads (id, team_id, site_id, email, payload, input_hash, received_at) VALUES ('lead_theirs', 'other', 'pk_x', 'a@b.example', '{}', 'h', 1)").run();
    const { policy } = (await (await admin("/v1/policies/active", "GET")).json()) as { policy: unknown };
    await refused(await admin("/v1/policies/simulate", "POST", { policy, teamId: "demo", leadIds: ["lead_theirs"] }), "leadIds");
  });

  it("still accepts a valid setup: team, territory, rep, account, site and token that all agree", async () => {
    expect((await admin("/v1/admin/teams/west", "PUT", { name: "West" })).status).toBe(201);
    expect((await admin("/v1/admin/territories/west-us", "PUT", { teamId: "west", name: "US", countries: ["US"] })).status).toBe(201);
    expect((await admin("/v1/admin/reps/rep_wes", "PUT", { teamId: "west", name: "Wes", email: "wes@example.com", role: "ae", maxOpen: 5, maxPerDay: 5, territoryIds: ["west-us"] })).status).toBe(201);
    expect((await admin("/v1/admin/accounts/west.example", "PUT", { name: "West Co", teamId: "west", ownerRepId: "rep_wes", territoryId: "west-us" })).status).toBe(201);
    expect((await admin("/v1/admin/sites/pk_west", "PUT", { name: "West", teamId: "west", thankYouUrl: "https://west.example/thanks", allowedOrigins: ["https://west.example"] })).status).toBe(201);
    expect((await admin("/v1/admin/tokens", "POST", { name: "west crm", scopes: ["crm:read"], teamId: "west" })).status).toBe(201);
  });
});

describe("a replay that names a version that does not exist", () => {
  it("is refused with a 422 naming modelVersion or policyVersion", async () => {
    const posted = await call("/v1/leads", { method: "POST", headers: { "content-type": "application/json", "x-site-key": "pk_demo" }, body: JSON.stringify({ email: "replay@bigcorp.example", demo_requested: true }) });
    const { decision } = (await posted.json()) as { decision: { id: string } };
    await refused(await admin(`/v1/decisions/${decision.id}/replay`, "POST", { modelVersion: "9.9.9" }), "modelVersion");
    await refused(await admin(`/v1/decisions/${decision.id}/replay`, "POST", { policyVersion: 999 }), "policyVersion");
  });
});
