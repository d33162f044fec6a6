import { describe, expect, it } from "vitest";
import { createSession, runWorkerBatch } from "../../src/scoring/ort.ts";
import { decodeModel, encodeModel, linearModelOnnx, reencodeModel, treeEnsembleOnnx } from "../../src/training/onnx-writer.ts";
import { flattenTrees, predictTrees, type Tree } from "../../src/training/tree-ensemble.ts";

const text = (b: unknown) => new TextDecoder().decode(b as Uint8Array);
type Attr = { name: string; type: number; i?: number; floats?: number[]; ints?: number[]; strings?: Uint8Array[]; s?: Uint8Array };

/** A depth-2 tree and a stump: `x[f] <= t` goes left. */
const TREES: Tree[] = [
  { feature: 0, threshold: 1.5, left: { feature: 1, threshold: 3, left: { value: -0.5 }, right: { value: 0.25 } }, right: { value: 1 } },
  { feature: 2, threshold: 0, left: { value: 0.125 }, right: { value: -0.125 }, missingGoesLeft: true },
];

describe("ONNX writer", () => {
  it("writes a linear model that decodes as MatMul + Add with the float32 weights", () => {
    const weights = [0.1, -2, 3.3];
    const model = decodeModel(linearModelOnnx({ weights, bias: 0.7 }));
    expect(model.irVersion).toBe(8);
    expect(model.opsetImport).toEqual([{ domain: "", version: 17 }]);
    const g = model.graph!;
    expect(g.node!.map((n) => n.opType)).toEqual(["MatMul", "Add"]);
    expect(g.input!.map((v) => v.name)).toEqual(["features"]);
    expect(g.output!.map((v) => v.name)).toEqual(["logit"]);
    const coef = g.initializer!.find((t) => t.name === "coef")!;
    expect(coef.dims).toEqual([3, 1]);
    expect(coef.floatData).toEqual(weights.map(Math.fround));
    expect(g.initializer!.find((t) => t.name === "intercept")!.floatData).toEqual([Math.fround(0.7)]);
  });

  it("writes the same bytes every time, whatever the metadata's key order", () => {
    const a = linearModelOnnx({ weights: [1, 2], bias: 0, metadata: { a: "1", b: "2" } });
    const b = linearModelOnnx({ weights: [1, 2], bias: 0, metadata: { b: "2", a: "1" } });
    expect(b).toEqual(a);
    expect(decodeModel(a).metadataProps).toEqual([{ key: "a", value: "1" }, { key: "b", value: "2" }]);
  });

  it("round-trips through decode and re-encode byte for byte", () => {
    for (const bytes of [linearModelOnnx({ weights: [1, -1], bias: 2 }), treeEnsembleOnnx({ trees: TREES, dim: 3 })]) {
      expect(reencodeModel(decodeModel(bytes))).toEqual(bytes);
    }
  });

  it("types integer-valued numbers as the attribute kind asked for", () => {
    const bytes = encodeModel({
      opsetImports: [{ domain: "", version: 17 }],
      inputs: [{ name: "x", dims: ["N", 2] }],
      outputs: [{ name: "y", dims: ["N", 2] }],
      nodes: [{ opType: "Identity", inputs: ["x"], outputs: ["y"], attributes: { f: { floats: [3] }, i: { ints: [3] }, s: "BRANCH_LEQ" } }],
    });
    const attrs = decodeModel(bytes).graph!.node![0]!.attribute as Attr[];
    expect(attrs.map((a) => [a.name, a.type])).toEqual([["f", 6], ["i", 7], ["s", 3]]);
    expect(text(attrs[2]!.s)).toBe("BRANCH_LEQ");
  });

  it("lays trees out in pre-order with left = the true branch", () => {
    const f = flattenTrees(TREES, 3);
    expect(f.nodesTreeIds).toEqual([0, 0, 0, 0, 0, 1, 1, 1]);
    expect(f.nodesNodeIds).toEqual([0, 1, 2, 3, 4, 0, 1, 2]);
    expect(f.nodesModes).toEqual(["BRANCH_LEQ", "BRANCH_LEQ", "LEAF", "LEAF", "LEAF", "BRANCH_LEQ", "LEAF", "LEAF"]);
    expect(f.nodesTrueNodeIds.slice(0, 2)).toEqual([1, 2]);
    expect(f.nodesFalseNodeIds.slice(0, 2)).toEqual([4, 3]);
    expect(f.nodesMissingTracksTrue).toEqual([0, 0, 0, 0, 0, 1, 0, 0]);
    expect(f.targetWeights).toEqual([-0.5, 0.25, 1, 0.125, -0.125]);
  });

  it("refuses a split on a feature outside the input", () => {
    expect(() => flattenTrees([{ feature: 3, threshold: 0, left: { value: 0 }, right: { value: 1 } }], 3)).toThrow(/feature 3/);
  });

  it("writes a TreeEnsembleRegressor in the ai.onnx.ml domain", () => {
    const model = decodeModel(treeEnsembleOnnx({ trees: TREES, dim: 3, baseValue: -1 }));
    expect(model.opsetImport).toContainEqual({ domain: "ai.onnx.ml", version: 3 });
    const node = model.graph!.node![0]!;
    expect([node.opType, node.domain]).toEqual(["TreeEnsembleRegressor", "ai.onnx.ml"]);
    const attrs = node.attribute as Attr[];
    const get = (name: string) => attrs.find((a) => a.name === name)!;
    expect(get("nodes_modes").strings!.map(text)).toEqual(flattenTrees(TREES, 3).nodesModes);
    expect(get("nodes_values").type).toBe(6);
    expect(get("base_values").floats).toEqual([-1]);
    expect(text(get("aggregate_function").s)).toBe("SUM");
  });

  it("follows x <= threshold to the left, and NaN to the right unless told otherwise", () => {
    expect(predictTrees(TREES, [1.5, 3, 0])).toBe(-0.5 + 0.125);
    expect(predictTrees(TREES, [1.5, 3.01, 1])).toBe(0.25 - 0.125);
    expect(predictTrees(TREES, [Number.NaN, 0, Number.NaN])).toBe(1 + 0.125);
  });

  it("runs in workerd's onnxruntime exactly as the TypeScript references compute", async () => {
    const rows = Float32Array.from([1.5, 3, 0, 1.5, 3.01, 1, Number.NaN, 0, Number.NaN, -7, 100, 0.5]);
    const dim = 3;
    const trees = await createSession(treeEnsembleOnnx({ trees: TREES, dim, baseValue: -1 }));
    const treeOut = await runWorkerBatch(trees, "features", "logit", rows, dim);
    const linear = await createSession(linearModelOnnx({ weights: [0.5, -0.25, 2], bias: 0.125 }));
    const linearOut = await runWorkerBatch(linear, "features", "logit", rows.map((v) => (Number.isNaN(v) ? 0 : v)), dim);
    for (let i = 0; i < rows.length / dim; i++) {
      const x = rows.subarray(i * dim, (i + 1) * dim);
      expect(treeOut[i]).toBe(predictTrees(TREES, x, -1));
      const z = x.reduce((s, v, j) => s + (Number.isNaN(v) ? 0 : v) * [0.5, -0.25, 2][j]!, 0.125);
      expect(Math.abs(linearOut[i]! - z)).toBeLessThan(1e-5);
    }
  });
});
