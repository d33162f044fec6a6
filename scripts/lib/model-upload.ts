/**
 * Validating and uploading a model folder (model.onnx + manifest.json) to a router: shared by
 * `npm run model:upload` and `npm run setup` (which uploads the default model to a router that has none).
 */
import { existsSync, readFileSync } from "node:fs";
import { sha256Hex } from "../../src/lib/hashing.ts";
import { ManifestSchema, type Manifest } from "../../src/scoring/manifest.ts";
import { validateModel } from "../../src/scoring/validate-model.ts";
import { removeZipMap } from "../../src/training/onnx-rewrite.ts";
import { servedFamily } from "./model-family.ts";
import { nodeRunBatch, nodeSession } from "./node-ort.ts";

export type PreparedModel = { bytes: Uint8Array; manifest: Manifest };

/**
 * Reads and validates a model folder in Node, as the Worker will: the manifest's schema, a family the
 * router serves, sha256 matches the manifest, a
 * scikit-learn ZipMap output is rewritten into a tensor, onnxruntime-web loads it and the golden vectors
 * reproduce. Throws an Error with a one-line message when it is refused.
 */
export async function prepareModel(dir: string, log: (line: string) => void = () => undefined): Promise<PreparedModel> {
  for (const file of ["model.onnx", "manifest.json"]) if (!existsSync(`${dir}/${file}`)) throw new Error(`${dir}/${file}: no such file (is ${dir} a folder model:train wrote?)`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(`${dir}/manifest.json`, "utf8"));
  } catch (err) {
    throw new Error(`${dir}/manifest.json: not valid JSON: ${(err as Error).message}`);
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${dir}/manifest.json: field "${issue.path.join(".") || "(root)"}": ${issue.message}`);
  }
  const manifest = parsed.data;
  // The default family (MODEL_NAME) is known offline; a team's own family is known only to the router,
  // which refuses (422) a family no team names.
  const family = servedFamily();
  if (manifest.name !== family) log(`note: "${manifest.name}" is not the default family "${family}": the router takes it only if a team names it as its model family (PUT /v1/admin/teams/:id), else retrain with --name ${family}`);
  let bytes: Uint8Array = new Uint8Array(readFileSync(`${dir}/model.onnx`));
  const sha = await sha256Hex(bytes);
  if (sha !== manifest.sha256) throw new Error(`${dir}/model.onnx: sha256 ${sha} does not match the manifest's ${manifest.sha256} (the files come from different runs?)`);
  // A scikit-learn export carries ZipMap outputs onnxruntime-web cannot read: expose the probability tensor.
  const zipmap = removeZipMap(bytes);
  if (zipmap.rewritten.length > 0) {
    bytes = zipmap.bytes;
    manifest.sha256 = await sha256Hex(bytes);
    log(`rewrote ZipMap output(s) ${zipmap.rewritten.join(", ")} into float32 tensors; sha256 now ${manifest.sha256}`);
  }
  const session = await nodeSession(bytes).catch((err: unknown) => {
    throw new Error(`${dir}/model.onnx: onnxruntime-web cannot load it: ${String(err).split("\n")[0]}`);
  });
  const problems = await validateModel(manifest, session, (rows, dim) => nodeRunBatch(session, manifest.input.name, manifest.output.name, rows, dim));
  if (problems.length > 0) throw new Error(`${dir}: refused: ${problems.join("; ")}`);
  log(`${manifest.name} ${manifest.version} is valid offline: ${manifest.golden.length} golden vectors reproduce in onnxruntime-web, ${bytes.length} bytes`);
  return { bytes, manifest };
}

/** The router's answer: its JSON error message when there is one, the start of the body otherwise. */
function said(text: string): string {
  try {
    return (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
  } catch {
    return text.slice(0, 300);
  }
}

/** Uploads a prepared model (the router validates it again and stores it `staged`), then moves it to `to`. */
export async function uploadModel(base: string, token: string, model: PreparedModel, opts: { to?: string; reason: string }, log: (line: string) => void = () => undefined): Promise<void> {
  const { bytes, manifest } = model;
  const form = new FormData();
  form.set("model", new Blob([bytes], { type: "application/octet-stream" }), "model.onnx");
  form.set("manifest", new Blob([JSON.stringify(manifest)], { type: "application/json" }), "manifest.json");
  const headers = { authorization: `Bearer ${token}`, "x-audit-reason": opts.reason };
  const res = await fetch(new URL("/v1/models", base), { method: "POST", headers, body: form }).catch((err: Error) => {
    throw new Error(`cannot reach ${new URL(base).origin} (${err.message}): is the router running (npm start)?`);
  });
  const body = await res.text();
  if (!res.ok) throw new Error(`the router refused the upload (${res.status}): ${said(body)}`);
  log(`uploaded: ${body}`);
  if (!opts.to) return;
  const moved = await fetch(new URL(`/v1/models/${manifest.name}/${manifest.version}/status`, base), {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ to: opts.to, reason: opts.reason }),
  });
  const text = await moved.text();
  if (!moved.ok) throw new Error(`uploaded, but could not move it to ${opts.to} (${moved.status}): ${said(text)}`);
  log(`now ${opts.to}: ${text}`);
}
