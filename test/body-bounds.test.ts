import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { checkShape, JSON_BODY_BOUNDS } from "../src/lib/body-shape.ts";
import { call, HOT_LEAD, postLead, uniqueEmail, type ErrorJson } from "./helpers.ts";
import { TOKENS } from "./setup.ts";
import { admin, postOutcomes } from "./trust-helpers.ts";

async function refusedFor(res: Response, bound: RegExp): Promise<string> {
  expect(res.status).toBe(422);
  const { error } = (await res.json()) as ErrorJson;
  expect(error.code).toBe("validation_failed");
  expect(error.message).toMatch(bound);
  return error.message;
}

const nested = (depth: number): unknown => (depth <= 1 ? { leaf: 1 } : { deeper: nested(depth - 1) });
const leadCount = () => env.DB.prepare("SELECT count(*) AS n FROM leads").first("n");

describe("bounded input: field names, field counts and nesting, with the bound named", () => {
  it("refuses a lead field name of 10,000 characters, storing nothing", async () => {
    const message = await refusedFor(await postLead({ ...HOT_LEAD, email: uniqueEmail(), ["x".repeat(10_000)]: "v" }), /field name of 10000 characters.*bound is 64 characters/);
    expect(message).not.toContain("x".repeat(100));
    expect(await leadCount()).toBe(0);
  });

  it("refuses the same long field name in an HTML form post", async () => {
    const body = new URLSearchParams({ email: uniqueEmail(), ["y".repeat(200)]: "v" }).toString();
    await refusedFor(await call("/v1/leads", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-site-key": "pk_demo", accept: "application/json" }, body }), /bound is 64 characters/);
  });

  it("refuses a lead with more fields than the bound", async () => {
    const fields = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`f${i}`, i]));
    await refusedFor(await postLead({ email: uniqueEmail(), ...fields }), /71 fields in one object; the bound is 64 fields/);
  });

  it("refuses a nested lead field: leads are flat", async () => {
    await refusedFor(await postLead({ ...HOT_LEAD, email: uniqueEmail(), company: { name: "x" } }), /company: nested 2 levels deep; the bound is 1 level/);
  });

  it("refuses an event batch nested past the bound, naming where", async () => {
    const { secret } = (await (await admin("/v1/admin/tokens", "POST", { name: "ev", scopes: ["events:write"], teamId: "demo" })).json()) as { secret: string };
    const res = await call("/v1/events", { method: "POST", headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" }, body: JSON.stringify({ events: [{ id: "e", properties: nested(10) }] }) });
    await refusedFor(res, /events\.0\.properties(\.deeper)+: nested 9 levels deep; the bound is 8 levels/);
  });

  it("refuses an outcome with a field name past the bound", async () => {
    await refusedFor(await postOutcomes({ id: "o", leadId: "l", type: "won", occurredAt: "2026-11-20T10:00:00Z", ["z".repeat(129)]: 1 }), /bound is 128 characters per field name/);
  });

  it("refuses an admin body with too many fields in one object", async () => {
    const body = { name: "Team", ...Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`k${i}`, i])) };
    await refusedFor(await admin("/v1/admin/teams/wide", "PUT", body), /121 fields in one object; the bound is 100 fields/);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM teams WHERE id = 'wide'").first("n")).toBe(0);
  });

  it("refuses a list longer than the bound, naming it", async () => {
    const res = await call("/v1/policies", { method: "POST", headers: { authorization: `Bearer ${TOKENS.admin}`, "content-type": "application/json" }, body: JSON.stringify({ reason: "long", policy: { rules: Array.from({ length: 1_001 }, () => 0) } }) });
    await refusedFor(res, /policy\.rules: 1001 items in one list; the bound is 1000 items/);
  });

  it("refuses a policy nested past the bound", async () => {
    const res = await call("/v1/policies", { method: "POST", headers: { authorization: `Bearer ${TOKENS.admin}`, "content-type": "application/json" }, body: JSON.stringify({ reason: "deep", policy: { tiers: [nested(12)] } }) });
    await refusedFor(res, /policy\.tiers\.0(\.deeper)+: nested 9 levels deep/);
  });

  it("refuses a hostile 100,000-level nesting without exhausting the stack", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => checkShape(deep, JSON_BODY_BOUNDS)).toThrow(/nested 9 levels deep/);
  });
});
