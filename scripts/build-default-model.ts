/**
 * `npm run model:default`: rebuilds model-artifacts/default/ — a logistic regression trained on 20,000
 * synthetic leads drawn from the documented ground truth (GROUND_TRUTH.md), written as ONNX from
 * TypeScript — and checks it with onnxruntime-web. The same code and seed give the same bytes.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { sigmoid } from "../src/scoring/calibration.ts";
import { computeFeatures, featureColumns, featureValue } from "../src/scoring/features.ts";
import { ManifestSchema, type FeatureSpec, type Manifest } from "../src/scoring/manifest.ts";
import { trainLogistic } from "../src/training/logistic.ts";
import { auc, brier, ece, histogram, logLoss } from "../src/training/metrics.ts";
import { linearModelOnnx } from "../src/training/onnx-writer.ts";
import { shuffle, mulberry32 } from "../src/training/rng.ts";
import { COUNTRIES, generateLeads, GENERATOR_VERSION, INDUSTRIES, SOURCES } from "../src/training/synthetic-leads.ts";
import { DEFAULT_MODEL_DIR } from "./lib/default-model.ts";
import { nodeRunBatch, nodeSession } from "./lib/node-ort.ts";

const SEED = 42;
const ROWS = 20_000;
const L2 = 1e-3;
const CREATED_AT = "2026-11-25T00:00:00.000Z";

const leads = shuffle(generateLeads(ROWS, SEED), mulberry32(SEED + 1));
const cut = Math.floor(ROWS * 0.8);
const train = leads.slice(0, cut);
const holdout = leads.slice(cut);

const unscaled: FeatureSpec[] = [
  { name: "employees_log", source: "employees", type: "number", transform: "log1p", default: 10 },
  { name: "pages_viewed_log", source: "pages_viewed", type: "number", transform: "log1p", default: 0 },
  { name: "demo_requested", source: "demo_requested", type: "boolean", transform: "none", default: false },
  { name: "free_email", source: "email", type: "boolean", transform: "is_free_email", default: false },
  { name: "seniority", source: "job_title", type: "category", transform: "seniority", categories: ["c_level", "vp", "director", "manager", "individual"], default: "" },
  { name: "source", source: "source", type: "category", transform: "lower", categories: [...SOURCES], default: "" },
  { name: "industry", source: "industry", type: "category", transform: "lower", categories: [...INDUSTRIES], default: "" },
  { name: "country", source: "country", type: "category", transform: "none", categories: COUNTRIES.filter((c) => c !== "other"), default: "" },
];

// Standardise the numeric columns with training-set statistics, recorded in the spec itself.
const features: FeatureSpec[] = unscaled.map((spec) => {
  if (spec.type !== "number") return spec;
  const xs = train.map((l) => featureValue(spec, l.payload) as number);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) || 1;
  return { ...spec, scale: { mean: Math.fround(mean), std: Math.fround(std) } };
});

const X = train.map((l) => computeFeatures(features, l.payload));
const model = trainLogistic(X, train.map((l) => l.label), L2);
const weights = model.weights.map(Math.fround);
const bias = Math.fround(model.bias);
const columns = featureColumns(features);

/** The pure-TypeScript reference: float64 dot product over float32 features and weights. */
const reference = (payload: unknown) => {
  const x = computeFeatures(features, payload);
  return sigmoid(x.reduce((s, v, i) => s + v * weights[i]!, bias));
};

const hp = holdout.map((l) => reference(l.payload));
const hy = holdout.map((l) => l.label);
const metrics = {
  holdoutRows: holdout.length,
  auc: auc(hp, hy),
  logLoss: logLoss(hp, hy),
  brier: brier(hp, hy),
  ece: ece(hp, hy),
  trueProbabilityAuc: auc(holdout.map((l) => l.trueProbability), hy),
};

const edgeCases: Record<string, unknown>[] = [
  { email: "cto@bigcorp.example", employees: 5000, industry: "software", country: "US", job_title: "CTO", source: "referral", pages_viewed: 25, demo_requested: true },
  { email: "kid@gmail.com", job_title: "Student", employees: 1, pages_viewed: 0, source: "organic", demo_requested: false },
  { email: "vp@midco.example", employees: "250", job_title: "VP Sales", pages_viewed: "3", industry: "Finance" },
  { email: "m@shop.example", job_title: "Marketing Manager", demo_requested: "true", country: "DE" },
  { email: "nobody@unknown.example" },
  { email: "x@hotmail.com", employees: 12, country: "Narnia", industry: "space mining", source: "carrier pigeon" },
  { email: "head@ops.example", employees: 100000, pages_viewed: 500, job_title: "Head of Operations", source: "EVENT" },
  { employees: 40, job_title: "Engineer", source: "partner" },
];
const golden = [...edgeCases, ...holdout.slice(0, 12).map((l) => l.payload)].map((payload) => ({ payload, probability: reference(payload) }));

const onnx = linearModelOnnx(weights, bias);
const sha256 = createHash("sha256").update(onnx).digest("hex");
const holdoutX = holdout.map((l) => computeFeatures(features, l.payload));
const manifest: Manifest = ManifestSchema.parse({
  name: "lead-conversion",
  version: "1.0.0",
  sha256,
  algorithm: "logistic_regression",
  createdAt: CREATED_AT,
  input: { name: "features", dim: columns.length },
  output: { name: "logit", kind: "logit", semantics: "log-odds that the lead converts; sigmoid gives the calibrated probability" },
  calibration: { method: "none" },
  features,
  explain: { weights, bias },
  golden,
  training: {
    data: GENERATOR_VERSION,
    seed: SEED,
    rows: train.length,
    label: "converted",
    positiveRate: train.reduce((s, l) => s + l.label, 0) / train.length,
    l2: L2,
    trainedAt: CREATED_AT,
    code: "scripts/build-default-model.ts",
  },
  metrics,
  reference: {
    features: Object.fromEntries(columns.map((c, j) => [c, histogram(holdoutX.map((x) => x[j]!))])),
    score: histogram(hp),
  },
});

// Check the graph with the same runtime the Worker uses before writing anything.
const session = await nodeSession(onnx);
const rows = new Float32Array(golden.length * columns.length);
golden.forEach((g, i) => rows.set(computeFeatures(features, g.payload), i * columns.length));
const raw = await nodeRunBatch(session, "features", "logit", rows, columns.length);
const worst = Math.max(...golden.map((g, i) => Math.abs(sigmoid(raw[i]!) - g.probability)));
if (!(worst <= 1e-6)) throw new Error(`onnxruntime-web disagrees with the reference by ${worst}`);

mkdirSync(DEFAULT_MODEL_DIR, { recursive: true });
writeFileSync(`${DEFAULT_MODEL_DIR}/model.onnx`, onnx);
writeFileSync(`${DEFAULT_MODEL_DIR}/manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
const f = (x: number) => x.toFixed(4);
writeFileSync(
  `${DEFAULT_MODEL_DIR}/report.md`,
  `# Default model report (lead-conversion ${manifest.version})

Made by \`npm run model:default\` (scripts/build-default-model.ts): L2-regularised logistic regression
(Newton, l2 = ${L2}) on ${train.length} synthetic leads (${GENERATOR_VERSION}, seed ${SEED}; ground truth in
GROUND_TRUTH.md), evaluated on ${holdout.length} held-out leads. Logistic regression is calibrated by its
loss, so the manifest applies no extra calibration.

| holdout metric | value |
|---|---|
| AUC | ${f(metrics.auc)} |
| AUC of the true probabilities (ceiling) | ${f(metrics.trueProbabilityAuc)} |
| log loss | ${f(metrics.logLoss)} |
| Brier | ${f(metrics.brier)} |
| ECE (10 bins) | ${f(metrics.ece)} |

Training positive rate: ${f(manifest.training!.positiveRate as number)}. Input columns: ${columns.length}.
onnxruntime-web (Node) reproduces all ${golden.length} golden vectors to ${worst.toExponential(2)}.
sha256 of model.onnx: \`${sha256}\`.
`,
);
console.log(`wrote ${DEFAULT_MODEL_DIR}: dim ${columns.length}, AUC ${f(metrics.auc)}, Brier ${f(metrics.brier)}, ECE ${f(metrics.ece)}, ORT max diff ${worst.toExponential(2)}, sha256 ${sha256}`);
