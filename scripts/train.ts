/**
 * `npm run model:train -- --data leads.csv --spec feature-spec.json --out dir [options]` trains a lead
 * model from a CSV (src/training/train.ts does the work), checks the ONNX graph with onnxruntime-web
 * (the Worker's runtime) against the TypeScript reference on every holdout row, and writes model.onnx,
 * manifest.json and report.md into --out. Progress and speed go to stderr.
 *
 * Options: --algorithm gbdt|logistic_regression (gbdt) --label output --positive yes --rounds 300
 * --depth 4 --lr 0.1 --min-leaf 20 --l2 (leaf L2 for gbdt: 1; weight L2 for LR: 1e-3) --max-bins 255
 * --patience 20 --calibration platt|isotonic|none (platt) --seed 42 --name --version
 * --split-out split.json (row indices of every split, for scripts/compare-sklearn.py).
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { FeatureSpecSchema, type Manifest } from "../src/scoring/manifest.ts";
import { parseCsv } from "../src/training/csv.ts";
import { trainModel, type Algorithm, type TrainResult } from "../src/training/train.ts";
import { nodeRunBatch, nodeSession } from "./lib/node-ort.ts";

const PARITY_TOLERANCE = 1e-5;

const { values: a } = parseArgs({
  options: {
    data: { type: "string" }, spec: { type: "string" }, out: { type: "string" },
    algorithm: { type: "string", default: "gbdt" }, label: { type: "string", default: "output" },
    positive: { type: "string", default: "yes" }, rounds: { type: "string", default: "300" },
    depth: { type: "string", default: "4" }, lr: { type: "string", default: "0.1" },
    "min-leaf": { type: "string", default: "20" }, l2: { type: "string" }, "max-bins": { type: "string", default: "255" },
    patience: { type: "string", default: "20" }, calibration: { type: "string", default: "platt" },
    seed: { type: "string", default: "42" }, name: { type: "string", default: "lead-model" },
    version: { type: "string", default: "1.0.0" }, "split-out": { type: "string" },
  },
});

function fail(message: string): never {
  console.error(`model:train: ${message}`);
  process.exit(1);
}
const num = (key: keyof typeof a) => {
  const v = Number(a[key]);
  if (!Number.isFinite(v)) fail(`--${key} must be a number, got "${a[key]}"`);
  return v;
};
if (!a.data || !a.spec || !a.out) fail("usage: npm run model:train -- --data <csv> --spec <feature-spec.json> --out <dir> [options]");
const algorithm = a.algorithm as Algorithm;
if (algorithm !== "gbdt" && algorithm !== "logistic_regression") fail(`--algorithm must be gbdt or logistic_regression`);
const calibration = a.calibration as "platt" | "isotonic" | "none";
if (!["platt", "isotonic", "none"].includes(calibration)) fail(`--calibration must be platt, isotonic or none`);

const specParse = z.array(FeatureSpecSchema).min(1).safeParse(JSON.parse(readFileSync(a.spec, "utf8")));
if (!specParse.success) fail(`${a.spec}: ${specParse.error.message}`);
const features = specParse.data;
const csvText = readFileSync(a.data, "utf8");
const started = performance.now();
let parsed: ReturnType<typeof parseCsv>;
try {
  parsed = parseCsv(csvText, {
    labelColumn: a.label,
    numericColumns: [...new Set(features.filter((s) => s.type === "number").map((s) => s.source.split(".")[0]!))],
    requiredColumns: [...new Set(features.map((s) => s.source.split(".")[0]!))],
  });
} catch (err) {
  fail(`${a.data}: ${(err as Error).message}`);
}
const parseSeconds = (performance.now() - started) / 1000;

const rounds = num("rounds");
let lastDraw = 0;
const progress = (done: number, total: number, note: string) => {
  const now = performance.now();
  if (done < total && now - lastDraw < 100) return;
  lastDraw = now;
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} rounds ${note}   `);
};

const trainStart = performance.now();
const result: TrainResult = await trainModel({
  rows: parsed.rows,
  features,
  label: a.label!,
  positive: a.positive!,
  algorithm,
  gbdt: { rounds, maxDepth: num("depth"), learningRate: num("lr"), minLeafSize: num("min-leaf"), maxBins: num("max-bins"), patience: num("patience"), ...(a.l2 ? { l2: num("l2") } : {}) },
  ...(a.l2 ? { l2: num("l2") } : {}),
  calibration,
  seed: num("seed"),
  name: a.name!,
  version: a.version!,
  createdAt: process.env.SOURCE_DATE_EPOCH ? new Date(Number(process.env.SOURCE_DATE_EPOCH) * 1000).toISOString() : new Date().toISOString(),
  lineage: { data: basename(a.data), dataSha256: createHash("sha256").update(csvText).digest("hex"), spec: basename(a.spec), code: "scripts/train.ts" },
  onRound: (r) => progress(r.round, r.rounds, `valid log loss ${r.validLoss?.toFixed(4) ?? "-"}`),
}).catch((err: Error) => fail(err.message));
const trainSeconds = (performance.now() - trainStart) / 1000;
if (algorithm === "gbdt") process.stderr.write("\n");
const { manifest, holdout, model } = result;
const roundsRun = model.algorithm === "gbdt" ? ((manifest.training?.gbdt as { roundsRun: number }).roundsRun) : 1;
console.error(
  `model:train: ${parsed.rows.length} rows parsed in ${parseSeconds.toFixed(2)} s; trained in ${trainSeconds.toFixed(2)} s ` +
    `(${Math.round(parsed.rows.length / trainSeconds)} rows/s end to end; ${result.split.fit.length} fit rows × ${roundsRun} rounds = ` +
    `${Math.round((result.split.fit.length * roundsRun) / trainSeconds)} row-rounds/s)`,
);

// Parity: onnxruntime-web on every holdout row against the TypeScript reference margins.
const dim = manifest.input.dim;
const session = await nodeSession(result.onnxBytes);
const ortMargins = await nodeRunBatch(session, manifest.input.name, manifest.output.name, holdout.features, dim);
let worst = 0;
ortMargins.forEach((m, i) => (worst = Math.max(worst, Math.abs(m - holdout.margins[i]!))));
if (!(worst <= PARITY_TOLERANCE)) fail(`onnxruntime-web margins differ from the TypeScript reference by ${worst} (> ${PARITY_TOLERANCE})`);
console.error(`model:train: ONNX parity on ${holdout.margins.length} holdout rows: max |margin diff| ${worst.toExponential(2)}`);

mkdirSync(a.out, { recursive: true });
writeFileSync(`${a.out}/model.onnx`, result.onnxBytes);
writeFileSync(`${a.out}/manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
writeFileSync(`${a.out}/report.md`, report(manifest, { worst, trainSeconds, rows: parsed.rows.length, argv: process.argv.slice(2).join(" ") }));
if (a["split-out"]) writeFileSync(a["split-out"], `${JSON.stringify({ seed: num("seed"), rowBase: 0, ...result.split })}\n`);
const m = manifest.metrics as { auc: number; brier: number; ece: number; logLoss: number };
console.log(
  `model:train: wrote ${a.out} (${manifest.algorithm}, dim ${dim}, ${result.onnxBytes.length} bytes): holdout AUC ${m.auc.toFixed(4)}, ` +
    `log loss ${m.logLoss.toFixed(4)}, Brier ${m.brier.toFixed(4)}, ECE ${m.ece.toFixed(4)}`,
);

function report(manifest: Manifest, run: { worst: number; trainSeconds: number; rows: number; argv: string }): string {
  type Row = { bin: number; count: number; meanPredicted: number; observedRate: number };
  type Scores = { auc: number; logLoss: number; brier: number; ece: number };
  const m = manifest.metrics as Scores & { positiveRate: number; baseRateLogLoss: number; explainSurrogateR2?: number; calibrationTable: Row[]; uncalibrated: Scores };
  const t = manifest.training as Record<string, unknown>;
  const f4 = (x: number) => x.toFixed(4);
  const cal = manifest.calibration;
  return [
    `# ${manifest.name} ${manifest.version} (${manifest.algorithm})`,
    "",
    `Trained by \`npm run model:train -- ${run.argv}\` on ${run.rows} rows of ${t.data} in ${run.trainSeconds.toFixed(1)} s.`,
    `Splits: ${t.split}. Fit ${t.fitRows}, early-stopping validation ${t.validationRows}, calibration ${t.calibrationRows}, holdout ${t.holdoutRows} rows.`,
    manifest.algorithm === "gbdt" ? `Trees kept: ${(t.gbdt as { bestRounds: number }).bestRounds} (best validation log loss).` : `L2: ${t.l2}.`,
    `Calibration: ${cal.method}${cal.method === "platt" ? ` (a = ${f4(cal.a)}, b = ${f4(cal.b)})` : cal.method === "isotonic" ? ` (${cal.x.length} knots)` : ""}, fitted on the calibration rows.`,
    "",
    "## Holdout metrics",
    "",
    "| | AUC | log loss | Brier | ECE (10 bins) |",
    "|---|---|---|---|---|",
    `| calibrated | ${f4(m.auc)} | ${f4(m.logLoss)} | ${f4(m.brier)} | ${f4(m.ece)} |`,
    `| raw sigmoid(margin) | ${f4(m.uncalibrated.auc)} | ${f4(m.uncalibrated.logLoss)} | ${f4(m.uncalibrated.brier)} | ${f4(m.uncalibrated.ece)} |`,
    "",
    `Positive rate ${f4(m.positiveRate)}; base-rate log loss ${f4(m.baseRateLogLoss)}.` +
      (m.explainSurrogateR2 !== undefined ? ` Reason codes come from a logistic surrogate explaining R² = ${f4(m.explainSurrogateR2)} of the margin.` : ""),
    "",
    "## Calibration by decile of the predicted probability",
    "",
    "| decile | rows | mean predicted | observed rate |",
    "|---|---|---|---|",
    ...m.calibrationTable.map((r) => `| ${r.bin} | ${r.count} | ${f4(r.meanPredicted)} | ${f4(r.observedRate)} |`),
    "",
    "## ONNX parity",
    "",
    `onnxruntime-web (WASM, 1 thread) against the TypeScript reference on every holdout row: max |margin diff| ${run.worst.toExponential(2)} (tolerance ${PARITY_TOLERANCE}).`,
    "",
  ].join("\n");
}
