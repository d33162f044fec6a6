import { describe, expect, it } from "vitest";
import { sigmoid } from "../../src/scoring/calibration.ts";
import { createSession, runWorkerBatch } from "../../src/scoring/ort.ts";
import { removeZipMap } from "../../src/training/onnx-rewrite.ts";
import { decodeModel, encodeModel, linearModelOnnx, reencodeModel } from "../../src/training/onnx-writer.ts";

const W = [0.5, -1.25];
const B = 0.25;

/** A graph shaped like skl2onnx's export of a binary LogisticRegression, ZipMap included. */
function sklearnLikeExport(): Uint8Array {
  const bytes = encodeModel({
    opsetImports: [{ domain: "", version: 17 }, { domain: "ai.onnx.ml", version: 1 }],
    inputs: [{ name: "float_input", dims: ["N", 2] }],
    outputs: [{ name: "output_label", dims: ["N"], elemType: "int64" }, { name: "output_probability", dims: ["N"] }],
    nodes: [
      {
        opType: "LinearClassifier", domain: "ai.onnx.ml", inputs: ["float_input"], outputs: ["label", "probability_tensor"],
        attributes: { classlabels_ints: { ints: [0, 1] }, coefficients: { floats: [...W.map((w) => -w), ...W] }, intercepts: { floats: [-B, B] }, multi_class: { int: 0 }, post_transform: "LOGISTIC" },
      },
      { opType: "Identity", inputs: ["label"], outputs: ["output_label"] },
      { opType: "ZipMap", domain: "ai.onnx.ml", inputs: ["probability_tensor"], outputs: ["output_probability"], attributes: { classlabels_int64s: { ints: [0, 1] } } },
    ],
  });
  // ZipMap's output is a sequence of maps, which ValueSpec cannot say: patch the decoded graph.
  const model = decodeModel(bytes);
  model.graph!.output![1]!.type = { sequenceType: { elemType: { mapType: { keyType: 7, valueType: { tensorType: { elemType: 1 } } } } } };
  return reencodeModel(model);
}

describe("removeZipMap", () => {
  it("leaves a graph without ZipMap alone", () => {
    const bytes = linearModelOnnx({ weights: [1], bias: 0 });
    expect(removeZipMap(bytes)).toEqual({ bytes, rewritten: [] });
  });

  it("turns ZipMap into Identity and types its output as a float tensor", () => {
    const { bytes, rewritten } = removeZipMap(sklearnLikeExport());
    expect(rewritten).toEqual(["output_probability"]);
    const graph = decodeModel(bytes).graph!;
    expect(graph.node!.map((n) => n.opType)).toEqual(["LinearClassifier", "Identity", "Identity"]);
    expect(graph.output![1]!.type).toEqual({ tensorType: { elemType: 1, shape: { dim: [{ dimParam: "N" }, { dimValue: 2 }] } } });
  });

  it("lets workerd's onnxruntime read the positive-class probability", async () => {
    const session = await createSession(removeZipMap(sklearnLikeExport()).bytes);
    const rows = Float32Array.from([1, 2, -3, 0.5, 0, 0]);
    const p = await runWorkerBatch(session, "float_input", "output_probability", rows, 2);
    for (let i = 0; i < 3; i++) expect(Math.abs(p[i]! - sigmoid(rows[i * 2]! * W[0]! + rows[i * 2 + 1]! * W[1]! + B))).toBeLessThan(1e-6);
  });
});
