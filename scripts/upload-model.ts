/**
 * `npm run model:upload -- <dir> [--dry-run] [--url <router>] [--token <admin token>] [--to shadow|active]`
 *
 * Validates the model in <dir> (model.onnx + manifest.json) in Node with the checks the Worker runs —
 * the manifest's schema, a family the router serves, sha256, onnxruntime-web loads the graph, inputs and
 * outputs match, the golden vectors reproduce — then uploads it through the admin API, where the Worker
 * validates it again and stores it as `staged`. `--dry-run` stops after the local checks (no router, no
 * token). `--to` then moves it on.
 */
import { failWith, parseCli } from "./lib/cli.ts";
import { prepareModel, uploadModel } from "./lib/model-upload.ts";
import { servedFamily } from "./lib/model-family.ts";

const SCRIPT = "model:upload";
const HELP = `
Usage: npm run model:upload -- <dir> --dry-run
       npm run model:upload -- <dir> --url <router> --token <admin token> [--to shadow|active] [--reason "..."]

<dir> holds model.onnx and manifest.json (as npm run model:train writes them). Both forms first validate
the model in Node, offline, with the Worker's own checks: the manifest's schema, the sha256,
onnxruntime-web loading the graph, input and output names and widths, and every golden vector
reproducing. A scikit-learn ZipMap output is rewritten into a tensor first. The model's name is its
family: the default family is ${servedFamily()} (MODEL_NAME in wrangler.toml); any other name is said
offline and taken by the router only if a team names it as its model family.

  --dry-run             validate only: no router, no token, nothing uploaded
  --url <router>        the router (default http://127.0.0.1:8787, what npm start runs)
  --token <token>       an admin token (or set LEAD_ROUTER_ADMIN_TOKEN)
  --to <status>         after the upload, move the model to shadow or active
  --reason <text>       audit-log reason for the upload and the move
  --help                this text
`;

const { values, positionals } = parseCli(SCRIPT, HELP, {
  "dry-run": { type: "boolean", default: false },
  url: { type: "string", default: "http://127.0.0.1:8787" },
  token: { type: "string" },
  to: { type: "string" },
  reason: { type: "string", default: "uploaded with model:upload" },
}, true);

function fail(message: string): never {
  return failWith(SCRIPT, message);
}

// Options first, before any file is read.
const dir = positionals[0] ?? fail("name the model folder: npm run model:upload -- <dir> --dry-run (see --help)");
if (positionals.length > 1) fail(`one model folder at a time, got ${positionals.join(", ")}`);
const token = values.token ?? process.env.LEAD_ROUTER_ADMIN_TOKEN;
if (!values["dry-run"] && !token) fail("pass --token <admin token> (or set LEAD_ROUTER_ADMIN_TOKEN), or --dry-run to validate only");
if (values.to !== undefined && !["shadow", "active"].includes(values.to)) fail(`--to must be shadow or active, got "${values.to}"`);
if (values["dry-run"] && values.to) fail("--to has no effect with --dry-run: leave one out");
let url: URL;
try {
  url = new URL(values.url);
} catch {
  fail(`--url "${values.url}" is not a URL (e.g. http://127.0.0.1:8787)`);
}

try {
  const model = await prepareModel(dir, (line) => console.log(`${SCRIPT}: ${line}`));
  if (values["dry-run"]) process.exit(0);
  await uploadModel(url.toString(), token!, model, { to: values.to, reason: values.reason }, (line) => console.log(`${SCRIPT}: ${line}`));
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
