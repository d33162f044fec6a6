/**
 * `npm start`: the router on http://127.0.0.1:8787 with local D1, R2 and Durable Objects, on the
 * embedded defaults — migrations applied, the default model in local R2 and active, the demo team
 * seeded, local tokens printed. Idempotent: starting twice duplicates nothing. Ctrl-C stops it all.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { getDb } from "../src/db/client.ts";
import { seedDefaults } from "../src/db/seed.ts";
import { readModelDir } from "./lib/default-model.ts";
import { localCrons, openLocalStorage } from "./lib/local-wrangler.ts";
import { goOffline, offlineEnv } from "./lib/offline-env.ts";

const PORT = process.env.PORT ?? "8787";
const TOKENS_FILE = ".wrangler/local-tokens.json";

type LocalTokens = { crm: string; admin: string };

function localTokens(): LocalTokens {
  if (existsSync(TOKENS_FILE)) return JSON.parse(readFileSync(TOKENS_FILE, "utf8")) as LocalTokens;
  const tokens = { crm: `lr_local_crm_${randomBytes(16).toString("hex")}`, admin: `lr_local_admin_${randomBytes(16).toString("hex")}` };
  mkdirSync(".wrangler", { recursive: true });
  writeFileSync(TOKENS_FILE, JSON.stringify(tokens, null, 2), { mode: 0o600 });
  return tokens;
}

goOffline();
// CI=true: apply without the interactive "continue?" prompt (local data only).
const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--local"], { stdio: "inherit", env: { ...offlineEnv(), CI: "true" } });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const tokens = localTokens();
const storage = await openLocalStorage();
try {
  await seedDefaults(getDb(storage.db), storage.models, {
    model: readModelDir(),
    tokens: [
      { name: "local crm (demo team)", secret: tokens.crm, scopes: ["crm:read", "crm:write"], teamId: "demo" },
      { name: "local admin", secret: tokens.admin, scopes: ["admin"], teamId: null },
    ],
  });
} finally {
  await storage.dispose();
}

console.log(`
  Lead router seeded: demo team, default model, policy v1.
  CRM token (demo team):  ${tokens.crm}
  Admin token:            ${tokens.admin}
  (kept in ${TOKENS_FILE})
`);

// Local dev is what lets a webhook subscription point at http://127.0.0.1 (a receiver on this machine),
// and makes links in webhook messages point here. A deployment keeps wrangler.toml's values.
const localVars = ["WEBHOOK_ALLOW_LOOPBACK:true", `PUBLIC_URL:http://127.0.0.1:${PORT}`].flatMap((v) => ["--var", v]);
const dev = spawn("wrangler", ["dev", "--local", "--ip", "127.0.0.1", "--port", PORT, "--test-scheduled", "--show-interactive-dev-session=false", ...localVars], {
  stdio: "inherit",
  env: offlineEnv(),
});

// `wrangler dev` never fires cron triggers by itself; this fires wrangler.toml's every minute (its one
// trigger is `* * * * *`), so SLA re-routing, retries and monitoring run locally as they do deployed.
// LOCAL_CRON=off leaves them out.
const crons = localCrons();
const ticker =
  process.env.LOCAL_CRON === "off" || crons.length === 0
    ? undefined
    : setInterval(() => {
        for (const cron of crons) fetch(`http://127.0.0.1:${PORT}/__scheduled?cron=${encodeURIComponent(cron)}`).catch(() => undefined);
      }, 60_000);

for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => {
  clearInterval(ticker);
  process.exit(code ?? 0);
});
