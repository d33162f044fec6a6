import * as ort from "onnxruntime-web/wasm";
// wrangler's CompiledWasm rule turns this import into a precompiled WebAssembly.Module: Workers refuse
// to compile WASM from bytes at run time.
import ortWasmModule from "onnxruntime-web/ort-wasm-simd-threaded.wasm";
import { runBatch } from "./ort-run.ts";
import { WARMUP_DIM, WARMUP_MODEL } from "./ort-warmup-model.ts";

/**
 * A few bytes handed to ORT as `wasmBinary`: it stops ORT from fetching the .wasm, and lets the
 * instantiate hook below recognise ORT's call and answer it with the precompiled module.
 */
const PLACEHOLDER = placeholderModule("lead-router:ort-placeholder");

/** An empty wasm module with one custom section naming it: valid, tiny, and recognisable by content. */
function placeholderModule(name: string): Uint8Array {
  const label = new TextEncoder().encode(name);
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  return Uint8Array.from([...header, 0x00, label.length + 1, label.length, ...label]);
}

const originalInstantiate = WebAssembly.instantiate.bind(WebAssembly);

/** ORT may hand back a copy of `wasmBinary`, so compare content, not identity. */
function isPlaceholder(source: unknown): boolean {
  let bytes: Uint8Array;
  if (source instanceof ArrayBuffer) bytes = new Uint8Array(source);
  else if (ArrayBuffer.isView(source)) bytes = new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  else return false;
  return bytes.length === PLACEHOLDER.length && bytes.every((b, i) => b === PLACEHOLDER[i]);
}

let configured = false;

function configure(): void {
  if (configured) return;
  configured = true;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmBinary = PLACEHOLDER;
  ort.env.logLevel = "error";
  (WebAssembly as { instantiate: unknown }).instantiate = (
    source: BufferSource | WebAssembly.Module,
    imports?: WebAssembly.Imports,
  ) =>
    isPlaceholder(source)
      ? originalInstantiate(ortWasmModule, imports).then((instance) => ({ instance, module: ortWasmModule }))
      : originalInstantiate(source as BufferSource, imports);
}

export type OrtSession = ort.InferenceSession;

function newSession(bytes: Uint8Array): Promise<OrtSession> {
  configure();
  return ort.InferenceSession.create(bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
}

/**
 * Isolate startup: instantiating ORT's WASM runtime takes hundreds of milliseconds, so it starts here, in
 * the global scope (compute only, no I/O), with a tiny embedded graph run once, instead of on the first
 * lead. Sessions wait for it: ORT refuses a second initialisation while one is under way.
 */
const warmedUp: Promise<void> = (async () => {
  try {
    const session = await newSession(WARMUP_MODEL);
    const [input] = session.inputNames;
    const [output] = session.outputNames;
    await runBatch(ort.Tensor, session as never, input!, output!, new Float32Array(WARMUP_DIM), WARMUP_DIM);
    await session.release();
  } catch (err) {
    console.warn("ORT warm-up failed; the first session will initialise the runtime", err);
  }
})();

/** Creates an ORT session (WASM execution provider) from ONNX bytes. Throws on a graph ORT rejects. */
export async function createSession(bytes: Uint8Array): Promise<OrtSession> {
  await warmedUp;
  return newSession(bytes);
}

/** Runs a float32 [rows, dim] batch through a Worker-side session; see ./ort-run.ts. */
export function runWorkerBatch(session: OrtSession, inputName: string, outputName: string, rows: Float32Array, dim: number) {
  return runBatch(ort.Tensor, session as never, inputName, outputName, rows, dim);
}
