import { describe, expect, it } from "vitest";
import { calibrate } from "../../src/scoring/calibration.ts";
import { computeFeatures } from "../../src/scoring/features.ts";
import { ManifestSchema, type FeatureSpec } from "../../src/scoring/manifest.ts";
import { createSession, runWorkerBatch } from "../../src/scoring/ort.ts";
import { mulberry32 } from "../../src/training/rng.ts";
import { stratifiedSplit } from "../../src/training/split.ts";
import { trainModel } from "../../src/training/train.ts";

const SPEC: FeatureSpec[] = [
  { name: "age", source: "age", type: "number", transform: "none", default: 40 },
  { name: "plan", source: "plan", type: "category", transform: "none", default: "none" },
];

/** Rows like a parsed CSV: conversion rises with age and with the "pro" plan. */
function rows(n: number, seed: number) {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const age = 18 + Math.floor(rand() * 60);
    const plan = ["free", "basic", "pro"][Math.floor(rand() * 3)]!;
    const z = -3 + 0.05 * (age - 18) + (plan === "pro" ? 1.5 : 0);
    return { age, plan, output: rand() < 1 / (1 + Math.exp(-z)) ? "yes" : "no" };
  });
}

describe("stratified split", () => {
  it("keeps the class balance and is the same for the same seed", () => {
    const labels = Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const s = stratifiedSplit(labels, 0.2, 42);
    expect(s.test).toHaveLength(200);
    expect(s.test.filter((i) => labels[i] === 1)).toHaveLength(20);
    expect(new Set([...s.train, ...s.test]).size).toBe(1000);
    expect(stratifiedSplit(labels, 0.2, 42)).toEqual(s);
    expect(stratifiedSplit(labels, 0.2, 43).test).not.toEqual(s.test);
  });
});

describe("trainModel", () => {
  for (const algorithm of ["gbdt", "logistic_regression"] as const) {
    it(`packages a ${algorithm} whose graph runs in workerd as the golden vectors say`, async () => {
      const data = rows(3000, 1);
      const { manifest, onnxBytes, split } = await trainModel({
        rows: data, features: SPEC, label: "output", positive: "yes", algorithm,
        gbdt: { rounds: 40, maxDepth: 3 }, calibration: algorithm === "gbdt" ? "isotonic" : "platt",
        name: "test-model", version: "1.0.0", createdAt: "2026-01-01T00:00:00.000Z",
      });
      expect(ManifestSchema.parse(manifest)).toEqual(manifest);
      expect([...manifest.features[1]!.categories!].sort()).toEqual(["basic", "free", "pro"]);
      expect(manifest.input.dim).toBe(4);
      expect(manifest.explain?.weights).toHaveLength(4);
      expect(manifest.golden).toHaveLength(10);
      expect(manifest.golden[0]!.payload).not.toHaveProperty("output");
      expect((manifest.metrics as { auc: number }).auc).toBeGreaterThan(0.65);
      const all = [...split.fit, ...split.validation, ...split.calibration, ...split.holdout];
      expect(new Set(all).size).toBe(3000);

      const session = await createSession(onnxBytes);
      const dim = manifest.input.dim;
      const batch = new Float32Array(manifest.golden.length * dim);
      manifest.golden.forEach((g, i) => batch.set(computeFeatures(manifest.features, g.payload), i * dim));
      const raw = await runWorkerBatch(session, manifest.input.name, manifest.output.name, batch, dim);
      manifest.golden.forEach((g, i) => {
        expect(Math.abs(calibrate(raw[i]!, "logit", manifest.calibration) - g.probability)).toBeLessThan(1e-5);
      });
    });
  }

  it("keeps only the values the spec reads in golden vectors, never the raw row", async () => {
    const data = rows(1500, 2).map((r, i) => ({ ...r, email: `person${i}@corp${i % 7}.example`, full_name: `Person ${i}`, phone: "+44 20 7946 0000" }));
    const features: FeatureSpec[] = [...SPEC, { name: "corporate", source: "email", type: "boolean", transform: "is_free_email", default: false }];
    const { manifest } = await trainModel({ rows: data, features, label: "output", algorithm: "logistic_regression", name: "t", version: "1", createdAt: "2026-01-01T00:00:00.000Z" });
    for (const g of manifest.golden) {
      expect(Object.keys(g.payload).sort()).toEqual(["age", "email", "plan"]);
      expect(g.payload.email).toMatch(/^x@corp\d\.example$/);
    }
    expect(JSON.stringify(manifest)).not.toMatch(/Person \d|person\d|\+44/);
  });

  it("with algorithm auto, fits both and keeps the one with the lower validation log loss, reporting both", async () => {
    const { manifest } = await trainModel({ rows: rows(2000, 3), features: SPEC, label: "output", positive: "yes", algorithm: "auto", gbdt: { rounds: 30, maxDepth: 3 }, name: "t", version: "1", createdAt: "2026-01-01T00:00:00.000Z" });
    const sel = manifest.training!.selection as { algorithm: string; candidates: Record<string, { validationLogLoss: number }> };
    const { gbdt, logistic_regression: lr } = sel.candidates;
    expect(gbdt!.validationLogLoss).toBeGreaterThan(0);
    expect(lr!.validationLogLoss).toBeGreaterThan(0);
    expect(sel.algorithm).toBe(gbdt!.validationLogLoss < lr!.validationLogLoss ? "gbdt" : "logistic_regression");
    expect(manifest.algorithm).toBe(sel.algorithm);
  });

  it("reads dotted column names as whole CSV columns, the way data:export writes signal features", async () => {
    const data = rows(1500, 4).map((r) => ({ ...r, "events.demo_request.count_7d": r.output === "yes" ? 1 : 0 }));
    const features: FeatureSpec[] = [...SPEC, { name: "demos", source: "events.demo_request.count_7d", type: "number", transform: "none", default: 0 }];
    const { manifest } = await trainModel({ rows: data, features, label: "output", algorithm: "logistic_regression", name: "t", version: "1", createdAt: "2026-01-01T00:00:00.000Z" });
    expect((manifest.metrics as { auc: number }).auc).toBeGreaterThan(0.99);
    expect(Object.keys(manifest.golden[0]!.payload)).toContain("events.demo_request.count_7d");
  });
});

