import { readFileSync } from "node:fs";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  // The default model ships into the test runtime as bindings; the setup file stores it in local R2.
  const modelDir = process.env.TEST_MODEL_DIR ?? "./model-artifacts/default";
  const modelBytes = readFileSync(`${modelDir}/model.onnx`).toString("base64");
  const manifest = readFileSync(`${modelDir}/manifest.json`, "utf8");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: { TEST_MIGRATIONS: migrations, TEST_MODEL_B64: modelBytes, TEST_MANIFEST: manifest },
        },
      }),
    ],
    test: {
      setupFiles: ["./test/setup.ts"],
      // One runtime for every file: shipping ORT's 14 MB wasm to workerd costs seconds, so pay it once.
      // Storage is reset before each test instead (test/setup.ts).
      isolate: false,
      maxWorkers: 1,
      testTimeout: 30_000,
      hookTimeout: 60_000,
    },
  };
});
