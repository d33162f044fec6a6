import { calibrate } from "./calibration.ts";
import { computeFeatures, featureColumns } from "./features.ts";
import type { Manifest } from "./manifest.ts";

/** What validation needs to know of a loaded ONNX graph (an ORT session has all of it). */
export type GraphInfo = {
  inputNames: readonly string[];
  outputNames: readonly string[];
  inputMetadata: readonly ({ name: string; isTensor: false } | { name: string; isTensor: true; type: string; shape: ReadonlyArray<number | string> })[];
  outputMetadata: readonly ({ name: string; isTensor: false } | { name: string; isTensor: true; type: string; shape: ReadonlyArray<number | string> })[];
};

/** Golden probabilities must be reproduced this closely (float32 inference against a float64 reference). */
export const GOLDEN_TOLERANCE = 1e-5;

export const ZIPMAP_HINT =
  "its output is a ZipMap (a sequence of maps), which onnxruntime-web cannot read: export without ZipMap " +
  "(skl2onnx: options={id(model): {'zipmap': False}}) or run `npm run model:upload` to rewrite it";

/**
 * Checks a model against its manifest: input and output names, types and width, the feature spec's width,
 * and every golden vector. Returns the problems found (empty when the model is fit to serve).
 */
export async function validateModel(
  manifest: Manifest,
  graph: GraphInfo,
  score: (rows: Float32Array, dim: number) => Promise<Float32Array>,
): Promise<string[]> {
  const problems: string[] = [];
  const { input, output } = manifest;
  const inMeta = graph.inputMetadata.find((m) => m.name === input.name);
  if (!inMeta) problems.push(`the graph has no input "${input.name}" (it has: ${graph.inputNames.join(", ")})`);
  else if (!inMeta.isTensor || inMeta.type !== "float32") problems.push(`input "${input.name}" is not a float32 tensor`);
  else {
    const width = inMeta.shape.at(-1);
    if (typeof width === "number" && width !== input.dim) problems.push(`input "${input.name}" takes ${width} columns; the manifest says ${input.dim}`);
  }
  const outMeta = graph.outputMetadata.find((m) => m.name === output.name);
  if (!outMeta) problems.push(`the graph has no output "${output.name}" (it has: ${graph.outputNames.join(", ")})`);
  else if (!outMeta.isTensor) problems.push(`output "${output.name}": ${ZIPMAP_HINT}`);
  else if (outMeta.type !== "float32") problems.push(`output "${output.name}" is ${outMeta.type}, not float32`);

  const columns = featureColumns(manifest.features).length;
  if (columns !== input.dim) problems.push(`the feature spec yields ${columns} columns; the model takes ${input.dim}`);
  if (manifest.golden.length === 0) problems.push("the manifest has no golden vectors to check the graph against");
  if (problems.length > 0) return problems;

  const rows = new Float32Array(manifest.golden.length * input.dim);
  manifest.golden.forEach((g, i) => rows.set(computeFeatures(manifest.features, g.payload), i * input.dim));
  let raw: Float32Array;
  try {
    raw = await score(rows, input.dim);
  } catch (err) {
    return [`running the golden vectors failed: ${String(err)}`];
  }
  manifest.golden.forEach((g, i) => {
    const p = calibrate(raw[i]!, output.kind, manifest.calibration);
    if (!(Math.abs(p - g.probability) <= GOLDEN_TOLERANCE)) {
      problems.push(`golden vector ${i}: the graph gives ${p}, the manifest expects ${g.probability}`);
    }
  });
  return problems.slice(0, 10);
}
