/**
 * `npm run model:train -- --data leads.csv --spec spec.json --out dir [options]` trains a lead model from a
 * CSV (src/training/train.ts does the work), checks the ONNX graph with onnxruntime-web (the Worker's
 * runtime) against the TypeScript reference on every holdout row, and writes model.onnx, manifest.json and
 * report.md into --out. `--help` lists the options. Progress goes to stderr; errors are one line.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { ManifestSchema } from "../src/scoring/manifest.ts";
import { CsvError, parseCsv } from "../src/training/csv.ts";
import { readLabels } from "../src/training/labels.ts";
import { trainModel, type TrainResult } from "../src/training/train.ts";
import { failWith, numberOption, parseCli, readInput } from "./lib/cli.ts";
import { servedFamily } from "./lib/model-family.ts";
import { nodeRunBatch, nodeSession } from "./lib/node-ort.ts";
import { parseSpecFile } from "./lib/spec-file.ts";
import { trainReport } from "./lib/train-report.ts";

const SCRIPT = "model:train";
const PARITY_TOLERANCE = 1e-5;
const HELP = `
Usage: npm run model:train -- --data <csv> --spec <spec.json> --out <dir> [options]

Trains a lead-conversion model on a CSV (one row per lead, a header row, a label column) and writes
model.onnx, manifest.json and report.md into <dir>. Make a spec with npm run model:spec first.

Required:
  --data <csv>          training data
  --spec <json>         feature spec: a list of features, or what npm run model:spec printed
  --out <dir>           where to write the model
  --label <column>      the label column (taken from the spec file when model:spec wrote it)

Options:
  --positive <value>    the label value that means converted; not needed for 1/0, yes/no, true/false
  --algorithm <a>       auto (default: trains gbdt and logistic_regression, keeps the lower validation
                        log loss), gbdt or logistic_regression
  --calibration <c>     auto (default: none, platt or isotonic by cross-validated log loss on the
                        calibration rows), platt, isotonic or none
  --name <family>       model family (default: ${servedFamily()}, the MODEL_NAME the router serves)
  --version <v>         version label (default: the training time, e.g. 2026-12-02.1503)
  --seed <n>            split and fold seed (42)
  --rounds <n> --depth <n> --lr <x> --min-leaf <n> --max-bins <n> --patience <n>
                        GBDT: up to 300 rounds of depth 4, learning rate 0.1, 20 rows per leaf,
                        255 bins, early stopping after 20 rounds without a better validation loss
  --l2 <x>              L2 penalty (GBDT leaves: 1; logistic regression weights: 1e-3)
  --split-out <json>    also write the row indices of every split (for scripts/compare-sklearn.py)
  --help                this text
`;

const { values: a } = parseCli(SCRIPT, HELP, {
  data: { type: "string" }, spec: { type: "string" }, out: { type: "string" }, label: { type: "string" }, positive: { type: "string" },
  algorithm: { type: "string", default: "auto" }, calibration: { type: "string", default: "auto" },
  rounds: { type: "string" }, depth: { type: "string" }, lr: { type: "string" }, "min-leaf": { type: "string" }, l2: { type: "string" },
  "max-bins": { type: "string" }, patience: { type: "string" }, seed: { type: "string" }, name: { type: "string" }, version: { type: "string" },
  "split-out": { type: "string" },
});

function fail(message: string): never {
  return failWith(SCRIPT, message);
}

// Everything the user typed is checked before any file is read or any tree grown.
for (const flag of ["data", "spec", "out"] as const) if (!a[flag]) fail(`--${flag} is required (see --help)`);
const algorithm = a.algorithm as "auto" | "gbdt" | "logistic_regression";
if (!["auto", "gbdt", "logistic_regression"].includes(algorithm)) fail(`--algorithm must be auto, gbdt or logistic_regression, got "${a.algorithm}"`);
const calibration = a.calibration as "auto" | "platt" | "isotonic" | "none";
if (!["auto", "platt", "isotonic", "none"].includes(calibration)) fail(`--calibration must be auto, platt, isotonic or none, got "${a.calibration}"`);
const createdAt = process.env.SOURCE_DATE_EPOCH ? new Date(Number(process.env.SOURCE_DATE_EPOCH) * 1000).toISOString() : new Date().toISOString();
const name = a.name ?? servedFamily();
const version = a.version ?? `${createdAt.slice(0, 10)}.${createdAt.slice(11, 16).replace(":", "")}`;
const names = ManifestSchema.shape.name.safeParse(name);
if (!names.success) fail(`--name "${name}": use lower-case letters, digits and dashes, starting with a letter or digit (at most 63)`);
if (!ManifestSchema.shape.version.safeParse(version).success) fail(`--version "${version}": use letters, digits, ".", "_" and "-", starting with a letter or digit (at most 64)`);
if (name !== servedFamily()) console.error(`${SCRIPT}: note: --name ${name} is not ${servedFamily()}, the family this checkout's router serves; the router will refuse it unless it serves ${name}`);
const positiveInt = (n: number) => Number.isInteger(n) && n > 0;
const whole = "a whole number of at least 1";
const gbdt = {
  rounds: numberOption(SCRIPT, "rounds", a.rounds, 300, positiveInt, whole),
  maxDepth: numberOption(SCRIPT, "depth", a.depth, 4, positiveInt, whole),
  learningRate: numberOption(SCRIPT, "lr", a.lr, 0.1, (n) => n > 0 && n <= 1, "a number above 0 and at most 1"),
  minLeafSize: numberOption(SCRIPT, "min-leaf", a["min-leaf"], 20, positiveInt, whole),
  maxBins: numberOption(SCRIPT, "max-bins", a["max-bins"], 255, (n) => Number.isInteger(n) && n >= 2 && n <= 255, "a whole number from 2 to 255"),
  patience: numberOption(SCRIPT, "patience", a.patience, 20, positiveInt, whole),
};
const l2 = a.l2 === undefined ? undefined : numberOption(SCRIPT, "l2", a.l2, 0, (n) => n >= 0, "a number of at least 0");
const seed = numberOption(SCRIPT, "seed", a.seed, 42, Number.isInteger, "a whole number");

let spec: ReturnType<typeof parseSpecFile>;
try {
  spec = parseSpecFile(a.spec!, readInput(SCRIPT, a.spec!, "--spec"));
} catch (err) {
  fail((err as Error).message);
}
const label = a.label ?? spec.label ?? fail(`--label is required: name the column that says whether the lead converted (see --help)`);
const positive = a.positive ?? spec.positive;
const features = spec.features;
if (features.some((f) => f.source === label)) fail(`${a.spec}: feature "${features.find((f) => f.source === label)!.name}" reads the label column "${label}" (remove it from the spec)`);

const csvText = readInput(SCRIPT, a.data!, "--data");
// data:export leaves the horizon and its labelling counts beside the CSV: the report repeats them.
const labelling = existsSync(`${a.data}.labels.json`) ? (JSON.parse(readFileSync(`${a.data}.labels.json`, "utf8")) as { horizonDays: number; counts: Record<string, number> }) : undefined;
const started = performance.now();
let parsed: ReturnType<typeof parseCsv>;
try {
  // A spec's source is a column's whole name, dots included (`events.demo_request.count_7d`).
  parsed = parseCsv(csvText, {
    labelColumn: label,
    numericColumns: [...new Set(features.filter((s) => s.type === "number").map((s) => s.source))],
    requiredColumns: [...new Set(features.map((s) => s.source))],
  });
  readLabels(parsed.rows, label, positive);
} catch (err) {
  fail(`${a.data}: ${err instanceof CsvError || err instanceof Error ? err.message : String(err)}`);
}
const parseSeconds = (performance.now() - started) / 1000;

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
  label,
  ...(positive !== undefined ? { positive } : {}),
  algorithm,
  gbdt: { ...gbdt, ...(l2 !== undefined ? { l2 } : {}) },
  ...(l2 !== undefined ? { l2 } : {}),
  calibration,
  seed,
  name,
  version,
  createdAt,
  lineage: { data: basename(a.data!), dataSha256: createHash("sha256").update(csvText).digest("hex"), spec: basename(a.spec!), code: "scripts/train.ts", ...(labelling ? { labelling } : {}) },
  onRound: (r) => progress(r.round, r.rounds, `valid log loss ${r.validLoss?.toFixed(4) ?? "-"}`),
}).catch((err: Error) => fail(`${a.data}: ${err.message}`));
const trainSeconds = (performance.now() - trainStart) / 1000;
if (algorithm !== "logistic_regression") process.stderr.write("\n");
const { manifest, holdout } = result;
console.error(`${SCRIPT}: ${parsed.rows.length} rows parsed in ${parseSeconds.toFixed(2)} s; trained in ${trainSeconds.toFixed(2)} s (${Math.round(parsed.rows.length / trainSeconds)} rows/s end to end)`);

// Parity: onnxruntime-web on every holdout row against the TypeScript reference margins.
const dim = manifest.input.dim;
const session = await nodeSession(result.onnxBytes);
const ortMargins = await nodeRunBatch(session, manifest.input.name, manifest.output.name, holdout.features, dim);
let worst = 0;
ortMargins.forEach((m, i) => (worst = Math.max(worst, Math.abs(m - holdout.margins[i]!))));
if (!(worst <= PARITY_TOLERANCE)) failWith(SCRIPT, `onnxruntime-web margins differ from the TypeScript reference by ${worst} (> ${PARITY_TOLERANCE}); please report this as a bug`);
console.error(`${SCRIPT}: ONNX parity on ${holdout.margins.length} holdout rows: max |margin diff| ${worst.toExponential(2)}`);

try {
  mkdirSync(a.out!, { recursive: true });
  writeFileSync(`${a.out}/model.onnx`, result.onnxBytes);
  writeFileSync(`${a.out}/manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(`${a.out}/report.md`, trainReport(manifest, { worst, tolerance: PARITY_TOLERANCE, trainSeconds, rows: parsed.rows.length, argv: process.argv.slice(2).join(" ") }));
  if (a["split-out"]) writeFileSync(a["split-out"], `${JSON.stringify({ seed, rowBase: 0, ...result.split })}\n`);
} catch (err) {
  fail(`--out ${a.out}: cannot write (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
}
const m = manifest.metrics as { auc: number; brier: number; ece: number; logLoss: number };
const sel = manifest.training!.selection as { algorithm: string; calibration: string };
console.log(
  `${SCRIPT}: wrote ${a.out} (${name} ${version}: ${sel.algorithm}, calibration ${sel.calibration}, dim ${dim}, ${result.onnxBytes.length} bytes): holdout AUC ${m.auc.toFixed(4)}, ` +
    `log loss ${m.logLoss.toFixed(4)}, Brier ${m.brier.toFixed(4)}, ECE ${m.ece.toFixed(4)}. Next: npm run model:upload -- ${a.out} --dry-run`,
);
