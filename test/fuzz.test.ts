import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { call } from "./helpers.ts";

const FIELDS = ["email", "name", "company", "employees", "industry", "country", "job_title", "source", "pages_viewed", "demo_requested", "deal_value", "message", "_hp", "utm_source"];

const value = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.emailAddress(),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);
const leadLike = fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 12 })), value, { maxKeys: 12 });
/** Leads that intake accepts, with random extras: the property must cover real decisions too. */
const validLead = fc.record({
  email: fc.tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,9}$/), fc.constantFrom("acme.example", "gmail.com", "corp.example")).map(([u, d]) => `${u}@${d}`),
  employees: fc.integer({ min: 0, max: 100_000 }),
  job_title: fc.constantFrom("CTO", "VP Sales", "Engineer", "", "Student"),
  demo_requested: fc.boolean(),
  pages_viewed: fc.integer({ min: 0, max: 500 }),
  utm_campaign: fc.string({ maxLength: 30 }),
});
const contentType = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("application/json", "application/x-www-form-urlencoded") },
  { weight: 1, arbitrary: fc.constantFrom("multipart/form-data; boundary=xyz", "text/plain", "application/json; charset=utf-8", "", "garbage/../type") },
);
const body = fc.oneof(
  { weight: 3, arbitrary: validLead.map((o) => JSON.stringify(o)) },
  { weight: 3, arbitrary: validLead.map((o) => new URLSearchParams(Object.entries(o).map(([k, v]) => [k, String(v)])).toString()) },
  { weight: 1, arbitrary: leadLike.map((o) => JSON.stringify(o)) },
  { weight: 1, arbitrary: fc.record({ email: fc.emailAddress() }, { requiredKeys: ["email"] }).chain((base) => leadLike.map((o) => JSON.stringify({ ...o, ...base }))) },
  { weight: 1, arbitrary: leadLike.map((o) => new URLSearchParams(Object.entries(o).map(([k, v]) => [k, typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)])).toString()) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => String.fromCharCode(...b)) },
);

describe("fuzzing POST /v1/leads", () => {
  it("never answers 5xx, and every lead it decides has exactly one current decision", async () => {
    const decided: string[] = [];
    await fc.assert(
      fc.asyncProperty(contentType, body, fc.oneof(fc.constant(true), fc.constant(true), fc.constant(false)), async (type, text, withKey) => {
        // Each case stands alone: no merging into an earlier case's lead.
        await env.DB.prepare("DELETE FROM lead_dedupe").run();
        const headers: Record<string, string> = withKey ? { "x-site-key": "pk_demo" } : {};
        if (type) headers["content-type"] = type;
        const res = await call("/v1/leads", { method: "POST", headers: { ...headers, accept: "application/json" }, body: text });
        expect(res.status).toBeLessThan(500);
        const json = (await res.json()) as { lead?: { id: string; status: string }; error?: { code: string; requestId: string } };
        if (res.status >= 400) expect(json.error?.requestId).toBeTruthy();
        if (res.status === 201) decided.push(json.lead!.id);
      }),
      { numRuns: 150, seed: 20261125 },
    );
    // The generator makes valid leads often enough that the property speaks about real decisions.
    expect(decided.length).toBeGreaterThanOrEqual(10);
    for (const id of decided) {
      const n = await env.DB.prepare("SELECT count(*) AS n FROM decisions WHERE lead_id = ? AND is_current = 1").bind(id).first("n");
      expect(n).toBe(1);
    }
    const orphans = await env.DB.prepare("SELECT count(*) AS n FROM leads l WHERE l.status = 'decided' AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.lead_id = l.id AND d.is_current = 1)").first("n");
    expect(orphans).toBe(0);
  });
});
