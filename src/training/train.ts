/**
 * Trains a lead model end to end, without I/O: split, fit (logistic regression or GBDT), calibrate on
 * rows the model never saw, measure on a holdout, and package the ONNX graph with a manifest that
 * passes ManifestSchema. scripts/train.ts is the CLI around it.
 *
 * Splits (stratified, seeded): holdout = `testShare` of all rows (metrics only); of the rest,
 * `calibrationShare` fits the calibration; `validationShare` of what is left picks the number of GBDT
 * trees (early stopping); the model fits on the remainder (logistic regression on validation rows too).
 *
 * Choices are made on rows the model never fitted, never on the holdout: the calibration (none, Platt or
 * isotonic) by cross-validated log loss on the calibration rows, and with `algorithm: "auto"` the
 * algorithm (GBDT or logistic regression) by that same validation log loss.
 */
import { calibrate, sigmoid } from "../scoring/calibration.ts";
import { computeFeatures, featureColumns, featureValue, specPayload } from "../scoring/features.ts";
import { ManifestSchema, type Calibration, type FeatureSpec, type Manifest } from "../scoring/manifest.ts";
import { CALIBRATION_METHODS, chooseCalibration, type CalibrationChoice, type CalibrationMethod } from "./calibration-choice.ts";
import { readLabels } from "./labels.ts";
import { standardise } from "./default-features.ts";
import { DEFAULT_GBDT_PARAMS, predictMargin, trainGbdt, type GbdtParams, type GbdtRound, type Matrix } from "./gbdt.ts";
import { trainLogistic, type LogisticModel } from "./logistic.ts";
import { auc, brier, calibrationTable, ece, histogram, logLoss, quantileHistogram } from "./metrics.ts";
import { linearModelOnnx, treeEnsembleOnnx } from "./onnx-writer.ts";
import { stratifiedSplit } from "./split.ts";
import type { Tree } from "./tree-ensemble.ts";

export type Algorithm = "logistic_regression" | "gbdt";

export type TrainInput = {
  rows: readonly Record<string, unknown>[];
  features: readonly FeatureSpec[];
  label: string;
  /**
   * The label value that counts as converted; numbers compare as numbers ("1.0" = 1). Optional when the two
   * values are an obvious pair (1/0, yes/no, true/false); see ./labels.ts.
   */
  positive?: string | number | boolean;
  /** `auto` fits both and keeps the lower validation log loss. */
  algorithm: Algorithm | "auto";
  gbdt?: Partial<GbdtParams>;
  /** L2 of the logistic regression (per row, as in ./logistic.ts). */
  l2?: number;
  /** `auto` (the default) picks by cross-validated log loss on the calibration rows. */
  calibration?: CalibrationMethod | "auto";
  seed?: number;
  testShare?: number;
  calibrationShare?: number;
  validationShare?: number;
  name: string;
  version: string;
  createdAt: string;
  goldenCount?: number;
  /** Extra lineage for manifest.training (data file, its hash, the command line). */
  lineage?: Record<string, unknown>;
  onRound?: (r: GbdtRound) => void;
};

export type TrainedModel =
  | { algorithm: "logistic_regression"; weights: number[]; bias: number }
  | { algorithm: "gbdt"; trees: Tree[]; baseScore: number; bestRounds: number };

export type TrainResult = {
  onnxBytes: Uint8Array;
  manifest: Manifest;
  model: TrainedModel;
  /** Row indices (into `rows`) of each split. */
  split: { fit: number[]; validation: number[]; calibration: number[]; holdout: number[] };
  holdout: { features: Float32Array; margins: Float64Array; probabilities: Float64Array; labels: Uint8Array };
};

/** Fills what a spec may leave out: categories (by training frequency) and numeric standardisation. */
export function completeSpec(specs: readonly FeatureSpec[], payloads: readonly unknown[]): FeatureSpec[] {
  const withCategories = specs.map((s) => {
    if (s.type !== "category" || s.categories) return s;
    const counts = new Map<string, number>();
    for (const p of payloads) {
      const v = String(featureValue(s, p));
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    const categories = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([c]) => c);
    return { ...s, categories };
  });
  // Standardised inputs keep the L2 penalty fair across columns; trees do not care either way.
  const scaled = standardise(withCategories.filter((s) => !s.scale), payloads);
  return withCategories.map((s) => (s.scale ? s : scaled.shift()!));
}

const pick = <T>(all: readonly T[], idx: readonly number[]) => idx.map((i) => all[i]!);

function matrix(specs: readonly FeatureSpec[], payloads: readonly unknown[], dim: number): Matrix {
  const data = new Float32Array(payloads.length * dim);
  payloads.forEach((p, i) => data.set(computeFeatures(specs, p), i * dim));
  return { data, rows: payloads.length, cols: dim };
}
const rowOf = (m: Matrix, i: number) => m.data.subarray(i * m.cols, (i + 1) * m.cols);
const rowsOf = (m: Matrix) => Array.from({ length: m.rows }, (_, i) => rowOf(m, i));

/** Raw output of a trained model for one feature row: the margin the ONNX graph computes. */
export function modelMargin(model: TrainedModel, x: ArrayLike<number>): number {
  if (model.algorithm === "gbdt") return predictMargin(model.trees, model.baseScore, x);
  let z = model.bias;
  for (let j = 0; j < model.weights.length; j++) z += model.weights[j]! * x[j]!;
  return z;
}

/** Splits `idx` (stratified on labels) into [kept, carved-out share]. */
function carve(idx: number[], labels: Uint8Array, share: number, seed: number): [number[], number[]] {
  const s = stratifiedSplit(idx.map((i) => labels[i]!), share, seed);
  return [pick(idx, s.train), pick(idx, s.test)];
}

type Candidate = {
  model: TrainedModel;
  explain: { weights: number[]; bias: number };
  training: Record<string, unknown>;
  calibration: Calibration;
  calibrationScores: CalibrationChoice["scores"];
  /** Log loss on the calibration rows, out of fold, with the chosen calibration: the model's validation score. */
  validationLogLoss: number;
};

/** Fits one algorithm and picks its calibration on the calibration rows. */
function fitCandidate(
  algorithm: Algorithm,
  input: TrainInput,
  data: { fitX: Matrix; fitY: Uint8Array; validX: Matrix; validY: Uint8Array; calibX: Matrix; calibY: Uint8Array },
  seed: number,
): Candidate {
  let model: TrainedModel;
  let explain: { weights: number[]; bias: number };
  const training: Record<string, unknown> = {};
  if (algorithm === "gbdt") {
    const gb = trainGbdt(data.fitX, data.fitY, input.gbdt, { x: data.validX, labels: data.validY }, input.onRound);
    model = { algorithm: "gbdt", trees: gb.trees, baseScore: gb.baseScore, bestRounds: gb.bestRounds };
    training.gbdt = { ...DEFAULT_GBDT_PARAMS, ...input.gbdt, bestRounds: gb.bestRounds, roundsRun: gb.trainLoss.length, bestValidLogLoss: gb.validLoss[gb.bestRounds - 1] };
    // Reason codes need a linear explanation: a logistic surrogate fitted to the GBDT's own
    // probabilities (soft labels), so it explains the model rather than the data.
    const soft = Float64Array.from({ length: data.fitX.rows }, (_, i) => sigmoid(modelMargin(model, rowOf(data.fitX, i))));
    const s = trainLogistic(rowsOf(data.fitX), soft, { l2: 1e-3 });
    explain = { weights: s.weights.map(Math.fround), bias: Math.fround(s.bias) };
  } else {
    // No early stopping to feed: the logistic regression fits on the validation rows too.
    const rows = [...rowsOf(data.fitX), ...rowsOf(data.validX)];
    const lr: LogisticModel = trainLogistic(rows, Uint8Array.from([...data.fitY, ...data.validY]), { l2: input.l2 ?? 1e-3 });
    explain = { weights: lr.weights.map(Math.fround), bias: Math.fround(lr.bias) };
    model = { algorithm: "logistic_regression", ...explain };
    training.l2 = input.l2 ?? 1e-3;
  }
  const calibMargins = Float64Array.from({ length: data.calibX.rows }, (_, i) => modelMargin(model, rowOf(data.calibX, i)));
  const wanted = input.calibration ?? "auto";
  const choice = chooseCalibration(calibMargins, data.calibY, { methods: wanted === "auto" ? CALIBRATION_METHODS : [wanted], seed: seed + 3 });
  return { model, explain, training, calibration: choice.calibration, calibrationScores: choice.scores, validationLogLoss: choice.scores[choice.calibration.method]! };
}

/** Trains, calibrates and packages a model; see the module comment for the splits and the choices. */
export async function trainModel(input: TrainInput): Promise<TrainResult> {
  const seed = input.seed ?? 42;
  const { rows, label } = input;
  const labelInfo = readLabels(rows, label, input.positive);
  const { labels } = labelInfo;
  const outer = stratifiedSplit(labels, input.testShare ?? 0.2, seed);
  const holdoutIdx = outer.test;
  let [fitIdx, calibIdx] = carve(outer.train, labels, input.calibrationShare ?? 0.2, seed + 1);
  let validIdx: number[];
  [fitIdx, validIdx] = carve(fitIdx, labels, input.validationShare ?? 0.1, seed + 2);

  const splits = { fit: fitIdx, validation: validIdx, calibration: calibIdx, holdout: holdoutIdx };
  for (const [name, idx] of Object.entries(splits)) {
    const pos = idx.reduce((s, i) => s + labels[i]!, 0);
    if (pos === 0 || pos === idx.length) {
      throw new Error(`too few rows (${rows.length}, ${labelInfo.labels.reduce((s, v) => s + v, 0)} positive) to split: the ${name} split needs both classes, it has ${pos} positive of ${idx.length} (add rows)`);
    }
  }

  const payloads = rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== label)));
  const trainIdx = [...fitIdx, ...validIdx].sort((a, b) => a - b);
  const features = completeSpec(input.features, pick(payloads, trainIdx));
  const columns = featureColumns(features);
  const dim = columns.length;
  const X = (idx: number[]) => matrix(features, pick(payloads, idx), dim);
  const Y = (idx: number[]) => Uint8Array.from(idx, (i) => labels[i]!);
  const data = { fitX: X(fitIdx), fitY: Y(fitIdx), validX: X(validIdx), validY: Y(validIdx), calibX: X(calibIdx), calibY: Y(calibIdx) };

  const algorithms: Algorithm[] = input.algorithm === "auto" ? ["gbdt", "logistic_regression"] : [input.algorithm];
  const candidates = new Map(algorithms.map((a) => [a, fitCandidate(a, input, data, seed)] as const));
  let chosen = algorithms[0]!;
  for (const a of algorithms) if (candidates.get(a)!.validationLogLoss < candidates.get(chosen)!.validationLogLoss) chosen = a;
  const { model, explain, training, calibration } = candidates.get(chosen)!;
  const fittedRows = model.algorithm === "gbdt" ? fitIdx.length : trainIdx.length;
  const fitY = model.algorithm === "gbdt" ? data.fitY : Y(trainIdx);

  const margins = (m: Matrix) => Float64Array.from({ length: m.rows }, (_, i) => modelMargin(model, rowOf(m, i)));
  const holdX = X(holdoutIdx);
  const holdY = Y(holdoutIdx);
  const holdM = margins(holdX);
  const holdP = holdM.map((m) => calibrate(m, "logit", calibration));
  const rawP = holdM.map(sigmoid);
  const rate = (y: Uint8Array) => y.reduce((s, v) => s + v, 0) / (y.length || 1);
  const surrogate = model.algorithm === "gbdt" ? fidelity(holdX, holdM, explain) : undefined;
  const metrics = {
    split: "holdout",
    holdoutRows: holdoutIdx.length,
    positiveRate: rate(holdY),
    auc: auc(holdP, holdY),
    logLoss: logLoss(holdP, holdY),
    brier: brier(holdP, holdY),
    ece: ece(holdP, holdY),
    calibrationTable: calibrationTable(holdP, holdY),
    uncalibrated: { auc: auc(rawP, holdY), logLoss: logLoss(rawP, holdY), brier: brier(rawP, holdY), ece: ece(rawP, holdY) },
    uncalibratedTable: calibrationTable(rawP, holdY),
    baseRateLogLoss: logLoss(Array.from(holdY, () => rate(fitY)), holdY),
    ...(surrogate !== undefined ? { explainSurrogateR2: surrogate } : {}),
  };
  const selection = {
    algorithm: chosen,
    by: input.algorithm === "auto" ? "lowest validation log loss (calibration rows, out of fold, each with its chosen calibration)" : "given (--algorithm)",
    candidates: Object.fromEntries([...candidates].map(([a, c]) => [a, { validationLogLoss: c.validationLogLoss, calibration: c.calibration.method, calibrationLogLoss: c.calibrationScores }])),
    calibration: calibration.method,
    calibrationBy: (input.calibration ?? "auto") === "auto" ? "lowest 5-fold cross-validated log loss on the calibration rows" : "given (--calibration)",
  };

  const onnxBytes =
    model.algorithm === "gbdt"
      ? treeEnsembleOnnx({ trees: model.trees, dim, baseValue: model.baseScore, metadata: { model: input.name, version: input.version } })
      : linearModelOnnx({ weights: model.weights, bias: model.bias, metadata: { model: input.name, version: input.version } });
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", onnxBytes));
  const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");

  // Golden vectors keep only what the spec reads: never a raw row (names, emails, unused columns).
  const goldenIdx = holdoutIdx.slice(0, input.goldenCount ?? 10);
  const golden = goldenIdx.map((i) => {
    const payload = specPayload(features, payloads[i]!);
    return { payload, probability: calibrate(modelMargin(model, computeFeatures(features, payload)), "logit", calibration) };
  });
  const manifest = ManifestSchema.parse({
    name: input.name,
    version: input.version,
    sha256,
    algorithm: chosen,
    createdAt: input.createdAt,
    input: { name: "features", dim },
    output: { name: "logit", kind: "logit", semantics: "log-odds that the lead converts, before calibration" },
    calibration,
    features,
    explain,
    golden,
    training: {
      ...input.lineage,
      label,
      positive: labelInfo.positive,
      negative: labelInfo.negative,
      labelSpellings: labelInfo.spellings,
      seed,
      rows: rows.length,
      fitRows: fittedRows,
      validationRows: model.algorithm === "gbdt" ? validIdx.length : 0,
      calibrationRows: calibIdx.length,
      holdoutRows: holdoutIdx.length,
      split: `stratified: holdout ${input.testShare ?? 0.2} (seed ${seed}); calibration ${input.calibrationShare ?? 0.2} of the rest (seed ${seed + 1}); ` +
        `early-stopping validation ${input.validationShare ?? 0.1} of the rest (seed ${seed + 2}; logistic regression fits on it too)`,
      positiveRate: rate(fitY),
      columns,
      selection,
      ...(model.algorithm === "gbdt" ? { explain: "logistic surrogate fitted to the GBDT's probabilities (approximate)" } : {}),
      referenceSample: "holdout rows",
      ...training,
    },
    metrics,
    reference: {
      features: Object.fromEntries(columns.map((c, j) => [c, histogram(Float64Array.from({ length: holdX.rows }, (_, i) => holdX.data[i * dim + j]!), 10)])),
      score: quantileHistogram(holdP, 10),
    },
  });
  return {
    onnxBytes,
    manifest,
    model,
    split: { fit: model.algorithm === "gbdt" ? fitIdx : trainIdx, validation: model.algorithm === "gbdt" ? validIdx : [], calibration: calibIdx, holdout: holdoutIdx },
    holdout: { features: holdX.data, margins: holdM, probabilities: holdP, labels: holdY },
  };
}

/** R² of the surrogate's margin against the model's on the holdout: how much of it the explanation covers. */
function fidelity(x: Matrix, target: Float64Array, s: { weights: number[]; bias: number }): number {
  let mean = 0;
  for (const t of target) mean += t / target.length;
  let ssRes = 0, ssTot = 0;
  for (let i = 0; i < x.rows; i++) {
    let z = s.bias;
    for (let j = 0; j < x.cols; j++) z += s.weights[j]! * x.data[i * x.cols + j]!;
    ssRes += (target[i]! - z) ** 2;
    ssTot += (target[i]! - mean) ** 2;
  }
  return 1 - ssRes / (ssTot || 1);
}
