/**
 * `npm run model:upload -- <dir> --url <router> --token <admin token> [--to shadow|active] [--reason "..."]`
 *
 * Validates the model in <dir> (model.onnx + manifest.json) locally first — onnxruntime-web loads it, its
 * inputs and outputs match the manifest, the golden vectors reproduce — then uploads it through the admin
 * API, where the Worker validates it again and stores it as `staged`. `--to` then moves it on.
 */
import { parseArgs } from "node:util";
import { sha256Hex } from "../src/lib/hashing.ts";
import { removeZipMap } from "../src/training/onnx-rewrite.ts";
import { validateModel } from "../src/scoring/validate-model.ts";
import { readModelDir } from "./lib/default-model.ts";
import { nodeRunBatch, nodeSession } from "./lib/node-ort.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: "string", default: "http://127.0.0.1:8787" },
    token: { type: "string", default: process.env.LEAD_ROUTER_ADMIN_TOKEN },
    to: { type: "string" },
    reason: { type: "string", default: "uploaded with model:upload" },
  },
});

function fail(message: string): never {
  console.error(`model:upload: ${message}`);
  process.exit(1);
}

const dir = positionals[0] ?? fail("name the model folder: npm run model:upload -- <dir> --url ... --token ...");
if (!values.token) fail("pass --token <admin token> (or set LEAD_ROUTER_ADMIN_TOKEN)");
let model: ReturnType<typeof readModelDir>;
try {
  model = readModelDir(dir);
} catch (err) {
  fail(`${dir}: ${String(err)}`);
}
const { manifest } = model;
let bytes = model.bytes;
const sha = await sha256Hex(bytes);
if (sha !== manifest.sha256) fail(`model.onnx sha256 ${sha} does not match the manifest's ${manifest.sha256}`);
// A scikit-learn export carries ZipMap outputs onnxruntime-web cannot read: expose the probability tensor.
const zipmap = removeZipMap(bytes);
if (zipmap.rewritten.length > 0) {
  bytes = zipmap.bytes;
  manifest.sha256 = await sha256Hex(bytes);
  console.log(`rewrote ZipMap output(s) ${zipmap.rewritten.join(", ")} into float32 tensors; uploading sha256 ${manifest.sha256}`);
}
const session = await nodeSession(bytes).catch((err: unknown) => fail(`onnxruntime-web cannot load model.onnx: ${String(err)}`));
const problems = await validateModel(manifest, session, (rows, dim) => nodeRunBatch(session, manifest.input.name, manifest.output.name, rows, dim));
if (problems.length > 0) fail(`refused before upload:\n  - ${problems.join("\n  - ")}`);
console.log(`validated ${manifest.name} ${manifest.version} locally: ${manifest.golden.length} golden vectors reproduce`);

const form = new FormData();
form.set("model", new Blob([bytes], { type: "application/octet-stream" }), "model.onnx");
form.set("manifest", new Blob([JSON.stringify(manifest)], { type: "application/json" }), "manifest.json");
const headers = { authorization: `Bearer ${values.token}` };
const res = await fetch(`${values.url}/v1/models`, { method: "POST", headers, body: form });
const body = await res.text();
if (!res.ok) fail(`the router refused the upload (${res.status}): ${body}`);
console.log(`uploaded: ${body}`);

if (values.to) {
  const moved = await fetch(`${values.url}/v1/models/${manifest.name}/${manifest.version}/status`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ to: values.to, reason: values.reason }),
  });
  const text = await moved.text();
  if (!moved.ok) fail(`could not move it to ${values.to} (${moved.status}): ${text}`);
  console.log(`now ${values.to}: ${text}`);
}
