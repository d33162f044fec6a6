/**
 * `npm run model:spec -- --data <csv> --label <column> [--positive <value>]` proposes a feature spec for
 * a CSV and prints it as JSON on stdout (src/training/infer-spec.ts decides); a summary of what was kept
 * and left out goes to stderr. Review it, then `npm run model:train -- --spec <file> ...`.
 */
import { CsvError, parseCsv } from "../src/training/csv.ts";
import { inferSpec } from "../src/training/infer-spec.ts";
import { failWith, numberOption, parseCli, readInput } from "./lib/cli.ts";

const SCRIPT = "model:spec";
const HELP = `
Usage: npm run model:spec -- --data <csv> --label <column> [--positive <value>] > spec.json

Reads a CSV of leads (a header row, one row per lead, a label column) and prints a proposed feature spec
as JSON on stdout, for you to review and pass to npm run model:train -- --spec spec.json.

It decides per column: number (with a default and a clip from the 0.5 % and 99.5 % quantiles, log1p when
long-tailed), yes/no, or category (values with enough rows; rarer ones encode as "other"). It leaves out,
with the reason under "excluded": personal data (emails, names, phone numbers, addresses), ids, free text,
dates, constant columns, and leakage suspects (named like an outcome, or separating the classes almost
perfectly on their own). Column names with dots (events.demo_request.count_7d) are read as they are.

  --data <csv>            the CSV
  --label <column>        the column that says whether the lead converted
  --positive <value>      the label value meaning converted; not needed for 1/0, yes/no, true/false
  --min-rows <n>          rows a category value needs to get its own column (default: 0.5 % of rows, at least 20)
  --help                  this text
`;

const { values: a } = parseCli(SCRIPT, HELP, {
  data: { type: "string" }, label: { type: "string" }, positive: { type: "string" }, "min-rows": { type: "string" },
});
if (!a.data) failWith(SCRIPT, "--data is required (see --help)");
if (!a.label) failWith(SCRIPT, "--label is required: name the column that says whether the lead converted (see --help)");
const minRows = a["min-rows"] === undefined ? undefined : numberOption(SCRIPT, "min-rows", a["min-rows"], 20, (n) => Number.isInteger(n) && n >= 1, "a whole number of at least 1");
const text = readInput(SCRIPT, a.data, "--data");
try {
  const { header, rows } = parseCsv(text, { labelColumn: a.label });
  const spec = inferSpec(header, rows, a.label, { ...(a.positive !== undefined ? { positive: a.positive } : {}), ...(minRows !== undefined ? { minCategoryRows: minRows } : {}) });
  console.log(JSON.stringify(spec, null, 2));
  console.error(`${SCRIPT}: ${rows.length} rows; label "${spec.label}" = "${spec.positive}" is converted; ${spec.features.length} features kept, ${spec.excluded.length} columns left out:`);
  for (const f of spec.features) console.error(`  + ${f.source}: ${f.type}${f.transform !== "none" ? ` (${f.transform})` : ""}${f.categories ? `, ${f.categories.length} categories` : ""}`);
  for (const e of spec.excluded) console.error(`  - ${e.column}: ${e.reason}`);
} catch (err) {
  failWith(SCRIPT, `${a.data}: ${err instanceof CsvError || err instanceof Error ? err.message : String(err)}`);
}
