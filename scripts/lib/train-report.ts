/** report.md of `npm run model:train`: how the model was made, what was chosen and why, how well it does. */
import type { Manifest } from "../../src/scoring/manifest.ts";

type Row = { bin: number; count: number; meanPredicted: number; observedRate: number };
type Scores = { auc: number; logLoss: number; brier: number; ece: number };
type Selection = {
  algorithm: string;
  by: string;
  calibration: string;
  calibrationBy: string;
  candidates: Record<string, { validationLogLoss: number; calibration: string; calibrationLogLoss: Record<string, number> }>;
};

const f4 = (x: number) => x.toFixed(4);

/** How data:export labelled the rows (its .labels.json beside the CSV). */
function labellingLine(l: { horizonDays: number; counts: Record<string, number> }): string {
  const c = l.counts;
  return `Labels with a ${l.horizonDays}-day horizon after each decision (data:export): 1 converted within it ${c.converted_in_horizon ?? 0}; ` +
    `0 horizon passed with an outcome reported ${c.horizon_passed ?? 0}, with nothing reported ${c.horizon_passed_unworked ?? 0}, converted only after it ${c.converted_after_horizon ?? 0}; ` +
    `left out while the horizon is open ${c.censored ?? 0}.`;
}

/** The report's text. */
export function trainReport(manifest: Manifest, run: { worst: number; tolerance: number; trainSeconds: number; rows: number; argv: string }): string {
  const m = manifest.metrics as Scores & { positiveRate: number; baseRateLogLoss: number; explainSurrogateR2?: number; calibrationTable: Row[]; uncalibratedTable: Row[]; uncalibrated: Scores };
  const t = manifest.training as Record<string, unknown> & { selection: Selection; labelSpellings: Record<string, number> };
  const cal = manifest.calibration;
  const sel = t.selection;
  const methods = ["none", "platt", "isotonic"];
  const spellings = Object.entries(t.labelSpellings).map(([v, n]) => `\`${v}\` ${n}`).join(", ");
  return [
    `# ${manifest.name} ${manifest.version} (${manifest.algorithm})`,
    "",
    `Trained by \`npm run model:train -- ${run.argv}\` on ${run.rows} rows of ${String(t.data)} in ${run.trainSeconds.toFixed(1)} s.`,
    `Label: \`${String(t.label)}\` = \`${String(t.positive)}\` is converted, \`${String(t.negative)}\` is not (values as written: ${spellings}).`,
    ...(t.labelling ? [labellingLine(t.labelling as { horizonDays: number; counts: Record<string, number> })] : []),
    `Splits: ${String(t.split)}. Fit ${String(t.fitRows)}, early-stopping validation ${String(t.validationRows)}, calibration ${String(t.calibrationRows)}, holdout ${String(t.holdoutRows)} rows.`,
    manifest.algorithm === "gbdt" ? `Trees kept: ${(t.gbdt as { bestRounds: number }).bestRounds} (best validation log loss).` : `L2: ${String(t.l2)}.`,
    "",
    "## Choices (made on the calibration rows, never on the holdout)",
    "",
    `Algorithm: **${sel.algorithm}**, ${sel.by}. Calibration: **${cal.method}**${cal.method === "platt" ? ` (a = ${f4(cal.a)}, b = ${f4(cal.b)})` : cal.method === "isotonic" ? ` (${cal.x.length} knots)` : ""}, ${sel.calibrationBy}.`,
    "",
    `| algorithm | validation log loss | ${methods.map((k) => `log loss with ${k}`).join(" | ")} | calibration kept |`,
    `|---|---|${methods.map(() => "---").join("|")}|---|`,
    ...Object.entries(sel.candidates).map(([alg, c]) => `| ${alg} | ${f4(c.validationLogLoss)} | ${methods.map((k) => (c.calibrationLogLoss[k] === undefined ? "–" : f4(c.calibrationLogLoss[k]))).join(" | ")} | ${c.calibration} |`),
    "",
    "## Holdout metrics",
    "",
    "| | AUC | log loss | Brier | ECE (10 bins) |",
    "|---|---|---|---|---|",
    `| calibrated (${cal.method}) | ${f4(m.auc)} | ${f4(m.logLoss)} | ${f4(m.brier)} | ${f4(m.ece)} |`,
    `| raw sigmoid(margin) | ${f4(m.uncalibrated.auc)} | ${f4(m.uncalibrated.logLoss)} | ${f4(m.uncalibrated.brier)} | ${f4(m.uncalibrated.ece)} |`,
    "",
    `Positive rate ${f4(m.positiveRate)}; base-rate log loss ${f4(m.baseRateLogLoss)}.` +
      (m.explainSurrogateR2 !== undefined ? ` Reason codes come from a logistic surrogate explaining R² = ${f4(m.explainSurrogateR2)} of the margin.` : ""),
    "",
    "## Reliability on the holdout, by decile of the predicted probability",
    "",
    "Before: sigmoid(margin), the model's raw output. After: through the chosen calibration. Each table cuts the holdout into its own deciles.",
    "",
    "| decile | rows | before: mean predicted | before: observed | after: mean predicted | after: observed |",
    "|---|---|---|---|---|---|",
    ...m.calibrationTable.map((r, i) => {
      const b = m.uncalibratedTable[i]!;
      return `| ${r.bin} | ${r.count} | ${f4(b.meanPredicted)} | ${f4(b.observedRate)} | ${f4(r.meanPredicted)} | ${f4(r.observedRate)} |`;
    }),
    "",
    "## ONNX parity",
    "",
    `onnxruntime-web (WASM, 1 thread) against the TypeScript reference on every holdout row: max |margin diff| ${run.worst.toExponential(2)} (tolerance ${run.tolerance}).`,
    "",
    "Golden vectors in manifest.json hold only the values the spec reads (email local parts replaced by `x` where only the domain is read).",
    "",
  ].join("\n");
}
