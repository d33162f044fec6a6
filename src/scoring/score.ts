import { calibrate } from "./calibration.ts";
import { computeFeatures, featureColumns } from "./features.ts";
import type { Manifest } from "./manifest.ts";
import type { LoadedModel } from "./model-store.ts";
import { runWorkerBatch } from "./ort.ts";

/** One reason code: how much a feature column moved the lead's log-odds. */
export type Reason = { feature: string; value: number; contribution: number };

export type Score = {
  probability: number;
  raw: number;
  vector: number[];
  reasons: Reason[];
};

/**
 * Top contributions of a linear explanation (exact for logistic regression), strongest first.
 * Columns with a zero value (e.g. one-hot categories not taken) explain nothing and are skipped.
 */
export function reasonCodes(manifest: Manifest, vector: Float32Array, top = 3): Reason[] {
  const weights = manifest.explain?.weights;
  if (!weights || weights.length !== vector.length) return [];
  const columns = featureColumns(manifest.features);
  return columns
    .map((feature, i) => ({ feature, value: vector[i]!, contribution: weights[i]! * vector[i]! }))
    .filter((r) => r.contribution !== 0)
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || (a.feature < b.feature ? -1 : 1))
    .slice(0, top);
}

/** Scores payloads with a loaded model in one ORT run: features from the manifest, then calibration. */
export async function scorePayloads(model: LoadedModel, payloads: readonly unknown[]): Promise<Score[]> {
  const { manifest } = model;
  const dim = manifest.input.dim;
  const rows = new Float32Array(payloads.length * dim);
  const vectors = payloads.map((p, i) => {
    const v = computeFeatures(manifest.features, p);
    if (v.length !== dim) throw new Error(`feature spec yields ${v.length} columns; the model takes ${dim}`);
    rows.set(v, i * dim);
    return v;
  });
  const raw = await runWorkerBatch(model.session, manifest.input.name, manifest.output.name, rows, dim);
  return vectors.map((vector, i) => ({
    raw: raw[i]!,
    probability: calibrate(raw[i]!, manifest.output.kind, manifest.calibration),
    vector: Array.from(vector),
    reasons: reasonCodes(manifest, vector),
  }));
}
