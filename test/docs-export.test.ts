import { describe, expect, it } from "vitest";
import { call, HOT_LEAD, postLead, uniqueEmail } from "./helpers.ts";
import { TOKENS } from "./setup.ts";

const admin = { authorization: `Bearer ${TOKENS.admin}` };

describe("OpenAPI and docs", () => {
  it("serves an OpenAPI 3 document generated from the request schemas", async () => {
    const res = await call("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { required?: string[]; properties?: Record<string, unknown> } }> } }>> };
    expect(doc.openapi).toBe("3.0.3");
    const lead = doc.paths["/v1/leads"]!.post!.requestBody!.content["application/json"]!.schema;
    expect(lead.required).toContain("email");
    expect(Object.keys(lead.properties!)).toEqual(expect.arrayContaining(["employees", "demo_requested", "job_title"]));
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/v1/assignments", "/v1/outcomes", "/v1/models/{name}/rollback"]));
  });

  it("renders the docs page from the same document", async () => {
    const page = await (await call("/docs")).text();
    expect(page).toContain("/v1/assignments/{id}/reject");
    expect(page).toContain("/openapi.json");
  });
});

describe("training-data export", () => {
  it("returns leads with outcomes and their conversion label, paged", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(((await (await postLead({ ...HOT_LEAD, email: uniqueEmail() })).json()) as { lead: { id: string } }).lead.id);
    await postLead({ ...HOT_LEAD, email: uniqueEmail() }); // no outcome: not a training row
    const outcome = (id: string, leadId: string, type: string) =>
      call("/v1/outcomes", { method: "POST", headers: { authorization: `Bearer ${TOKENS.crm}`, "content-type": "application/json" }, body: JSON.stringify({ id, leadId, type, occurredAt: "2026-11-24T09:00:00Z" }) });
    await outcome("o1", ids[0]!, "won");
    await outcome("o2", ids[1]!, "lost");
    await outcome("o3", ids[2]!, "opportunity_created");
    const first = (await (await call("/v1/exports/training?limit=2", { headers: admin })).json()) as { data: { leadId: string; converted: number; fields: { email: string } }[]; nextCursor: string; hasMore: boolean };
    expect(first.hasMore).toBe(true);
    const second = (await (await call(`/v1/exports/training?limit=2&cursor=${first.nextCursor}`, { headers: admin })).json()) as typeof first;
    const rows = [...first.data, ...second.data];
    expect(rows.map((r) => [r.leadId, r.converted])).toEqual([[ids[0], 1], [ids[1], 0], [ids[2], 1]]);
    expect(rows[0]!.fields.email).toMatch(/@bigcorp\.example$/);
  });
});
