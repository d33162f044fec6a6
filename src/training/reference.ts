import { calibrate } from "../scoring/calibration.ts";
import { computeFeatures } from "../scoring/features.ts";
import type { Calibration, FeatureSpec } from "../scoring/manifest.ts";

/** What the reference needs of a manifest: the feature spec, the linear explanation, output kind and calibration. */
export type LinearManifest = {
  features: readonly FeatureSpec[];
  explain: { weights: readonly number[]; bias: number };
  output: { kind: "logit" | "probability" };
  calibration: Calibration;
};

/**
 * The raw output (logit) of a linear model, computed without ONNX: bias + Σ x[j] w[j] in float64, in
 * column order, over the float32 features `computeFeatures` gives and the float32 weights of the
 * graph. The graph computes the same sum in float32, so the two agree to float32 rounding (~1e-7).
 */
export function referenceRaw(model: LinearManifest, payload: unknown): number {
  const x = computeFeatures(model.features, payload);
  const { weights, bias } = model.explain;
  if (weights.length !== x.length) throw new Error(`the spec yields ${x.length} columns; explain has ${weights.length} weights`);
  return x.reduce((s, v, i) => s + v * weights[i]!, bias);
}

/**
 * The probability the Worker should report for `payload`: the reference logit through the manifest's
 * calibration. The trainer writes it into the manifest's golden vectors; tests and the upload check
 * compare onnxruntime against it.
 */
export function referenceProbability(model: LinearManifest, payload: unknown): number {
  return calibrate(referenceRaw(model, payload), model.output.kind, model.calibration);
}
