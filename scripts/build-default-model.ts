/**
 * `npm run model:default` rebuilds model-artifacts/default/: a logistic regression trained on synthetic
 * leads drawn from the documented ground truth (GROUND_TRUTH.md), written as ONNX from TypeScript, and
 * checked with onnxruntime-web (the Worker's runtime) against the pure-TypeScript reference before
 * anything is written. Same code and seed → byte-identical model.onnx and manifest.json.
 *
 * `npm run model:default -- --check` builds in memory and fails if the committed files differ.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { computeFeatures, featureColumns, specPayload } from "../src/scoring/features.ts";
import { ManifestSchema, type Manifest } from "../src/scoring/manifest.ts";
import { DEFAULT_FEATURES_UNSCALED, standardise } from "../src/training/default-features.ts";
import { trainLogistic } from "../src/training/logistic.ts";
import { auc, brier, ece, histogramWithEdges, logLoss, quantileHistogram } from "../src/training/metrics.ts";
import { linearModelOnnx } from "../src/training/onnx-writer.ts";
import { referenceProbability } from "../src/training/reference.ts";
import { mulberry32, shuffle } from "../src/training/rng.ts";
import { generateLeads, GENERATOR_VERSION, type SyntheticLead } from "../src/training/synthetic-leads.ts";
import { parseCli } from "./lib/cli.ts";
import { DEFAULT_MODEL_DIR } from "./lib/default-model.ts";
import { nodeRunBatch, nodeSession } from "./lib/node-ort.ts";
import { EDGE_CASE_PAYLOADS, writeReport } from "./lib/default-model-report.ts";

const SEED = 42;
const ROWS = 20_000;
const HOLDOUT_SHARE = 0.2;
const L2 = 1e-3;
const TOLERANCE = 1e-6;
// A fixed timestamp keeps the manifest reproducible; SOURCE_DATE_EPOCH (seconds) overrides it.
const CREATED_AT = process.env.SOURCE_DATE_EPOCH
  ? new Date(Number(process.env.SOURCE_DATE_EPOCH) * 1000).toISOString()
  : "2026-11-25T00:00:00.000Z";
const { values: cli } = parseCli("model:default", `
Usage: npm run model:default [-- --check]

Rebuilds model-artifacts/default/ (model.onnx, manifest.json, report.md): a logistic regression on 20,000
synthetic leads with their engagement signals, drawn from the ground truth in GROUND_TRUTH.md, checked
with onnxruntime-web before anything is written. The same code gives the same bytes on every machine.

  --check    build in memory and fail if the committed files differ (nothing is written)
  --help     this text
`, { check: { type: "boolean", default: false } });
const checkOnly = cli.check;

// Deterministic split: shuffle with a seed derived from SEED, then cut.
const leads = shuffle(generateLeads(ROWS, SEED), mulberry32(SEED + 1));
const cut = Math.round(ROWS * (1 - HOLDOUT_SHARE));
const train = leads.slice(0, cut);
const holdout = leads.slice(cut);

// What live scoring computes features from: the form with the signal aggregates under `events`.
const inputOf = (l: SyntheticLead) => ({ ...l.payload, events: l.signals.events });
const features = standardise(DEFAULT_FEATURES_UNSCALED, train.map(inputOf));
const columns = featureColumns(features);
const trainX = train.map((l) => computeFeatures(features, inputOf(l)));
const fitted = trainLogistic(trainX, train.map((l) => l.label), { l2: L2 });
// The graph stores float32; the manifest's explanation carries exactly those numbers.
const weights = fitted.weights.map(Math.fround);
const bias = Math.fround(fitted.bias);
// Logistic regression fitted on log loss is calibrated by construction (holdout ECE in the report), so
// no extra calibration step: the graph's logit through a sigmoid is the probability.
const model = { features, explain: { weights, bias }, output: { name: "logit", kind: "logit" as const }, calibration: { method: "none" as const } };

const holdoutP = holdout.map((l) => referenceProbability(model, inputOf(l)));
const holdoutY = holdout.map((l) => l.label);
const rate = (ls: typeof leads) => ls.reduce((s, l) => s + l.label, 0) / ls.length;
const metrics = {
  split: "holdout",
  holdoutRows: holdout.length,
  auc: auc(holdoutP, holdoutY),
  logLoss: logLoss(holdoutP, holdoutY),
  brier: brier(holdoutP, holdoutY),
  ece: ece(holdoutP, holdoutY),
  positiveRate: rate(holdout),
  baseRateLogLoss: logLoss(holdoutY.map(() => rate(train)), holdoutY),
  trueProbabilityAuc: auc(holdout.map((l) => l.trueProbability), holdoutY),
  withSignalsShare: holdout.filter((l) => Object.keys(l.signals.events).length > 0).length / holdout.length,
};

// Golden vectors hold only what the spec reads (flat keys, email local parts replaced): no names, no companies.
const golden = [...EDGE_CASE_PAYLOADS, ...holdout.slice(0, 20 - EDGE_CASE_PAYLOADS.length).map(inputOf)].map((input) => {
  const payload = specPayload(features, input);
  return { payload, probability: referenceProbability(model, payload) };
});

const onnx = linearModelOnnx({ weights, bias, metadata: { model: "lead-conversion", version: "1.0.0", data: GENERATOR_VERSION } });
const sha256 = createHash("sha256").update(onnx).digest("hex");
/**
 * Drift reference of one column: two bins (0 | 1) for a 0/1 column, so a rare one-hot still shows its
 * share; decile edges otherwise, so PSI sees populated bins even where values are skewed. Drift checks
 * bin live values with these same edges.
 */
const referenceHistogram = (values: number[]) =>
  values.every((v) => v === 0 || v === 1) ? histogramWithEdges(values, [0, 0.5, 1]) : quantileHistogram(values, 10);
const trainScores = trainX.map((_, i) => referenceProbability(model, inputOf(train[i]!)));
const manifest: Manifest = ManifestSchema.parse({
  name: "lead-conversion",
  version: "1.0.0",
  sha256,
  algorithm: "logistic_regression",
  createdAt: CREATED_AT,
  input: { name: "features", dim: columns.length },
  output: { name: "logit", kind: "logit", semantics: "log-odds that the lead converts; sigmoid gives the probability" },
  calibration: { method: "none" },
  features,
  explain: { weights, bias },
  golden,
  training: {
    data: GENERATOR_VERSION,
    seed: SEED,
    rows: ROWS,
    trainRows: train.length,
    holdoutRows: holdout.length,
    split: `shuffle(mulberry32(${SEED + 1})), first ${cut} train, rest holdout`,
    label: "converted",
    positiveRate: rate(train),
    algorithm: "L2-regularised logistic regression, Newton's method",
    l2: L2,
    columns,
    referenceSample: "training rows",
    code: "scripts/build-default-model.ts",
  },
  metrics,
  reference: {
    features: Object.fromEntries(columns.map((c, j) => [c, referenceHistogram(trainX.map((x) => x[j]!))])),
    score: quantileHistogram(trainScores, 10),
  },
});
const manifestJson = `${JSON.stringify(manifest, null, 2)}\n`;

// Check the graph with the Worker's runtime before writing anything: every golden payload and every
// holdout row must match the reference to TOLERANCE in probability.
const session = await nodeSession(onnx);
const payloads = [...golden.map((g) => g.payload), ...holdout.map(inputOf)];
const rows = new Float32Array(payloads.length * columns.length);
payloads.forEach((p, i) => rows.set(computeFeatures(features, p), i * columns.length));
const raw = await nodeRunBatch(session, "features", "logit", rows, columns.length);
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
let worst = 0;
payloads.forEach((p, i) => (worst = Math.max(worst, Math.abs(sigmoid(raw[i]!) - referenceProbability(model, p)))));
golden.forEach((g, i) => (worst = Math.max(worst, Math.abs(sigmoid(raw[i]!) - g.probability))));
if (!(worst <= TOLERANCE)) {
  console.error(`model:default: onnxruntime-web disagrees with the TypeScript reference by ${worst} (> ${TOLERANCE})`);
  process.exit(1);
}

if (checkOnly) {
  const same = (file: string, bytes: Uint8Array | string) => {
    try {
      return Buffer.compare(readFileSync(`${DEFAULT_MODEL_DIR}/${file}`), Buffer.from(bytes)) === 0;
    } catch {
      return false;
    }
  };
  const stale = [["model.onnx", onnx], ["manifest.json", manifestJson]].filter(([f, b]) => !same(f as string, b!)).map(([f]) => f);
  if (stale.length > 0) {
    console.error(`model:default --check: ${stale.join(", ")} differ from a fresh build; run npm run model:default`);
    process.exit(1);
  }
  console.log(`model:default --check: ${DEFAULT_MODEL_DIR} is up to date (sha256 ${sha256})`);
} else {
  mkdirSync(DEFAULT_MODEL_DIR, { recursive: true });
  writeFileSync(`${DEFAULT_MODEL_DIR}/model.onnx`, onnx);
  writeFileSync(`${DEFAULT_MODEL_DIR}/manifest.json`, manifestJson);
  writeReport(`${DEFAULT_MODEL_DIR}/report.md`, { manifest, metrics, worst, checkedRows: payloads.length, trainRows: train.length, l2: L2 });
  console.log(
    `model:default: wrote ${DEFAULT_MODEL_DIR} (dim ${columns.length}, holdout AUC ${metrics.auc.toFixed(4)}, ` +
      `log loss ${metrics.logLoss.toFixed(4)}, Brier ${metrics.brier.toFixed(4)}, ORT max diff ${worst.toExponential(2)}, sha256 ${sha256})`,
  );
}
