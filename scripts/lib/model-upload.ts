/**
 * Validating and uploading a model folder (model.onnx + manifest.json) to a router: shared by
 * `npm run model:upload` and `npm run setup` (which uploads the default model to a router that has none).
 */
import { sha256Hex } from "../../src/lib/hashing.ts";
import type { Manifest } from "../../src/scoring/manifest.ts";
import { validateModel } from "../../src/scoring/validate-model.ts";
import { removeZipMap } from "../../src/training/onnx-rewrite.ts";
import { readModelDir } from "./default-model.ts";
import { nodeRunBatch, nodeSession } from "./node-ort.ts";

export type PreparedModel = { bytes: Uint8Array; manifest: Manifest };

/**
 * Reads and validates a model folder in Node, as the Worker will: sha256 matches the manifest, a
 * scikit-learn ZipMap output is rewritten into a tensor, onnxruntime-web loads it and the golden vectors
 * reproduce. Throws an Error with a one-line message when it is refused.
 */
export async function prepareModel(dir: string, log: (line: string) => void = () => undefined): Promise<PreparedModel> {
  let model: PreparedModel;
  try {
    model = readModelDir(dir);
  } catch (err) {
    throw new Error(`${dir}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
  }
  const { manifest } = model;
  let bytes = model.bytes;
  const sha = await sha256Hex(bytes);
  if (sha !== manifest.sha256) throw new Error(`model.onnx sha256 ${sha} does not match the manifest's ${manifest.sha256}`);
  // A scikit-learn export carries ZipMap outputs onnxruntime-web cannot read: expose the probability tensor.
  const zipmap = removeZipMap(bytes);
  if (zipmap.rewritten.length > 0) {
    bytes = zipmap.bytes;
    manifest.sha256 = await sha256Hex(bytes);
    log(`rewrote ZipMap output(s) ${zipmap.rewritten.join(", ")} into float32 tensors; uploading sha256 ${manifest.sha256}`);
  }
  const session = await nodeSession(bytes).catch((err: unknown) => {
    throw new Error(`onnxruntime-web cannot load model.onnx: ${String(err)}`);
  });
  const problems = await validateModel(manifest, session, (rows, dim) => nodeRunBatch(session, manifest.input.name, manifest.output.name, rows, dim));
  if (problems.length > 0) throw new Error(`refused before upload: ${problems.join("; ")}`);
  log(`validated ${manifest.name} ${manifest.version} locally: ${manifest.golden.length} golden vectors reproduce`);
  return { bytes, manifest };
}

/** Uploads a prepared model (the router validates it again and stores it `staged`), then moves it to `to`. */
export async function uploadModel(base: string, token: string, model: PreparedModel, opts: { to?: string; reason: string }, log: (line: string) => void = () => undefined): Promise<void> {
  const { bytes, manifest } = model;
  const form = new FormData();
  form.set("model", new Blob([bytes], { type: "application/octet-stream" }), "model.onnx");
  form.set("manifest", new Blob([JSON.stringify(manifest)], { type: "application/json" }), "manifest.json");
  const headers = { authorization: `Bearer ${token}`, "x-audit-reason": opts.reason };
  const res = await fetch(new URL("/v1/models", base), { method: "POST", headers, body: form });
  const body = await res.text();
  if (!res.ok) throw new Error(`the router refused the upload (${res.status}): ${body}`);
  log(`uploaded: ${body}`);
  if (!opts.to) return;
  const moved = await fetch(new URL(`/v1/models/${manifest.name}/${manifest.version}/status`, base), {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ to: opts.to, reason: opts.reason }),
  });
  const text = await moved.text();
  if (!moved.ok) throw new Error(`could not move it to ${opts.to} (${moved.status}): ${text}`);
  log(`now ${opts.to}: ${text}`);
}
