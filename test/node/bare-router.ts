/**
 * A bare router for node-side tests: the Worker under wrangler's programmatic dev server on 127.0.0.1
 * (a free port), fresh temporary storage with only the D1 migrations applied (as `npm run deploy` leaves
 * a new account), and BOOTSTRAP_TOKEN as its only secret. No seed: everything else comes over HTTP.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readD1Migrations } from "@cloudflare/vitest-plugin";
import { unstable_startWorker } from "wrangler";
import { openLocalStorage } from "../../scripts/lib/local-wrangler.ts";
import { goOffline } from "../../scripts/lib/offline-env.ts";

export type BareRouter = { base: string; bootstrap: string; dispose: () => Promise<void> };

export async function startBareRouter(): Promise<BareRouter> {
  goOffline();
  process.env.WRANGLER_LOG ??= "error";
  const persist = mkdtempSync(join(tmpdir(), "lr-bare-router-"));
  // The dev server keeps its state under <persist>/v3; migrations go in as `wrangler d1 migrations apply` would.
  const storage = await openLocalStorage(join(persist, "v3"));
  try {
    for (const m of await readD1Migrations("migrations")) await storage.db.batch(m.queries.map((q) => storage.db.prepare(q)));
  } finally {
    await storage.dispose();
  }
  const bootstrap = `lr_test_bootstrap_${randomBytes(24).toString("hex")}`;
  const worker = await unstable_startWorker({
    config: "wrangler.toml",
    bindings: { BOOTSTRAP_TOKEN: { type: "secret_text", value: bootstrap } },
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, persist, watch: false, liveReload: false, logLevel: "warn" },
  });
  await worker.ready;
  const base = (await worker.url).origin;
  return {
    base,
    bootstrap,
    dispose: async () => {
      await worker.dispose();
      rmSync(persist, { recursive: true, force: true });
    },
  };
}
