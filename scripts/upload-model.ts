/**
 * `npm run model:upload -- <dir> --url <router> --token <admin token> [--to shadow|active] [--reason "..."]`
 *
 * Validates the model in <dir> (model.onnx + manifest.json) locally first — onnxruntime-web loads it, its
 * inputs and outputs match the manifest, the golden vectors reproduce — then uploads it through the admin
 * API, where the Worker validates it again and stores it as `staged`. `--to` then moves it on.
 */
import { parseArgs } from "node:util";
import { prepareModel, uploadModel } from "./lib/model-upload.ts";

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
try {
  const model = await prepareModel(dir, console.log);
  await uploadModel(values.url, values.token, model, { to: values.to, reason: values.reason }, console.log);
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
