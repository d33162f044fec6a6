/**
 * `npm run setup -- --url <router> --token <admin token or bootstrap secret> <dir> [--dry-run]`
 *
 * Sets a router up from a folder of plain files (teams.csv, territories.csv, reps.csv, accounts.csv,
 * sites.csv, policy.json, policies/<team>.json; see the README's "Setup"), over the public admin API only.
 */
import { parseArgs } from "node:util";
import { formatProblem, runSetup, SetupError } from "./lib/setup/run.ts";

const HELP = `usage: npm run setup -- --url <router URL> --token <token> <folder> [--dry-run] [--model <dir>]

Sets up a lead router from a folder of files sales ops can export from a spreadsheet or CRM:
  teams.csv, territories.csv, reps.csv, accounts.csv, sites.csv (CSV with a header row), policy.json
  (the default routing policy) and policies/<team id>.json (a team's own policy)
Every file is optional; the README's "Setup" section lists their columns. scripts/setup/demo is an example.

All of the folder is checked first: every problem is listed with file, line and column, and nothing is
written if there is one. Then, through the router's admin API: teams, territories, reps, accounts, sites
and the routing policies are created or updated to match (rows already matching are left alone, columns a
file leaves out keep their values, nothing is deleted), the default model is uploaded and activated if
the router has none, and each team in teams.csv without a CRM token gets one, printed once.

  --url      the router, e.g. https://edge-lead-router-production.<you>.workers.dev
  --token    an admin token, or the router's BOOTSTRAP_TOKEN on a router with no admin token yet
             (then the first admin token is created and printed once); env LEAD_ROUTER_TOKEN
  --dry-run  print the plan, write nothing
  --model    the model folder uploaded when the router has none (default model-artifacts/default)`;

function fail(message: string): never {
  console.error(`setup: ${message}`);
  process.exit(1);
}

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      url: { type: "string" },
      token: { type: "string", default: process.env.LEAD_ROUTER_TOKEN },
      "dry-run": { type: "boolean", default: false },
      model: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
}
try {
  parsed = parse();
} catch (err) {
  fail(`${(err as Error).message} (see --help)`);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
if (!values.url) fail("pass --url <router URL> (see --help)");
if (!values.token) fail("pass --token <admin token or bootstrap secret> (see --help)");
if (positionals.length !== 1) fail("name exactly one setup folder (see --help)");
try {
  new URL(values.url);
} catch {
  fail(`--url ${values.url} is not a URL`);
}

try {
  const result = await runSetup({ url: values.url, token: values.token, dir: positionals[0]!, dryRun: values["dry-run"], modelDir: values.model, log: console.log });
  if (result.problems.length > 0) {
    for (const p of result.problems) console.error(formatProblem(p));
    fail(`${result.problems.length} problem(s) in ${positionals[0]}; nothing was changed`);
  }
} catch (err) {
  fail(err instanceof SetupError || err instanceof Error ? err.message : String(err));
}
