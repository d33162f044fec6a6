import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY } from "../src/routing/policy.ts";
import { call, type ErrorJson } from "./helpers.ts";
import { adminCall, modelVariant, uploadModel } from "./governance-helpers.ts";
import { TOKENS } from "./setup.ts";

type AuditRow = { id: number; actor: string; action: string; entityType: string; entityId: string; before: unknown; after: unknown; reason: string | null; at: string };
type AuditPage = { data: AuditRow[]; nextCursor: number | null };

const audit = async (query = "") => {
  const res = await adminCall(`/v1/admin/audit${query}`);
  expect(res.status).toBe(200);
  return res.json<AuditPage>();
};

const REP = { teamId: "demo", name: "Mary Jackson", email: "mary@example.com", role: "sdr", maxOpen: 5, maxPerDay: 20 };

describe("audit log API", () => {
  it("records rep changes with actor, before, after and the X-Audit-Reason, newest first", async () => {
    expect((await adminCall("/v1/admin/reps/rep_mary", "PUT", REP, { "x-audit-reason": "new hire" })).status).toBe(201);
    expect((await adminCall("/v1/admin/reps/rep_mary", "PUT", { ...REP, maxOpen: 8 }, { "x-audit-reason": "ramped up" })).status).toBe(200);
    expect((await adminCall("/v1/admin/reps/rep_mary", "DELETE", undefined, { "x-audit-reason": "left the company" })).status).toBe(200);
    const { data } = await audit("?entityType=rep&entityId=rep_mary");
    expect(data.map((r) => [r.action, r.reason])).toEqual([
      ["rep.delete", "left the company"],
      ["rep.update", "ramped up"],
      ["rep.create", "new hire"],
    ]);
    expect(data.every((r) => r.actor === "admin")).toBe(true);
    expect(data[2]!.before).toBeNull();
    expect(data[1]).toMatchObject({ before: { maxOpen: 5 }, after: { maxOpen: 8 } });
    expect(data[0]).toMatchObject({ before: { deletedAt: null }, after: { id: "rep_mary" } });
    expect((data[0]!.after as { deletedAt: number }).deletedAt).toBeGreaterThan(0);
  });

  it("records token creation and revocation without the secret or its hash", async () => {
    const created = await (await adminCall("/v1/admin/tokens", "POST", { name: "crm two", scopes: ["crm:read"], teamId: "demo" }, { "x-audit-reason": "second CRM" })).json<{ id: string; secret: string }>();
    expect((await adminCall(`/v1/admin/tokens/${created.id}`, "DELETE", undefined, { "x-audit-reason": "leaked" })).status).toBe(200);
    const { data } = await audit(`?entityType=token&entityId=${created.id}`);
    expect(data.map((r) => [r.action, r.reason])).toEqual([["token.revoke", "leaked"], ["token.create", "second CRM"]]);
    expect(data[0]).toMatchObject({ before: { revokedAt: null, name: "crm two" }, after: { name: "crm two" } });
    const text = JSON.stringify(data);
    expect(text).not.toContain(created.secret);
    expect(text).not.toMatch(/tokenHash/);
  });

  it("records policy creation, activation and rollback with their reasons", async () => {
    expect((await adminCall("/v1/policies", "POST", { policy: { ...DEFAULT_POLICY, slaMinutes: 30 }, reason: "faster SLA" })).status).toBe(201);
    expect((await adminCall("/v1/policies/rollback", "POST", { reason: "too strict" })).status).toBe(200);
    const { data } = await audit("?entityType=policy");
    expect(data.map((r) => [r.action, r.entityId, r.reason])).toEqual([
      ["policy.rollback", "1", "too strict"],
      ["policy.activate", "2", "faster SLA"],
      ["policy.create", "2", "faster SLA"],
    ]);
    expect(data[0]).toMatchObject({ before: { active: 2 }, after: { active: 1 } });
  });

  it("records model uploads and status changes with before, after and reason", async () => {
    expect((await uploadModel(modelVariant("9.0.0", { method: "platt", a: 1, b: 0 }), { reason: "retrained on Q3" })).status).toBe(201);
    expect((await adminCall("/v1/models/lead-conversion/9.0.0/status", "POST", { to: "shadow", reason: "watch it" })).status).toBe(200);
    const { data } = await audit("?entityType=model&entityId=lead-conversion@9.0.0");
    expect(data.map((r) => [r.action, r.reason])).toEqual([["model.shadow", "watch it"], ["model.upload", "retrained on Q3"]]);
    expect(data[0]).toMatchObject({ before: { status: "staged" }, after: { status: "shadow" } });
  });

  it("filters by actor, action prefix and time, and pages with a cursor without gaps or repeats", async () => {
    for (let i = 0; i < 5; i++) await adminCall(`/v1/admin/teams/t${i}`, "PUT", { name: `Team ${i}` }, i === 0 ? { "x-audit-reason": "first team" } : {});
    const all = (await audit("?entityType=team&action=team.")).data;
    expect(all).toHaveLength(5);
    expect(all.map((r) => r.reason)).toEqual([null, null, null, null, "first team"]);
    expect((await audit("?actor=nobody")).data).toEqual([]);
    expect((await audit("?action=team")).data).toEqual([]);
    const seen: number[] = [];
    let cursor: number | null = null;
    do {
      const page: AuditPage = await audit(`?entityType=team&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(all.map((r) => r.id));
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await audit(`?entityType=team&from=${encodeURIComponent(future)}`)).data).toEqual([]);
    expect((await audit(`?entityType=team&to=${encodeURIComponent(future)}`)).data).toHaveLength(5);
  });

  it("answers bad filters with 422 and no token with 401", async () => {
    for (const q of ["?limit=0", "?limit=abc", "?from=yesterday", "?cursor=-1", "?entityType=Rep!", "?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z"]) {
      const res = await adminCall(`/v1/admin/audit${q}`);
      expect(res.status, q).toBe(422);
      expect((await res.json<ErrorJson>()).error.code).toBe("validation_failed");
    }
    expect((await call("/v1/admin/audit")).status).toBe(401);
    expect((await call("/v1/admin/audit", { headers: { authorization: `Bearer ${TOKENS.crm}` } })).status).toBe(403);
  });

  it("refuses an empty X-Audit-Reason with 422 and changes nothing", async () => {
    const res = await adminCall("/v1/admin/reps/rep_nobody", "PUT", REP, { "x-audit-reason": "   " });
    expect(res.status).toBe(422);
    expect((await audit("?entityId=rep_nobody")).data).toEqual([]);
    expect((await adminCall("/v1/admin/audit", "POST", {})).status).toBe(405);
  });
});
