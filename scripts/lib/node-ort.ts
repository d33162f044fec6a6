import * as ort from "onnxruntime-web";
import { runBatch } from "../../src/scoring/ort-run.ts";

ort.env.wasm.numThreads = 1;
ort.env.logLevel = "error";

/** An onnxruntime-web session in Node (the same WASM build the Worker runs). */
export function nodeSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
}

/** Runs a float32 [rows, dim] batch; one raw score per row. */
export function nodeRunBatch(session: ort.InferenceSession, inputName: string, outputName: string, rows: Float32Array, dim: number) {
  return runBatch(ort.Tensor, session as never, inputName, outputName, rows, dim);
}
