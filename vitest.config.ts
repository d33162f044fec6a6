import { readFileSync } from "node:fs";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

/** Chart.js's UMD build is a text module in the Worker (wrangler.toml [[rules]]); the same here. */
const chartJsAsText = (): Plugin => ({
  name: "chart-umd-as-text",
  enforce: "pre",
  load(id) {
    if (id.endsWith("/chart.umd.js")) return `export default ${JSON.stringify(readFileSync(id, "utf8"))};`;
  },
});

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  // The default model ships into the test runtime as bindings; the setup file stores it in local R2.
  const modelDir = process.env.TEST_MODEL_DIR ?? "./model-artifacts/default";
  const modelBytes = readFileSync(`${modelDir}/model.onnx`).toString("base64");
  const manifest = readFileSync(`${modelDir}/manifest.json`, "utf8");
  return {
    // One runtime for every file: shipping ORT's 14 MB wasm to workerd costs seconds, so pay it once.
    maxWorkers: 1,
    test: {
      projects: [
        {
          plugins: [
            chartJsAsText(),
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: { TEST_MIGRATIONS: migrations, TEST_MODEL_B64: modelBytes, TEST_MANIFEST: manifest },
                // A real limiter with a ceiling a test can reach, to stand in for SITE_RATE_LIMITER (10,000/10 s).
                ratelimits: { TEST_TIGHT_LIMITER: { namespace_id: "9001", simple: { limit: 3, period: 60 } } },
              },
            }),
          ],
          test: {
            name: "workers",
            include: ["test/**/*.test.ts"],
            exclude: ["test/browser/**", "test/node/**", "test/webhooks-e2e/**"],
            setupFiles: ["./test/setup.ts"],
            // Storage is reset before each test instead (test/setup.ts).
            isolate: false,
            testTimeout: 30_000,
            hookTimeout: 60_000,
          },
        },
        {
          // Node side: the setup script's logic, and a bare router on 127.0.0.1 set up from files over HTTP.
          test: {
            name: "node",
            include: ["test/node/**/*.test.ts"],
            environment: "node",
            testTimeout: 180_000,
            hookTimeout: 180_000,
          },
        },
        {
          // Node side: the Worker on 127.0.0.1 with its real queue, and HTTP receivers the tests start.
          test: {
            name: "webhooks",
            include: ["test/webhooks-e2e/**/*.test.ts"],
            environment: "node",
            testTimeout: 120_000,
            hookTimeout: 120_000,
          },
        },
        {
          // Node side: starts the Worker on 127.0.0.1 and drives the dashboard in headless Chromium.
          test: {
            name: "browser",
            include: ["test/browser/**/*.test.ts"],
            environment: "node",
            testTimeout: 180_000,
            hookTimeout: 180_000,
          },
        },
      ],
    },
  };
});
