import { writeFileSync } from "node:fs";
import { featureColumns } from "../../src/scoring/features.ts";
import type { Manifest } from "../../src/scoring/manifest.ts";
import { GROUND_TRUTH, GENERATOR_VERSION } from "../../src/training/synthetic-leads.ts";

/**
 * Hand-picked golden payloads for the default model: the edge cases the Worker must score exactly like
 * the trainer (missing fields, loose types, unknown categories, out-of-range numbers). The build adds
 * ordinary holdout leads to make 20.
 */
export const EDGE_CASE_PAYLOADS: Record<string, unknown>[] = [
  { email: "cto@bigcorp.example", employees: 5000, industry: "software", country: "US", job_title: "CTO", source: "referral", pages_viewed: 25, demo_requested: true },
  { email: "kid@gmail.com", job_title: "Student", employees: 1, pages_viewed: 0, source: "organic", demo_requested: false },
  { email: "vp@midco.example", employees: "250", job_title: "VP Sales", pages_viewed: "3", industry: "Finance", country: "gb" },
  { email: "m@shop.example", job_title: "Marketing Manager", demo_requested: "true", country: "DE", source: "Paid_Search" },
  { email: "nobody@unknown.example" },
  {},
  { email: "x@hotmail.com", employees: 12, country: "Narnia", industry: "space mining", source: "carrier pigeon" },
  { email: "head@ops.example", employees: 1_000_000, pages_viewed: 500, job_title: "Head of Operations", source: "EVENT", country: "IN" },
  { employees: 40, job_title: "Engineer", source: "partner", country: "BR", industry: "retail" },
  { email: "", employees: null, country: null, job_title: null, demo_requested: null, pages_viewed: null },
  { email: "not-an-email", employees: -5, pages_viewed: "lots", demo_requested: "yes", job_title: "Chief Revenue Officer", industry: "EDUCATION" },
  { email: "ana@icloud.com", employees: " 75 ", job_title: "director of it", source: "outbound", country: "CA", industry: "healthcare", deal_value: 50_000 },
  // Signal aggregates, nested as live scoring reads them: one demo request this week, a busy reader, counts past the clips.
  { email: "ops@acme.example", employees: 80, job_title: "Operations Manager", source: "organic", events: { demo_request: { count_7d: 1 }, page_view: { count_30d: 12 } } },
  { email: "eve@gmail.com", events: { demo_request: { count_7d: 5 }, page_view: { count_30d: 4000 }, email_click: { count_30d: "7" } } },
];

const f4 = (x: number) => x.toFixed(4);
const f2 = (x: number) => (x >= 0 ? `+${x.toFixed(2)}` : `−${(-x).toFixed(2)}`);

/** Rows of "effect | ground truth | learned": the model's weights turned back into per-unit effects. */
function effectRows(manifest: Manifest): string[] {
  const cols = featureColumns(manifest.features);
  const w = (c: string) => manifest.explain!.weights[cols.indexOf(c)]!;
  const std = (name: string) => manifest.features.find((s) => s.name === name)?.scale?.std ?? 1;
  const g = GROUND_TRUTH;
  const rows: [string, number, number][] = [
    ["demo requested", g.demoRequested, w("demo_requested")],
    ["free-mail address", g.freeMail, w("free_email")],
    ["per unit of ln(1 + employees)", g.perLogEmployee, w("employees_log") / std("employees_log")],
    ["per unit of ln(1 + pages viewed)", g.perLogPageViewed, w("pages_viewed_log") / std("pages_viewed_log")],
  ];
  for (const band of ["c_level", "vp", "director", "manager", "unknown"]) rows.push([`seniority ${band} (vs individual)`, g.seniority[band]!, w(`seniority=${band}`)]);
  // Every training lead has a source and an industry, so only differences between them are identifiable.
  for (const s of Object.keys(g.source)) if (s !== "organic") rows.push([`source ${s} (vs organic)`, g.source[s]! - g.source.organic!, w(`source=${s}`) - w("source=organic")]);
  for (const i of Object.keys(g.industry)) if (i !== "other") rows.push([`industry ${i} (vs other)`, g.industry[i]! - g.industry.other!, w(`industry=${i}`) - w("industry=other")]);
  for (const c of Object.keys(g.country)) rows.push([`country ${c} (vs the rest)`, g.country[c]!, w(`country=${c.toLowerCase()}`)]);
  rows.push(
    ["per demo request in 7 days (events.demo_request.count_7d, at most 2)", g.signals.demoRequest7d, w("demo_requests_7d") / std("demo_requests_7d")],
    ["per unit of ln(1 + page views in 30 days) (events.page_view.count_30d)", g.signals.perLogPageViews30d, w("page_views_30d_log") / std("page_views_30d_log")],
    ["per email click in 30 days (events.email_click.count_30d, at most 3)", g.signals.emailClick30d, w("email_clicks_30d") / std("email_clicks_30d")],
  );
  return rows.map(([name, truth, learned]) => `| ${name} | ${f2(truth)} | ${f2(learned)} |`);
}

/** Writes report.md: how the model was made, its holdout numbers, and the learned vs true effects. */
export function writeReport(
  path: string,
  r: { manifest: Manifest; metrics: Record<string, number | string>; worst: number; checkedRows: number; trainRows: number; l2: number },
): void {
  const { manifest: m, metrics } = r;
  const n = (k: string) => f4(metrics[k] as number);
  const text = `# Default model report: ${m.name} ${m.version}

Made by \`npm run model:default\` (scripts/build-default-model.ts). L2-regularised logistic regression
(Newton's method, l2 = ${r.l2} per row, numeric columns standardised) on ${r.trainRows} synthetic leads
(${GENERATOR_VERSION}, seed ${String(m.training?.seed)}; ground truth in GROUND_TRUTH.md), evaluated on
${metrics.holdoutRows} held-out leads. Input: ${m.input.dim} float32 columns → \`${m.output.name}\` [N, 1].

**Calibration: none.** A logistic regression fitted on log loss is calibrated by construction; the
holdout ECE below confirms it, so a Platt step would only add a fitted parameter. (The manifest format
supports \`platt\` and \`isotonic\` for models that need them.)

| holdout metric | value |
|---|---|
| AUC | ${n("auc")} |
| AUC of the true probabilities (the ceiling) | ${n("trueProbabilityAuc")} |
| log loss | ${n("logLoss")} |
| log loss of the base rate (no model) | ${n("baseRateLogLoss")} |
| Brier | ${n("brier")} |
| ECE (10 bins) | ${n("ece")} |
| positive rate | ${n("positiveRate")} |
| share of leads with signal events before the decision | ${n("withSignalsShare")} |

Training positive rate: ${f4(m.training!.positiveRate as number)}.

## Learned effects against the ground truth (log-odds)

Weights of standardised columns are divided by the column's std to give per-unit effects. The
per-lead noise in the ground truth shrinks learned effects slightly toward zero.

| effect | ground truth | learned |
|---|---|---|
${effectRows(m).join("\n")}

## Checks

- onnxruntime-web (Node, wasm, 1 thread) reproduces the TypeScript reference on ${m.golden.length} golden
  payloads and all holdout rows (${r.checkedRows} rows): max |Δ probability| = ${r.worst.toExponential(2)}.
- sha256 of model.onnx: \`${m.sha256}\`.
- Reference histograms of every input column and of the score over the training rows are in
  manifest.json under \`reference\`, for drift (PSI) checks: decile edges for the score and numeric
  columns, two bins (0 | 1) for boolean and one-hot columns. Bin live values with the same edges.
`;
  writeFileSync(path, text);
}
