import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, HOT_LEAD, postLead, uniqueEmail } from "./helpers.ts";
import { TOKENS } from "./setup.ts";

const admin = { authorization: `Bearer ${TOKENS.admin}` };

describe("OpenAPI and docs", () => {
  it("serves an OpenAPI 3 document generated from the request schemas", async () => {
    const res = await call("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { required?: string[]; properties?: Record<string, unknown> } }> } }>> };
    expect(doc.openapi).toBe("3.1.0");
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

type ExportPage = { data: { leadId: string; converted: number; labelRule: string; fields: { email: string } }[]; counts: Record<string, number>; nextCursor: string; hasMore: boolean };
const exportPage = async (query = "") => (await (await call(`/v1/exports/training${query}`, { headers: admin })).json()) as ExportPage;
const newLead = async () => ((await (await postLead({ ...HOT_LEAD, email: uniqueEmail() })).json()) as { lead: { id: string } }).lead.id;
const outcome = (id: string, leadId: string, type: string, occurredAt = new Date().toISOString()) =>
  call("/v1/outcomes", { method: "POST", headers: { authorization: `Bearer ${TOKENS.crm}`, "content-type": "application/json" }, body: JSON.stringify({ id, leadId, type, occurredAt }) });
/** Moves a lead and the moment its decision scored it `days` into the past: time passing, for the horizon. */
async function backdate(leadId: string, days: number) {
  const shift = days * 86_400_000;
  await env.DB.batch([
    env.DB.prepare("UPDATE leads SET received_at = received_at - ? WHERE id = ?").bind(shift, leadId),
    env.DB.prepare(
      "UPDATE lineage SET context = json_set(context, '$.now', json_extract(context, '$.now') - ?1), provenance = CASE WHEN provenance IS NULL THEN NULL ELSE json_set(provenance, '$.asOf', json_extract(provenance, '$.asOf') - ?1) END WHERE decision_id IN (SELECT id FROM decisions WHERE lead_id = ?2)",
    ).bind(shift, leadId),
  ]);
}

describe("training-data export", () => {
  it("labels leads converted within the horizon 1, leaves open horizons out, and pages by lead", async () => {
    const ids = [await newLead(), await newLead(), await newLead()];
    await outcome("o1", ids[0]!, "won");
    await outcome("o2", ids[1]!, "lost");
    await outcome("o3", ids[2]!, "opportunity_created");
    const first = await exportPage("?limit=2");
    expect(first.hasMore).toBe(true);
    const second = await exportPage(`?limit=2&cursor=${first.nextCursor}`);
    const rows = [...first.data, ...second.data];
    // The lost lead's 90 days have not passed: a later opportunity could still make it a positive.
    expect(rows.map((r) => [r.leadId, r.converted, r.labelRule])).toEqual([[ids[0], 1, "converted_in_horizon"], [ids[2], 1, "converted_in_horizon"]]);
    expect(rows[0]!.fields.email).toMatch(/@bigcorp\.example$/);
    expect((first.counts.censored ?? 0) + (second.counts.censored ?? 0)).toBe(1);
  });

  it("exports a lead nobody worked as a negative once its horizon has passed, and leaves it out before", async () => {
    const id = await newLead();
    expect((await exportPage()).data.map((r) => r.leadId)).not.toContain(id);
    expect((await exportPage()).counts).toMatchObject({ censored: 1, horizon_passed_unworked: 0 });
    await backdate(id, 91);
    const after = await exportPage();
    expect(after.data.filter((r) => r.leadId === id)).toEqual([expect.objectContaining({ converted: 0, labelRule: "horizon_passed_unworked" })]);
    expect(after.counts).toMatchObject({ censored: 0, horizon_passed_unworked: 1 });
    // A longer horizon has not passed yet: the same lead is censored again.
    expect((await exportPage("?horizonDays=120")).data.map((r) => r.leadId)).not.toContain(id);
  });

  it("labels a conversion that came after the horizon a negative", async () => {
    const id = await newLead();
    await backdate(id, 200);
    await outcome("late", id, "won", new Date(Date.now() - 10 * 86_400_000).toISOString());
    expect((await exportPage()).data.find((r) => r.leadId === id)).toMatchObject({ converted: 0, labelRule: "converted_after_horizon" });
  });

  it("refuses a horizon outside 1-3650 days with a 4xx", async () => {
    const res = await call("/v1/exports/training?horizonDays=0", { headers: admin });
    expect(res.status).toBe(422);
  });
});
