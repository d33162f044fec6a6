/**
 * `npm run deploy [-- --env staging|production]`: puts the router on a Cloudflare account in the order
 * that keeps it consistent — (1) the D1 database, R2 bucket and queues the environment names are created
 * if missing, (2) D1 migrations are applied remotely, (3) the Worker is deployed, so no version of the Worker
 * ever runs against a schema older than its own. Idempotent: a second run creates nothing and applies no
 * migration twice. Secrets never pass through here: `wrangler secret put BOOTSTRAP_TOKEN [--env <name>]`.
 *
 * `--dry-run` builds the deploy bundle offline for the named environment (`--all`: the top level and
 * every named environment), which is what `npm run check` runs.
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { experimental_readRawConfig, unstable_readConfig } from "wrangler";
import { offlineEnv } from "./lib/offline-env.ts";

const { values } = parseArgs({
  options: {
    env: { type: "string", default: "" },
    "dry-run": { type: "boolean", default: false },
    all: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  console.log("usage: npm run deploy [-- --env staging|production] [--dry-run [--all]]");
  process.exit(0);
}

type Resources = { worker: string; database: string; bucket: string; queues: string[]; envs: string[] };

/** What an environment deploys: its Worker name, database and bucket, read through wrangler's own config reader. */
function resources(env: string): Resources {
  const raw = experimental_readRawConfig({ config: "wrangler.toml" }).rawConfig as { env?: Record<string, unknown> };
  const envs = Object.keys(raw.env ?? {});
  if (env && !envs.includes(env)) fail(`no [env.${env}] in wrangler.toml (known: ${envs.join(", ")})`);
  const config = unstable_readConfig({ config: "wrangler.toml", env: env || undefined }) as {
    name?: string;
    d1_databases: { binding: string; database_name?: string }[];
    r2_buckets: { binding: string; bucket_name?: string }[];
    queues: { producers?: { queue: string }[]; consumers?: { queue: string; dead_letter_queue?: string }[] };
  };
  const database = config.d1_databases.find((d) => d.binding === "DB")?.database_name;
  const bucket = config.r2_buckets.find((b) => b.binding === "MODELS")?.bucket_name;
  if (!database || !bucket) fail(`wrangler.toml${env ? ` [env.${env}]` : ""} must name a D1 database (DB) and an R2 bucket (MODELS)`);
  const queues = new Set([...(config.queues.producers ?? []).map((q) => q.queue), ...(config.queues.consumers ?? []).flatMap((q) => [q.queue, ...(q.dead_letter_queue ? [q.dead_letter_queue] : [])])]);
  return { worker: config.name ?? "edge-lead-router", database, bucket, queues: [...queues], envs };
}

function fail(message: string): never {
  console.error(`deploy: ${message}`);
  process.exit(1);
}

/** wrangler with telemetry off. Deploys keep the user's own wrangler login (no XDG_CONFIG_HOME override). */
function wrangler(args: string[], opts: { capture?: boolean; offline?: boolean } = {}) {
  const env = opts.offline ? offlineEnv() : { ...process.env, WRANGLER_SEND_METRICS: "false", DO_NOT_TRACK: "1" };
  const run = spawnSync("wrangler", args, { stdio: opts.capture ? ["ignore", "pipe", "inherit"] : "inherit", env, encoding: "utf8" });
  if (run.error) fail(`could not run wrangler: ${run.error.message}`);
  return { ok: run.status === 0, stdout: run.stdout ?? "" };
}

const envFlag = (env: string) => [`--env=${env}`];

if (values["dry-run"]) {
  const envs = values.all ? ["", ...resources("").envs] : [values.env];
  for (const env of envs) {
    console.log(`deploy --dry-run: ${env || "top level"}`);
    if (!wrangler(["deploy", "--dry-run", "--outdir", `dist/${env || "default"}`, ...envFlag(env)], { offline: true }).ok) fail(`the ${env || "top-level"} bundle does not build`);
  }
  process.exit(0);
}

const env = values.env;
const r = resources(env);
console.log(`Deploying ${r.worker}: D1 ${r.database}, R2 ${r.bucket}, queues ${r.queues.join(", ")}`);

// 1. Resources. `d1 list --json` names every database on the account; create ours only if absent.
const listed = wrangler(["d1", "list", "--json"], { capture: true });
if (!listed.ok) fail("cannot list D1 databases: run `npx wrangler login` first (or set CLOUDFLARE_API_TOKEN)");
const databases = JSON.parse(listed.stdout || "[]") as { name: string }[];
if (!databases.some((d) => d.name === r.database)) {
  console.log(`creating D1 database ${r.database}`);
  if (!wrangler(["d1", "create", r.database, "--update-config=false"]).ok) fail(`could not create D1 database ${r.database}`);
}
if (!wrangler(["r2", "bucket", "info", r.bucket], { capture: true }).ok) {
  console.log(`creating R2 bucket ${r.bucket}`);
  if (!wrangler(["r2", "bucket", "create", r.bucket, "--update-config=false"]).ok) fail(`could not create R2 bucket ${r.bucket}`);
}

// A queue consumer cannot be attached to a queue that does not exist yet.
for (const queue of r.queues) {
  if (wrangler(["queues", "info", queue], { capture: true }).ok) continue;
  console.log(`creating queue ${queue}`);
  if (!wrangler(["queues", "create", queue]).ok) fail(`could not create queue ${queue}`);
}

// 2. Schema before code. CI=true answers wrangler's "apply these migrations?" prompt for the user who asked.
const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--remote", ...envFlag(env)], {
  stdio: "inherit",
  env: { ...process.env, WRANGLER_SEND_METRICS: "false", DO_NOT_TRACK: "1", CI: "true" },
});
if (migrate.status !== 0) fail("remote migrations failed; the Worker was not deployed");

// 3. The Worker (wrangler finds the database and bucket by name; it would also create them if missing).
if (!wrangler(["deploy", ...envFlag(env)]).ok) fail("wrangler deploy failed");
console.log(`
Deployed. Next:
  npx wrangler secret put BOOTSTRAP_TOKEN${env ? ` --env ${env}` : ""}     # a long random secret, e.g. openssl rand -hex 32
  npm run setup -- --url https://<the workers.dev URL above> --token <that secret> <your setup folder>
`);
