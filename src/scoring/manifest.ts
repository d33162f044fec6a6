import { z } from "zod";

/**
 * How one model input is computed from a lead payload. The trainer writes these into the manifest and
 * the Worker reads them back, so training and serving compute features with the same code
 * (`computeFeatures` in ./features.ts).
 */
export const FeatureSpecSchema = z.object({
  /** Column name (categorical features expand to `name=category` columns). */
  name: z.string().min(1),
  /**
   * Dot path into the lead payload, e.g. `employees` or `utm.source`, or a signal aggregate under `events.` or
   * `account.` (e.g. `events.demo_request.count_7d`, `account.arr`; see src/signals/aggregates.ts).
   */
  source: z.string().min(1),
  type: z.enum(["number", "boolean", "category"]),
  /** Applied to the raw value before scaling / one-hot encoding. */
  transform: z
    .enum(["none", "log1p", "lower", "email_domain", "is_free_email", "seniority"])
    .default("none"),
  /** For `category`: the known categories, in column order. Unknown values encode as all zeros. */
  categories: z.array(z.string()).optional(),
  /** Used when the payload lacks the value (missing, null, empty string, or not coercible). */
  default: z.union([z.number(), z.string(), z.boolean()]),
  /** Optional clipping of numbers, applied after the transform. */
  clip: z.tuple([z.number(), z.number()]).optional(),
  /** Optional standardisation of numbers, applied last: (x - mean) / std. */
  scale: z.object({ mean: z.number(), std: z.number().positive() }).optional(),
});
export type FeatureSpec = z.infer<typeof FeatureSpecSchema>;

export const CalibrationSchema = z.discriminatedUnion("method", [
  z.object({ method: z.literal("none") }),
  /** p = sigmoid(a * s + b), where s is the model's raw output (a logit, or a probability). */
  z.object({ method: z.literal("platt"), a: z.number(), b: z.number() }),
  /** Piecewise-linear map of the raw output through increasing knots (x[i], y[i]). */
  z.object({
    method: z.literal("isotonic"),
    x: z.array(z.number()).min(2),
    y: z.array(z.number()).min(2),
  }),
]);
export type Calibration = z.infer<typeof CalibrationSchema>;

const Histogram = z.object({ edges: z.array(z.number()), counts: z.array(z.number()) });

export const ManifestSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
  /** sha256 (hex) of model.onnx. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  algorithm: z.enum(["logistic_regression", "gbdt"]),
  createdAt: z.string(),
  /** The graph takes one float32 tensor [batch, dim]. */
  input: z.object({ name: z.string().min(1), dim: z.number().int().positive() }),
  /** The graph's output read as [batch, 1] (or [batch, 2], column 1 = positive class). */
  output: z.object({
    name: z.string().min(1),
    kind: z.enum(["logit", "probability"]),
    semantics: z.string().default("probability that the lead converts"),
  }),
  calibration: CalibrationSchema.default({ method: "none" }),
  features: z.array(FeatureSpecSchema).min(1),
  /** Linear explanation (per-column weights, bias) used for reason codes: exact for logistic regression. */
  explain: z.object({ weights: z.array(z.number()), bias: z.number() }).optional(),
  /** Inputs with the probability the trainer's TypeScript reference computed for them. */
  golden: z
    .array(z.object({ payload: z.record(z.string(), z.unknown()), probability: z.number() }))
    .default([]),
  training: z.record(z.string(), z.unknown()).optional(),
  metrics: z.record(z.string(), z.unknown()).optional(),
  /** Reference distributions for drift checks: per feature column and for the score. */
  reference: z
    .object({ features: z.record(z.string(), Histogram).default({}), score: Histogram.optional() })
    .optional(),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** A model row's stored manifest, checked. */
export function parseManifest(row: { manifest: unknown }): Manifest {
  return ManifestSchema.parse(row.manifest);
}
