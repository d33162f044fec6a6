/**
 * Batched stage timings for `npm run bench`, on the router's runtime: computes features and runs ORT
 * inference for many leads with the router's own modules and the default model, one lead per run as on
 * the lead path. workerd's clock ticks in 1 ms steps inside a request, so only batches can be timed.
 * The first session of the isolate includes instantiating ORT's WASM runtime; the second is the model alone.
 */
import manifestJson from "../../model-artifacts/default/manifest.json";
import modelBytes from "../../model-artifacts/default/model.onnx";
import { calibrate } from "../../src/scoring/calibration.ts";
import { computeFeatures } from "../../src/scoring/features.ts";
import { ManifestSchema } from "../../src/scoring/manifest.ts";
import { createSession, runWorkerBatch } from "../../src/scoring/ort.ts";
import { benchLead } from "./leads.ts";

const manifest = ManifestSchema.parse(manifestJson);

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== "/run") return Response.json({ status: "ok" });
    const n = Math.min(Number(url.searchParams.get("n") ?? 2000), 20_000);
    const t0 = performance.now();
    await createSession(new Uint8Array(modelBytes));
    const tFirst = performance.now();
    const session = await createSession(new Uint8Array(modelBytes));
    const t1 = performance.now();
    const payloads = Array.from({ length: n }, (_, i) => benchLead(i, "stages"));
    const { dim } = manifest.input;
    const vectors: Float32Array[] = [];
    const t2 = performance.now();
    for (const p of payloads) vectors.push(Float32Array.from(computeFeatures(manifest.features, p)));
    const t3 = performance.now();
    let sum = 0;
    for (const v of vectors) {
      const [raw] = await runWorkerBatch(session, manifest.input.name, manifest.output.name, v, dim);
      sum += calibrate(raw!, manifest.output.kind, manifest.calibration);
    }
    const t4 = performance.now();
    return Response.json({ n, firstSessionMs: tFirst - t0, sessionCreateMs: t1 - tFirst, featuresUsPerLead: ((t3 - t2) * 1000) / n, inferenceUsPerLead: ((t4 - t3) * 1000) / n, meanProbability: sum / n });
  },
};
