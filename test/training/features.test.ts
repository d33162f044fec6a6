import { describe, expect, it } from "vitest";
import { computeFeatures, featureColumns, seniorityOf } from "../../src/scoring/features.ts";
import { ManifestSchema, type FeatureSpec } from "../../src/scoring/manifest.ts";
import { DEFAULT_FEATURES_UNSCALED, standardise } from "../../src/training/default-features.ts";
import { referenceProbability } from "../../src/training/reference.ts";

const SPEC: FeatureSpec[] = [
  { name: "employees_log", source: "employees", type: "number", transform: "log1p", default: 10, clip: [0, 5] },
  { name: "pages", source: "pages_viewed", type: "number", transform: "none", default: 0, scale: { mean: 2, std: 4 } },
  { name: "demo", source: "demo_requested", type: "boolean", transform: "none", default: false },
  { name: "free_email", source: "email", type: "boolean", transform: "is_free_email", default: false },
  { name: "seniority", source: "job_title", type: "category", transform: "seniority", categories: ["c_level", "vp", "unknown"], default: "" },
  { name: "country", source: "geo.country", type: "category", transform: "lower", categories: ["us", "de"], default: "" },
];
const at = (payload: unknown) => Array.from(computeFeatures(SPEC, payload));

describe("computeFeatures", () => {
  it("names one column per number or boolean and one per known category", () => {
    expect(featureColumns(SPEC)).toEqual([
      "employees_log", "pages", "demo", "free_email", "seniority=c_level", "seniority=vp", "seniority=unknown", "country=us", "country=de",
    ]);
  });

  it("uses the defaults for an empty payload", () => {
    expect(at({})).toEqual([Math.fround(Math.log1p(10)), -0.5, 0, 0, 0, 0, 1, 0, 0]);
  });

  it("treats null and blank strings as missing", () => {
    expect(at({ employees: null, pages_viewed: "  ", job_title: "" })).toEqual(at({}));
  });

  it("reads numeric and boolean strings", () => {
    const x = at({ employees: "20", pages_viewed: " 6 ", demo_requested: "true" });
    expect(x.slice(0, 3)).toEqual([Math.fround(Math.log1p(20)), 1, 1]);
    expect(at({ demo_requested: "no" })[2]).toBe(0);
  });

  it("falls back to the default for a value it cannot read", () => {
    expect(at({ employees: "lots" })[0]).toBe(at({})[0]);
  });

  it("spots free-mail domains, case-insensitively", () => {
    expect(at({ email: "someone@Gmail.com" })[3]).toBe(1);
    expect(at({ email: "someone@bigcorp.example" })[3]).toBe(0);
    expect(at({ email: "not-an-email" })[3]).toBe(0);
  });

  it("maps job titles to seniority bands", () => {
    expect(seniorityOf("CTO")).toBe("c_level");
    expect(seniorityOf("VP Sales")).toBe("vp");
    expect(seniorityOf("Director of IT")).toBe("director");
    expect(seniorityOf("Marketing Manager")).toBe("manager");
    expect(seniorityOf("Engineer")).toBe("individual");
    expect(seniorityOf("  ")).toBe("unknown");
    expect(at({ job_title: "Chief Revenue Officer" }).slice(4, 7)).toEqual([1, 0, 0]);
  });

  it("encodes an unknown category, or one left out of the list, as all zeros", () => {
    expect(at({ job_title: "Engineer" }).slice(4, 7)).toEqual([0, 0, 0]);
    expect(at({ geo: { country: "Narnia" } }).slice(7)).toEqual([0, 0]);
    expect(at({ geo: { country: " DE " } }).slice(7)).toEqual([0, 1]);
  });

  it("clips after the transform and scales last", () => {
    expect(at({ employees: 1_000_000 })[0]).toBe(5);
    expect(at({ employees: -50 })[0]).toBe(0);
    expect(at({ pages_viewed: 10 })[1]).toBe(2);
  });

  it("returns float32 values, as the ONNX graph sees them", () => {
    const x = computeFeatures(SPEC, { employees: 3 });
    expect(x).toBeInstanceOf(Float32Array);
    expect(x[0]).toBe(Math.fround(Math.log1p(3)));
  });
});

describe("the default model's feature spec", () => {
  const payloads = [{ employees: 10, pages_viewed: 0 }, { employees: 1000, pages_viewed: 20 }, {}];
  const spec = standardise(DEFAULT_FEATURES_UNSCALED, payloads);

  it("standardises only the numeric columns, with float32 statistics", () => {
    for (const s of spec) {
      if (s.type !== "number") expect(s.scale).toBeUndefined();
      else expect(Math.fround(s.scale!.mean)).toBe(s.scale!.mean);
    }
    const mean = (j: number) => payloads.reduce((a, p) => a + computeFeatures(spec, p)[j]!, 0) / payloads.length;
    expect(Math.abs(mean(0))).toBeLessThan(1e-6);
  });

  it("validates as a manifest and feeds the linear reference", () => {
    const dim = featureColumns(spec).length;
    const manifest = ManifestSchema.parse({
      name: "t", version: "1", sha256: "0".repeat(64), algorithm: "logistic_regression", createdAt: "2026-01-01T00:00:00Z",
      input: { name: "features", dim }, output: { name: "logit", kind: "logit" }, features: spec,
      explain: { weights: new Array(dim).fill(0), bias: 0 },
    });
    expect(referenceProbability({ ...manifest, explain: manifest.explain! }, { email: "a@gmail.com" })).toBe(0.5);
  });
});
