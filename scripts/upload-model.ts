/**
 * `npm run model:upload -- <dir> [--dry-run] [--url <router>] [--token <admin token>] [--to shadow|active]`
 *
 * Validates the model in <dir> (model.onnx + manifest.json) in Node with the checks the Worker runs —
 * the manifest's schema, a family the router serves, sha256, onnxruntime-web loads the graph, inputs and
 * outputs match, the golden vectors reproduce — then uploads it through the admin API, where the Worker
 * validates it again and stores it as `staged`. `--dry-run` stops after the local checks (no router, no
 * token). `--to` then moves it on.
 */
import { existsSync, readFileSync } from "node:fs";
import { sha256Hex } from "../src/lib/hashing.ts";
import { ManifestSchema, type Manifest } from "../src/scoring/manifest.ts";
import { removeZipMap } from "../src/training/onnx-rewrite.ts";
import { validateModel } from "../src/scoring/validate-model.ts";
import { failWith, parseCli } from "./lib/cli.ts";
import { servedFamily } from "./lib/model-family.ts";
import { nodeRunBatch, nodeSession } from "./lib/node-ort.ts";

const SCRIPT = "model:upload";
const HELP = `
Usage: npm run model:upload -- <dir> --dry-run
       npm run model:upload -- <dir> --url <router> --token <admin token> [--to shadow|active] [--reason "..."]

<dir> holds model.onnx and manifest.json (as npm run model:train writes them). Both forms first validate
the model in Node, offline, with the Worker's own checks: the manifest's schema, a family the router
serves (${servedFamily()}, MODEL_NAME in wrangler.toml), the sha256, onnxruntime-web loading the graph,
input and output names and widths, and every golden vector reproducing. A scikit-learn ZipMap output is
rewritten into a tensor first.

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

for (const file of ["model.onnx", "manifest.json"]) if (!existsSync(`${dir}/${file}`)) fail(`${dir}/${file}: no such file (is ${dir} a folder model:train wrote?)`);
let manifest: Manifest;
{
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(`${dir}/manifest.json`, "utf8"));
  } catch (err) {
    fail(`${dir}/manifest.json: not valid JSON: ${(err as Error).message}`);
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    fail(`${dir}/manifest.json: field "${issue.path.join(".") || "(root)"}": ${issue.message}`);
  }
  manifest = parsed.data;
}
const family = servedFamily();
if (manifest.name !== family) fail(`${dir}: the model's name is "${manifest.name}" but the router serves "${family}": retrain with --name ${family}`);
let bytes: Uint8Array = new Uint8Array(readFileSync(`${dir}/model.onnx`));
const sha = await sha256Hex(bytes);
if (sha !== manifest.sha256) fail(`${dir}/model.onnx: sha256 ${sha} does not match the manifest's ${manifest.sha256} (the files come from different runs?)`);
// A scikit-learn export carries ZipMap outputs onnxruntime-web cannot read: expose the probability tensor.
const zipmap = removeZipMap(bytes);
if (zipmap.rewritten.length > 0) {
  bytes = zipmap.bytes;
  manifest.sha256 = await sha256Hex(bytes);
  console.log(`rewrote ZipMap output(s) ${zipmap.rewritten.join(", ")} into float32 tensors; sha256 now ${manifest.sha256}`);
}
const session = await nodeSession(bytes).catch((err: unknown) => fail(`${dir}/model.onnx: onnxruntime-web cannot load it: ${String(err).split("\n")[0]}`));
const problems = await validateModel(manifest, session, (rows, dim) => nodeRunBatch(session, manifest.input.name, manifest.output.name, rows, dim));
if (problems.length > 0) fail(`${dir}: refused: ${problems.join("; ")}`);
console.log(`${SCRIPT}: ${manifest.name} ${manifest.version} is valid offline: ${manifest.golden.length} golden vectors reproduce in onnxruntime-web, ${bytes.length} bytes`);
if (values["dry-run"]) process.exit(0);

const form = new FormData();
form.set("model", new Blob([bytes], { type: "application/octet-stream" }), "model.onnx");
form.set("manifest", new Blob([JSON.stringify(manifest)], { type: "application/json" }), "manifest.json");
form.set("reason", values.reason);
const headers = { authorization: `Bearer ${token}` };
/** The router's answer: its JSON error message when there is one, the body otherwise. */
const said = (text: string) => {
  try {
    return (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
  } catch {
    return text.slice(0, 300);
  }
};
const res = await fetch(new URL("/v1/models", url), { method: "POST", headers, body: form }).catch((err: Error) => fail(`cannot reach ${url.origin} (${err.message}): is the router running (npm start)?`));
const body = await res.text();
if (!res.ok) fail(`the router refused the upload (${res.status}): ${said(body)}`);
const stored = JSON.parse(body) as { name: string; version: string; status: string; sha256: string };
console.log(`${SCRIPT}: uploaded ${stored.name} ${stored.version} as ${stored.status} (sha256 ${stored.sha256})`);

if (values.to) {
  const moved = await fetch(new URL(`/v1/models/${manifest.name}/${manifest.version}/status`, url), {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ to: values.to, reason: values.reason }),
  });
  const text = await moved.text();
  if (!moved.ok) fail(`uploaded, but could not move it to ${values.to} (${moved.status}): ${said(text)}`);
  console.log(`${SCRIPT}: ${manifest.name} ${manifest.version} is now ${values.to}`);
}
