/**
 * `npm run data:export -- --token <admin token> --out leads.csv [--horizon-days 90]`: every lead whose
 * label is known, as a CSV the trainer reads (`npm run model:spec -- --data leads.csv --label converted`):
 * its form fields, then its signal aggregates as of its decision as flat columns
 * (`events.demo_request.count_7d`, `account.arr`) that a feature spec names exactly as live scoring does,
 * then `converted` (1 = an opportunity or win within the horizon after the decision, 0 = the horizon passed
 * without one; leads whose horizon is still open are left out). Prints how many rows each rule produced.
 */
import { writeFileSync } from "node:fs";
import { trainingCsv, type ExportRow } from "../src/training/export-csv.ts";
import { DEFAULT_HORIZON_DAYS, LABEL_RULES, type LabelRule } from "../src/training/horizon-labels.ts";
import { failWith, numberOption, parseCli } from "./lib/cli.ts";

const SCRIPT = "data:export";
const HELP = `
Usage: npm run data:export -- --token <admin token> --out <csv> [--url <router>] [--horizon-days <n>]

Writes the router's leads as a training CSV: lead_id, received_at, the form fields, the signal aggregates
as of each lead's decision (events.<type>.count_7d, account.arr, ...) and the label column "converted".

Labels have a horizon: 1 if an opportunity or a win came within <n> days after the lead's decision, 0 once
those days have passed without one (whether or not anyone reported an outcome), and no row at all while
the horizon is still open (censored). The counts per rule are printed at the end.

  --token <token>         an admin token (or set LEAD_ROUTER_ADMIN_TOKEN)
  --out <csv>             where to write (default training-data.csv)
  --url <router>          the router (default http://127.0.0.1:8787)
  --horizon-days <n>      the horizon in days (default ${DEFAULT_HORIZON_DAYS})
  --help                  this text
`;

const { values } = parseCli(SCRIPT, HELP, {
  url: { type: "string", default: "http://127.0.0.1:8787" },
  token: { type: "string" },
  out: { type: "string", default: "training-data.csv" },
  "horizon-days": { type: "string" },
});
const token = values.token ?? process.env.LEAD_ROUTER_ADMIN_TOKEN ?? failWith(SCRIPT, "pass --token <admin token> (or set LEAD_ROUTER_ADMIN_TOKEN)");
const horizonDays = numberOption(SCRIPT, "horizon-days", values["horizon-days"], DEFAULT_HORIZON_DAYS, (n) => Number.isInteger(n) && n >= 1 && n <= 3650, "a whole number of days from 1 to 3650");

const rows: ExportRow[] = [];
const counts = Object.fromEntries(LABEL_RULES.map((r) => [r, 0])) as Record<LabelRule, number>;
let cursor = "0";
for (;;) {
  const url = `${values.url}/v1/exports/training?cursor=${cursor}&limit=1000&horizonDays=${horizonDays}`;
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } }).catch((err: Error) => failWith(SCRIPT, `cannot reach ${values.url} (${err.message}): is the router running (npm start)?`));
  if (!res.ok) failWith(SCRIPT, `the router refused the export (${res.status}): ${(await res.text()).slice(0, 300)}`);
  const page = (await res.json()) as { data: ExportRow[]; counts: Record<LabelRule, number>; nextCursor: string; hasMore: boolean };
  rows.push(...page.data);
  for (const r of LABEL_RULES) counts[r] += page.counts[r] ?? 0;
  cursor = page.nextCursor;
  if (!page.hasMore) break;
}

try {
  writeFileSync(values.out, trainingCsv(rows));
  // Beside the CSV, for model:train's report: the horizon and how many leads each labelling rule took.
  writeFileSync(`${values.out}.labels.json`, `${JSON.stringify({ horizonDays, counts }, null, 2)}\n`);
} catch (err) {
  failWith(SCRIPT, `--out ${values.out}: cannot write (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
}
console.log(`${SCRIPT}: wrote ${rows.length} rows (${rows.filter((r) => r.converted).length} converted) to ${values.out}; horizon ${horizonDays} days`);
console.log(`  1 converted in horizon: ${counts.converted_in_horizon}; 0 horizon passed, outcome reported: ${counts.horizon_passed}; ` +
  `0 horizon passed, nobody reported anything: ${counts.horizon_passed_unworked}; 0 converted after the horizon: ${counts.converted_after_horizon}; ` +
  `left out, horizon still open: ${counts.censored}`);
