/**
 * `npm start`: the router on http://127.0.0.1:8787 (or $PORT) with local D1, R2 and Durable Objects, set
 * up the way a deployed router is: migrations applied, `wrangler dev` started with a local
 * BOOTSTRAP_TOKEN, then `npm run setup`'s code applies the demo folder (scripts/setup/demo) over HTTP —
 * the first admin token from the bootstrap secret, the demo team, reps, site and policy, the default
 * model, a CRM token. Tokens are kept in .wrangler/local-tokens.json and printed. Idempotent: starting
 * twice duplicates nothing. Ctrl-C stops it all.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { localCrons } from "./lib/local-wrangler.ts";
import { goOffline, offlineEnv } from "./lib/offline-env.ts";
import { formatProblem, runSetup } from "./lib/setup/run.ts";

const PORT = process.env.PORT ?? "8787";
const BASE = `http://127.0.0.1:${PORT}`;
const TOKENS_FILE = ".wrangler/local-tokens.json";
const DEMO_DIR = "scripts/setup/demo";

type LocalTokens = { bootstrap: string; admin?: string; crm?: string };

function readTokens(): LocalTokens {
  const saved = existsSync(TOKENS_FILE) ? (JSON.parse(readFileSync(TOKENS_FILE, "utf8")) as Partial<LocalTokens>) : {};
  return { ...saved, bootstrap: saved.bootstrap ?? `lr_local_bootstrap_${randomBytes(24).toString("hex")}` };
}

function saveTokens(tokens: LocalTokens): void {
  mkdirSync(".wrangler", { recursive: true });
  writeFileSync(TOKENS_FILE, JSON.stringify(tokens, null, 2), { mode: 0o600 });
}

goOffline();
// CI=true: apply without the interactive "continue?" prompt (local data only).
const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--local"], { stdio: "inherit", env: { ...offlineEnv(), CI: "true" } });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const tokens = readTokens();
saveTokens(tokens);

// The bootstrap secret goes to the local Worker as a var: .dev.vars stays the user's own file. Local dev
// is also what lets a webhook subscription point at http://127.0.0.1 (a receiver on this machine), and
// makes links in webhook messages point here. A deployment keeps wrangler.toml's values.
const localVars = [`BOOTSTRAP_TOKEN:${tokens.bootstrap}`, "WEBHOOK_ALLOW_LOOPBACK:true", `PUBLIC_URL:${BASE}`].flatMap((v) => ["--var", v]);
// `npm run bench -- --d1-ms … --do-ms …` starts the router with these set: its edge simulation
// (src/lib/bench-delay.ts). Unset, as always outside the bench, nothing is delayed.
const benchVars = ["BENCH_D1_MS", "BENCH_DO_MS", "BENCH_D1_REPLICA_MS"].flatMap((k) => (process.env[k] ? ["--var", `${k}:${process.env[k]}`] : []));
const dev = spawn("wrangler", ["dev", "--local", "--ip", "127.0.0.1", "--port", PORT, "--test-scheduled", "--show-interactive-dev-session=false", ...localVars, ...benchVars], {
  stdio: "inherit",
  env: offlineEnv(),
});
let ticker: ReturnType<typeof setInterval> | undefined;
dev.on("exit", (code) => {
  clearInterval(ticker);
  process.exit(process.exitCode ?? code ?? 0);
});
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => {
    stopping = true;
    dev.kill(signal);
  });

async function ready(): Promise<void> {
  for (let i = 0; i < 240; i++) {
    if (dev.exitCode !== null) throw new Error(`wrangler dev exited with ${dev.exitCode}`);
    const up = await fetch(`${BASE}/healthz`).then((r) => r.ok, () => false);
    if (up) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the router did not answer on ${BASE}`);
}

/** Whether the saved admin token still opens this local router (its state may have been wiped). */
async function adminWorks(token: string | undefined): Promise<boolean> {
  if (!token) return false;
  return fetch(`${BASE}/v1/admin/tokens`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.ok, () => false);
}

try {
  await ready();
  const admin = (await adminWorks(tokens.admin)) ? tokens.admin! : undefined;
  const result = await runSetup({ url: BASE, token: admin ?? tokens.bootstrap, dir: DEMO_DIR, log: (line) => console.log(`  setup: ${line}`) });
  if (result.problems.length > 0) throw new Error(`the demo folder has problems:\n${result.problems.map(formatProblem).join("\n")}`);
  if (result.adminToken) tokens.admin = result.adminToken;
  const crm = result.crmTokens.find((t) => t.teamId === "demo");
  if (crm) tokens.crm = crm.secret;
  saveTokens(tokens);
  ticker = startCrons();
  console.log(`
  Lead router set up from ${DEMO_DIR} on ${BASE}: demo team, default model, policy.
  CRM token (demo team):  ${tokens.crm ?? "(made earlier and not kept here: create one with POST /v1/admin/tokens)"}
  Admin token:            ${tokens.admin}
  (kept in ${TOKENS_FILE})
`);
} catch (err) {
  console.error(`npm start: ${err instanceof Error ? err.message : String(err)}`);
  if (!stopping) dev.kill("SIGTERM");
  process.exitCode = 1;
}

// `wrangler dev` never fires cron triggers by itself; this fires wrangler.toml's every minute (its one
// trigger is `* * * * *`), so SLA re-routing, retries and monitoring run locally as they do deployed.
// LOCAL_CRON=off leaves them out.
function startCrons(): ReturnType<typeof setInterval> | undefined {
  const crons = localCrons();
  if (process.env.LOCAL_CRON === "off" || crons.length === 0) return undefined;
  return setInterval(() => {
    for (const cron of crons) fetch(`${BASE}/__scheduled?cron=${encodeURIComponent(cron)}`).catch(() => undefined);
  }, 60_000);
}
