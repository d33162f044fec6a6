/**
 * `npm run bench -- [--url http://127.0.0.1:8787] [--leads 2000] [--start] [--d1-ms 40 --do-ms 10 [--replica-ms 10]] [--gap-ms N]
 * [--floor-port N] [--stages-port N]`: latency of POST /v1/leads against a router (a running `npm start`,
 * or with `--start` one the bench starts itself on the URL's port; run right after a fresh start to see the
 * cold first lead), measured from this separate process, against a floor of the same runtime doing one D1
 * insert, a second one making the lead path's calls alone (rate limit, a Durable Object, one D1
 * batch) and a third making design (b)'s (rate limit, one Durable Object call committing everything, the
 * D1 drain after the answer), their posts interleaved with the router's leads so all four see the same machine. `--d1-ms` / `--do-ms` simulate the edge: every D1 call and every Durable Object call of the
 * router and of the floors waits that long first (src/lib/bench-delay.ts); the bench then starts the
 * router itself with those delays. The floor workers listen on the router's port + 1 and + 2. Also:
 * the stage breakdown (Server-Timing medians, and batched feature/inference timings inside workerd),
 * the runtime's peak memory and the upload size. Loopback only; prints markdown tables.
 * With `--events` the bench's team is one that sends signal events (one per second lead's email, posted
 * first; each also counts for its account domain, so most leads have some), so every lead reads its events
 * before scoring; without, a team that sends none (no read).
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { benchLead } from "./bench/leads.ts";
import { parseCli } from "./lib/cli.ts";
import { api, localAdminToken, loopbackUrl, postSignedLead, quantile, startRouter, startWorker, workerdPids, type PostResult } from "./lib/local-router.ts";
import { offlineEnv } from "./lib/offline-env.ts";

const { values } = parseCli("bench", `
Usage: npm run bench -- [--url http://127.0.0.1:8787] [--leads 2000] [--start] [--events] [--d1-ms 40 --do-ms 10]

Latency of POST /v1/leads against a router (loopback only), against a floor of the same runtime doing one
D1 insert, one making the lead path's calls alone (rate limit, a Durable Object, one D1 batch) and one
making design (b)'s (rate limit, one Durable Object call storing everything, D1 after the answer); stage
breakdown, peak memory and upload size, as markdown tables. Run it right after a fresh npm start to see
the cold lead.

  --url <router>       the router (default http://127.0.0.1:8787)
  --leads <n>          leads to post, 10 to 20,000 (default 2000)
  --start              start the router itself on the URL's port (as npm start does), stop it at the end
  --d1-ms <ms>         edge simulation: delay every D1 call of router and floors (the bench then starts the router)
  --do-ms <ms>         edge simulation: delay every Durable Object call of router and floors
  --replica-ms <ms>    edge simulation: delay of a read from D1's nearest read replica (default --do-ms:
                       a replica is as near as a rep's object; the primary is --d1-ms away)
  --gap-ms <ms>        wait this long between leads (default 0): with a gap longer than the isolate caches'
                       TTLs (5 s), each lead finds them expired, as on a router with little traffic
  --events             a team that sends signal events (posted first, one for every second lead): every
                       lead then reads its events before scoring (without: a team with none, no read)
  --floor-port <n>     the floor worker's port (default the router's + 1)
  --stages-port <n>    the stage worker's port (default the router's + 2)
  --help               this text
`, {
  url: { type: "string", default: "http://127.0.0.1:8787" },
  leads: { type: "string", default: "2000" },
  start: { type: "boolean", default: false },
  events: { type: "boolean", default: false },
  "gap-ms": { type: "string", default: "0" },
  "d1-ms": { type: "string", default: "0" },
  "do-ms": { type: "string", default: "0" },
  "replica-ms": { type: "string" },
  "floor-port": { type: "string" },
  "stages-port": { type: "string" },
});
const base = loopbackUrl(values.url!);
const count = Math.min(Math.max(Number(values.leads), 10), 20_000);
const d1Ms = Math.max(0, Number(values["d1-ms"]));
const doMs = Math.max(0, Number(values["do-ms"]));
const replicaMs = Math.max(0, Number(values["replica-ms"] ?? doMs));
const gapMs = Math.max(0, Number(values["gap-ms"]) || 0);
const delays: Record<string, string> = { ...(d1Ms > 0 ? { BENCH_D1_MS: String(d1Ms), BENCH_D1_REPLICA_MS: String(replicaMs) } : {}), ...(doMs > 0 ? { BENCH_DO_MS: String(doMs) } : {}) };
const routerPort = Number(base.port || 80);
const floorPort = Number(values["floor-port"] ?? routerPort + 1);
const stagesPort = Number(values["stages-port"] ?? routerPort + 2);
const mode = (gapMs > 0 ? `${gapMs} ms between leads (the isolate's caches expired for each); ` : "") + (values.events ? "a team that sends events (every lead reads them); " : "a team with no events (no read); ") + (d1Ms > 0 || doMs > 0 ? `edge simulation: every D1 call +${d1Ms} ms (a read from a replica +${replicaMs} ms), every Durable Object call +${doMs} ms (router and floors alike)` : "local runtime, no added delay");
// Delays need a router started with them: the bench starts its own then.
const ownRouter = values.start || Object.keys(delays).length > 0 ? await startRouter(routerPort, delays) : undefined;
process.on("exit", () => void ownRouter?.stop());
const admin = localAdminToken();
const run = randomBytes(3).toString("hex");
const secret = `whsec_bench_${randomBytes(16).toString("hex")}`;

const peakRssMiB = (pids: number[]) =>
  Math.max(
    0,
    ...pids.map((pid) => {
      try {
        return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
      } catch {
        return 0; // a process that has ended since (not the router's)
      }
    }),
  );
// The router's workerd processes, taken before the bench starts workers of its own.
const routerPids = workerdPids();

// A team of its own, ten reps with room for every lead, so each lead goes through reservation.
// A team of its own, ten reps with room for every lead, so each lead goes through reservation. With --events,
// another team (events stay in the local state: a later run without them must find a team with none).
const team = values.events ? "bench-events" : "bench";
const siteKey = values.events ? "pk_bench_events" : "pk_bench";
await api(base, admin, "PUT", `/v1/admin/teams/${team}`, { name: team });
for (let r = 1; r <= 10; r++) {
  await api(base, admin, "PUT", `/v1/admin/reps/${team}-${r}`, {
    teamId: team, name: `Bench rep ${r}`, email: `${team}-${r}@router.example`, role: r % 2 ? "ae" : "sdr", maxOpen: 10_000, maxPerDay: 10_000,
  });
}
await api(base, admin, "PUT", `/v1/admin/sites/${siteKey}`, { name: team, teamId: team, signingSecrets: [secret], requireSignature: true, dedupeWindowSeconds: 0 });
if (values.events) {
  const { secret: eventsToken } = await api<{ secret: string }>(base, admin, "POST", "/v1/admin/tokens", { name: `bench events ${run}`, scopes: ["events:write"], teamId: team });
  const emails = Array.from({ length: Math.ceil(count / 2) }, (_, k) => benchLead(2 * k + 1, run).email);
  for (let k = 0; k < emails.length; k += 500) {
    const events = emails.slice(k, k + 500).map((email, j) => ({ id: `bench-${run}-${k + j}`, type: "page_view", subject: { email }, occurredAt: new Date(Date.now() - 3_600_000).toISOString(), source: "bench" }));
    await api(base, eventsToken, "POST", "/v1/events", { events });
  }
}

function summary(results: readonly PostResult[]) {
  const ms = results.map((r) => r.ms).sort((a, b) => a - b);
  return { p50: quantile(ms, 0.5), p90: quantile(ms, 0.9), p99: quantile(ms, 0.99), mean: ms.reduce((a, b) => a + b, 0) / ms.length };
}
const fmt = (ms: number) => ms.toFixed(1);
const statuses = new Map<number, number>();
const tally = (r: PostResult) => statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);

// The floors: the same runtime, one D1 insert per request (`/`), the old lead path's calls alone
// (`/calls`) and design (b)'s (`/outbox`), the same bodies. They run beside the router and their posts are
// interleaved with its leads (the order rotating), so all four are measured under the same load of the machine.
const floorWorker = await startWorker("scripts/bench/floor.wrangler.toml", floorPort, ".wrangler/bench-floor", delays);
const leadResults: PostResult[] = [];
const floorResults: PostResult[] = [];
const callsResults: PostResult[] = [];
const outboxResults: PostResult[] = [];
let first: PostResult;
let hops: { n: number; rateLimitMs: number; d1InsertMs: number; d1BatchMs: number; durableObjectMs: number; outboxCallsMs: number; leadCallsMs: number };
try {
  for (let i = 0; i < 50; i++) {
    await postSignedLead(floorWorker.url, "floor", secret, benchLead(i, `warm${run}`));
    await postSignedLead(floorWorker.url, "floor", secret, benchLead(i, `warm${run}`), "/calls");
    await postSignedLead(floorWorker.url, "floor", secret, benchLead(i, `warm${run}`), "/outbox");
  }
  first = await postSignedLead(base, siteKey, secret, benchLead(0, run));
  tally(first);
  const posts = [
    async (i: number) => {
      const r = await postSignedLead(base, siteKey, secret, benchLead(i, run));
      tally(r);
      leadResults.push(r);
    },
    async (i: number) => void floorResults.push(await postSignedLead(floorWorker.url, "floor", secret, benchLead(i, run))),
    async (i: number) => void callsResults.push(await postSignedLead(floorWorker.url, "floor", secret, benchLead(i, run), "/calls")),
    async (i: number) => void outboxResults.push(await postSignedLead(floorWorker.url, "floor", secret, benchLead(i, run), "/outbox")),
  ];
  for (let i = 1; i <= count; i++) {
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
    for (let k = 0; k < posts.length; k++) await posts[(i + k) % posts.length]!(i);
  }
  hops = (await (await fetch(new URL("/hops?n=500", floorWorker.url))).json()) as typeof hops;
} finally {
  await floorWorker.stop();
}
const peakMiB = peakRssMiB(routerPids);

// Features and inference, batched inside workerd (one lead per ORT run, as on the lead path).
const stagesWorker = await startWorker("scripts/bench/stages.wrangler.toml", stagesPort, ".wrangler/bench-stages");
let batched: { n: number; firstSessionMs: number; sessionCreateMs: number; featuresUsPerLead: number; inferenceUsPerLead: number };
try {
  batched = (await (await fetch(new URL("/run?n=5000", stagesWorker.url))).json()) as typeof batched;
} finally {
  await stagesWorker.stop();
}

const dryRun = spawnSync("wrangler", ["deploy", "--dry-run", "--outdir", ".wrangler/bench-dist"], { encoding: "utf8", env: offlineEnv() });
const upload = /Total Upload:\s*([\d.]+ KiB)\s*\/\s*gzip:\s*([\d.]+ KiB)/.exec(dryRun.stdout + dryRun.stderr);

const leadsSummary = summary(leadResults);
const floorSummary = summary(floorResults);
const callsSummary = summary(callsResults);
const outboxSummary = summary(outboxResults);
console.log(`\nMode: ${mode}`);
console.log(`POST /v1/leads against ${base.origin}: the first lead, then ${count} sequential signed leads, each beside a post of the same body to a worker doing one D1 insert (the floor), one to a worker making the lead path's calls alone (rate limit, a Durable Object, one D1 batch) and one making design (b)'s (rate limit, one Durable Object call storing everything; D1 after the answer), interleaved in rotating order. The ratios are the leads' to each floor; the last column is design (b)'s calls alone to the one-insert floor (what (b) would start from before any of the router's own work)\n`);
console.log("| measure | leads (ms) | floor: one D1 insert (ms) | ratio | the lead path's calls alone (ms) | ratio | design (b)'s calls alone (ms) | ratio | (b) calls / one insert |\n|---|---|---|---|---|---|---|---|---|");
for (const k of ["p50", "p90", "p99", "mean"] as const) {
  const ratio = (of: number, to = leadsSummary[k]) => `${(to / of).toFixed(2)}×`;
  console.log(`| ${k} | ${fmt(leadsSummary[k])} | ${fmt(floorSummary[k])} | ${ratio(floorSummary[k])} | ${fmt(callsSummary[k])} | ${ratio(callsSummary[k])} | ${fmt(outboxSummary[k])} | ${ratio(outboxSummary[k])} | ${ratio(floorSummary[k], outboxSummary[k])} |`);
}
console.log(`\nFirst lead (cold on a fresh \`npm start\`): ${fmt(first.ms)} ms; its stages: ${[...first.timing].map(([k, v]) => `${k} ${v}`).join(", ")}`);

const stageNames = [...new Set(leadResults.flatMap((r) => [...r.timing.keys()]))];
console.log("\n| stage (Server-Timing, 1 ms clock) | median ms | p99 ms |\n|---|---|---|");
for (const name of stageNames) {
  const v = leadResults.map((r) => r.timing.get(name) ?? 0).sort((a, b) => a - b);
  console.log(`| ${name} | ${fmt(quantile(v, 0.5))} | ${fmt(quantile(v, 0.99))} |`);
}
console.log(`\n| one call of each kind the lead path makes, in sequence (${hops.n} each, inside the runtime) | ms |\n|---|---|`);
console.log(`| Rate Limiting check | ${hops.rateLimitMs.toFixed(2)} |\n| D1 insert (the floor's one call) | ${hops.d1InsertMs.toFixed(2)} |`);
console.log(`| D1 batch of three inserts (the lead, its decision, its lineage) | ${hops.d1BatchMs.toFixed(2)} |\n| Durable Object RPC with one SQLite write (the reservation) | ${hops.durableObjectMs.toFixed(2)} |`);
console.log(`| the lead path's calls (rate limit, reservation, batch of three), in sequence | ${hops.leadCallsMs.toFixed(2)} |\n| design (b)'s calls: rate limit, then one Durable Object call storing reservation, lead, decision and lineage | ${hops.outboxCallsMs.toFixed(2)} |`);
console.log(`\n| batched inside workerd (${batched.n} leads) | µs per lead |\n|---|---|`);
console.log(`| features | ${batched.featuresUsPerLead.toFixed(1)} |\n| ORT inference (one run per lead) | ${batched.inferenceUsPerLead.toFixed(1)} |`);
console.log(`\nORT in a fresh isolate: first session ${fmt(batched.firstSessionMs)} ms (WASM runtime and model), a second one ${fmt(batched.sessionCreateMs)} ms (the model alone)`);
console.log(`Router runtime peak RSS (workerd VmHWM): ${peakMiB.toFixed(0)} MiB`);
console.log(`Upload (wrangler deploy --dry-run): ${upload ? `${upload[1]} raw, ${upload[2]} gzip` : "not found in wrangler's output"}`);
console.log(`Statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
if ([...statuses].some(([s]) => s >= 300)) process.exitCode = 1;
const floorFailures = [...floorResults, ...callsResults, ...outboxResults].filter((r) => r.status !== 201).length;
if (floorFailures > 0) {
  console.log(`Floor answers other than 201: ${floorFailures} (its figures do not count)`);
  process.exitCode = 1;
}
await ownRouter?.stop();
