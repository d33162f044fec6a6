import { describe, expect, it } from "vitest";
import { parseCsv } from "../../src/training/csv.ts";
import { inferSpec } from "../../src/training/infer-spec.ts";
import { syntheticCrmExport } from "../../src/training/synthetic-crm-export.ts";

const { header, rows } = parseCsv(syntheticCrmExport(1500, 7), { labelColumn: "converted" });
const spec = inferSpec(header, rows, "converted");
const reason = (column: string) => spec.excluded.find((e) => e.column === column)?.reason ?? "(kept)";

describe("model:spec inference on a CRM export", () => {
  it("keeps numbers, categories and yes/no columns, dotted signal columns included", () => {
    const kinds = Object.fromEntries(spec.features.map((f) => [f.source, `${f.type}/${f.transform}`]));
    expect(kinds).toEqual({
      company_size: "number/log1p",
      industry: "category/lower",
      lead_source: "category/none",
      has_budget: "boolean/none",
      "events.demo_request.count_7d": "number/none",
      "events.page_view.count_30d": "number/none",
    });
    expect(spec.features.find((f) => f.source === "industry")!.categories!.sort()).toEqual(["fintech", "manufacturing", "other", "public_sector", "retail", "saas"]);
  });

  it("leaves out personal data, ids, free text, dates and a leakage suspect, each with its reason", () => {
    expect(reason("email")).toMatch(/^personal data: email/);
    expect(reason("first_name")).toMatch(/^personal data/);
    expect(reason("last_name")).toMatch(/^personal data/);
    expect(reason("phone")).toMatch(/^personal data/);
    expect(reason("Lead ID")).toMatch(/^looks like an id/);
    expect(reason("notes")).toMatch(/^free text/);
    expect(reason("created_at")).toMatch(/^a date or time/);
    expect(reason("deal_stage")).toMatch(/^leakage suspect/);
  });

  it("reads 1.0 and 1 as one positive class", () => {
    expect(spec.positive).toBe("1");
  });

  it("sets count defaults to 0 and clips numbers to their 0.5-99.5 % quantiles", () => {
    const demos = spec.features.find((f) => f.source === "events.demo_request.count_7d")!;
    expect(demos.default).toBe(0);
    const size = spec.features.find((f) => f.source === "company_size")!;
    const logs = rows.map((r) => r.company_size).filter((v) => v !== "").map((v) => Math.log1p(Number(v))).sort((a, b) => a - b);
    expect(size.clip![0]).toBeGreaterThanOrEqual(logs[0]!);
    expect(size.clip![1]).toBeLessThanOrEqual(logs.at(-1)!);
    expect(size.clip![1]).toBeGreaterThan(logs[Math.floor(logs.length * 0.98)]!);
  });

  it("leaves out a numeric id: whole numbers, every row different", () => {
    const numbered = rows.map((r, i) => ({ ...r, row: 1000 + i * 3 }));
    expect(inferSpec([...header, "row"], numbered, "converted").excluded.find((e) => e.column === "row")?.reason).toMatch(/^looks like an id \(whole numbers/);
  });

  it("flags a column that predicts the label almost perfectly on its own", () => {
    const leaky = rows.map((r) => ({ ...r, score_x: r.converted === "0" || r.converted === "0.0" ? "low" : "high" }));
    expect(inferSpec([...header, "score_x"], leaky, "converted").excluded.find((e) => e.column === "score_x")?.reason).toMatch(/almost perfectly \(AUC 1\.000\)/);
  });
});
