/**
 * `npm run loadtest -- [--url http://127.0.0.1:8787] [--leads 20000] [--clients 64] [--reps 50] [--cap 150]`:
 * throughput and correctness under load against a running router (`npm start`). It sets up a team of its
 * own (reps with a cap that binds, a signed site, a CRM token), posts the leads from concurrent clients,
 * then checks: no errors, no rep over its cap, every lead with exactly one current decision, and the CRM
 * feed holding every current assignment. Loopback only; prints a table; exits 1 when a check fails.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { benchLead } from "./bench/leads.ts";
import { parseCli } from "./lib/cli.ts";
import { api, localAdminToken, loopbackUrl, postSignedLead, quantile } from "./lib/local-router.ts";
import { offlineEnv } from "./lib/offline-env.ts";

const { values } = parseCli("loadtest", `
Usage: npm run loadtest -- [--url http://127.0.0.1:8787] [--leads 20000] [--clients 64] [--reps 50] [--cap 150]

Throughput and correctness under load against a running router (npm start; loopback only): a team of its
own, leads posted from concurrent clients, then checks that nothing failed, no rep passed its cap, every
lead has exactly one current decision and the CRM feed holds every assignment. Exits 1 when a check fails.

  --url <router>    the router (default http://127.0.0.1:8787)
  --leads <n>       leads to post (default 20000, at most 100,000)
  --clients <n>     concurrent clients (default 64)
  --reps <n>        reps in the load-test team (default 50)
  --cap <n>         open-assignment cap per rep (default 150)
  --help            this text
`, {
  url: { type: "string", default: "http://127.0.0.1:8787" },
  leads: { type: "string", default: "20000" },
  clients: { type: "string", default: "64" },
  reps: { type: "string", default: "50" },
  cap: { type: "string", default: "150" },
});
const base = loopbackUrl(values.url!);
const total = Math.min(Number(values.leads), 100_000);
const clients = Math.min(Number(values.clients), 256);
const repCount = Math.min(Number(values.reps), 500);
const cap = Number(values.cap);
const admin = localAdminToken();
const run = randomBytes(3).toString("hex");
const team = `load-${run}`;
const secret = `whsec_load_${randomBytes(16).toString("hex")}`;

/** Reads the local D1 database the router writes (wrangler's own SQLite copy under .wrangler/state). */
function sql<T>(query: string): T[] {
  const out = spawnSync("wrangler", ["d1", "execute", "DB", "--local", "--json", "--command", query], { encoding: "utf8", env: offlineEnv(), maxBuffer: 1 << 28 });
  if (out.status !== 0) throw new Error(`wrangler d1 execute failed: ${out.stderr}`);
  return (JSON.parse(out.stdout) as { results: T[] }[])[0]!.results;
}

console.log(`setting up team ${team}: ${repCount} reps with a cap of ${cap} open leads each`);
await api(base, admin, "PUT", `/v1/admin/teams/${team}`, { name: `load test ${run}` });
for (let r = 0; r < repCount; r++) {
  await api(base, admin, "PUT", `/v1/admin/reps/${team}-${r}`, {
    teamId: team, name: `Load rep ${r}`, email: `load-${r}@router.example`, role: r % 2 ? "ae" : "sdr", maxOpen: cap, maxPerDay: 10_000,
  });
}
const siteKey = `pk_load_${run}`;
await api(base, admin, "PUT", `/v1/admin/sites/${siteKey}`, { name: `load ${run}`, teamId: team, signingSecrets: [secret], requireSignature: true, dedupeWindowSeconds: 0 });
const crm = await api<{ secret: string }>(base, admin, "POST", "/v1/admin/tokens", { name: `load crm ${run}`, scopes: ["crm:read"], teamId: team });

console.log(`posting ${total} leads from ${clients} concurrent clients`);
const latencies: number[] = [];
const statuses = new Map<number, number>();
let next = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: clients }, async () => {
    for (let i = next++; i < total; i = next++) {
      const r = await postSignedLead(base, siteKey, secret, benchLead(i, run)).catch(() => ({ ms: 0, status: 0 }));
      latencies.push(r.ms);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
  }),
);
const seconds = (performance.now() - t0) / 1000;
latencies.sort((a, b) => a - b);

// Correctness, from the database and the CRM's side.
const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
const [leadCount] = sql<{ n: number }>(`SELECT COUNT(*) AS n FROM leads WHERE team_id = ${q(team)}`);
const [notOne] = sql<{ n: number }>(
  `SELECT COUNT(*) AS n FROM leads l WHERE l.team_id = ${q(team)} AND (SELECT COUNT(*) FROM decisions d WHERE d.lead_id = l.id AND d.is_current = 1) <> 1`,
);
const perRep = sql<{ rep_id: string; n: number }>(
  `SELECT rep_id, COUNT(*) AS n FROM decisions WHERE team_id = ${q(team)} AND is_current = 1 AND outcome = 'assigned' GROUP BY rep_id`,
);
const outcomes = sql<{ outcome: string; n: number }>(`SELECT outcome, COUNT(*) AS n FROM decisions WHERE team_id = ${q(team)} AND is_current = 1 GROUP BY outcome`);
const assignedIds = new Set(sql<{ id: string }>(`SELECT id FROM decisions WHERE team_id = ${q(team)} AND is_current = 1 AND outcome = 'assigned'`).map((r) => r.id));
const fed = new Set<string>();
for (let cursor = "0"; ; ) {
  const page = await api<{ data: { id: string; current: boolean }[]; nextCursor: string; hasMore: boolean }>(base, crm.secret, "GET", `/v1/assignments?limit=500&cursor=${cursor}`);
  for (const a of page.data) if (a.current) fed.add(a.id);
  if (!page.hasMore) break;
  cursor = page.nextCursor;
}
const missingFromFeed = [...assignedIds].filter((id) => !fed.has(id)).length;
const overCap = perRep.filter((r) => r.n > cap);
const errors = [...statuses].filter(([s]) => s !== 201).reduce((a, [, n]) => a + n, 0);

const checks: [string, string, boolean][] = [
  ["leads/s", (total / seconds).toFixed(0), true],
  ["latency p50 / p99 (ms)", `${quantile(latencies, 0.5).toFixed(1)} / ${quantile(latencies, 0.99).toFixed(1)}`, true],
  ["errors (any answer but 201)", String(errors), errors === 0],
  ["leads stored", `${leadCount!.n} of ${total}`, leadCount!.n === total],
  ["leads without exactly one current decision", String(notOne!.n), notOne!.n === 0],
  ["reps over their cap", `${overCap.length} (busiest: ${Math.max(0, ...perRep.map((r) => r.n))} of ${cap})`, overCap.length === 0],
  ["current assignments missing from the CRM feed", `${missingFromFeed} of ${assignedIds.size}`, missingFromFeed === 0],
];
console.log(`\n${total} leads, ${clients} clients, ${repCount} reps (cap ${cap}), ${seconds.toFixed(1)} s; outcomes: ${outcomes.map((o) => `${o.outcome} ${o.n}`).join(", ")}\n`);
console.log("| check | value | ok |\n|---|---|---|");
for (const [name, value, ok] of checks) console.log(`| ${name} | ${value} | ${ok ? "yes" : "**NO**"} |`);
if (checks.some(([, , ok]) => !ok)) process.exitCode = 1;
