import { readFileSync } from "node:fs";
import { ManifestSchema, type Manifest } from "../../src/scoring/manifest.ts";

export const DEFAULT_MODEL_DIR = "model-artifacts/default";

/** The default model shipped with the repo: ONNX bytes and validated manifest. */
export function readModelDir(dir = DEFAULT_MODEL_DIR): { bytes: Uint8Array; manifest: Manifest } {
  return {
    bytes: new Uint8Array(readFileSync(`${dir}/model.onnx`)),
    manifest: ManifestSchema.parse(JSON.parse(readFileSync(`${dir}/manifest.json`, "utf8"))),
  };
}
