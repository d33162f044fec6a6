/**
 * `npm run bench:webhooks -- [--url http://127.0.0.1:8787] [--leads 600] [--receiver-port 8867]`: does a
 * webhook subscription slow the lead path? Against a running router (`npm start`, which allows loopback
 * receivers), posts signed leads in rotating blocks to three like teams — two without a subscription
 * (their difference is the noise), one subscribed to every decision — so all see the same warm-up and
 * machine noise, and compares the POST /v1/leads latency of each. A receiver in this process takes the deliveries; the lag from the
 * answer to the delivery's arrival is reported too. Loopback only; prints markdown tables.
 */
import { randomBytes } from "node:crypto";
import { Worker } from "node:worker_threads";
import { parseArgs } from "node:util";
import { benchLead } from "./bench/leads.ts";
import { api, localAdminToken, loopbackUrl, postSignedLead, quantile, type PostResult } from "./lib/local-router.ts";

const { values } = parseArgs({ options: { url: { type: "string", default: "http://127.0.0.1:8787" }, leads: { type: "string", default: "600" }, "receiver-port": { type: "string", default: "8867" } } });
const base = loopbackUrl(values.url!);
const count = Math.min(Math.max(Number(values.leads), 20), 20_000);
const port = Number(values["receiver-port"]);
const BLOCK = 20;
const admin = localAdminToken();
const run = randomBytes(3).toString("hex");
const secret = `whsec_bench_${randomBytes(16).toString("hex")}`;

// The receiver runs on a thread of its own, so taking deliveries costs the timing loop here nothing.
// Each delivery's arrival (epoch ms, by decision id) comes back as a message.
const RECEIVER = `
  const { createServer } = require("node:http");
  const { parentPort, workerData } = require("node:worker_threads");
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const at = performance.timeOrigin + performance.now();
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      if (body.data && body.data.decision) parentPort.postMessage({ id: body.data.decision.id, at });
      res.writeHead(200).end("ok");
    });
  });
  server.listen(workerData.port, "127.0.0.1", () => parentPort.postMessage({ listening: true }));
`;
const arrived = new Map<string, number>();
const receiver = new Worker(RECEIVER, { eval: true, workerData: { port } });
const now = () => performance.timeOrigin + performance.now();
await new Promise<void>((resolve) =>
  receiver.on("message", (m: { listening?: true; id?: string; at?: number }) => (m.listening ? resolve() : arrived.set(m.id!, m.at!))),
);

// Three like teams (ten reps with room for every lead each); only one subscribes.
const groups = [
  { name: "off (a)", team: "bench-wh-a", results: [] as PostResult[] },
  { name: "on", team: "bench-wh-on", results: [] as PostResult[] },
  { name: "off (b)", team: "bench-wh-b", results: [] as PostResult[] },
];
const site = (team: string) => `pk_${team.replaceAll("-", "_")}`;
for (const { team } of groups) {
  await api(base, admin, "PUT", `/v1/admin/teams/${team}`, { name: team });
  for (let r = 1; r <= 10; r++) {
    await api(base, admin, "PUT", `/v1/admin/reps/${team}-${r}`, { teamId: team, name: `${team} rep ${r}`, email: `${team}-${r}@router.example`, role: r % 2 ? "ae" : "sdr", maxOpen: 10_000, maxPerDay: 10_000 });
  }
  await api(base, admin, "PUT", `/v1/admin/sites/${site(team)}`, { name: team, teamId: team, signingSecrets: [secret], requireSignature: true, dedupeWindowSeconds: 0 });
}
const sub = await api<{ id: string }>(base, admin, "POST", "/v1/admin/webhooks", {
  teamId: "bench-wh-on", url: `http://127.0.0.1:${port}/bench`, events: ["decision.assigned", "decision.queued", "decision.nurtured", "review.held"],
});

const answeredAt = new Map<string, number>();
let i = 0;
// One warm-up block per team, not counted.
for (const { team } of groups) for (let k = 0; k < BLOCK; k++) await postSignedLead(base, site(team), secret, benchLead(i++, run));
for (let block = 0; block * BLOCK < count; block++) {
  const group = groups[block % groups.length]!;
  for (let k = 0; k < BLOCK; k++) {
    const r = await postSignedLead(base, site(group.team), secret, benchLead(i++, run));
    group.results.push(r);
    const id = (JSON.parse(r.body) as { decision?: { id: string } }).decision?.id;
    if (group.name === "on" && id) answeredAt.set(id, now());
  }
}
// Deliveries still in the queue arrive within a few seconds.
const deadline = Date.now() + 30_000;
while ([...answeredAt.keys()].some((id) => !arrived.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
await api(base, admin, "DELETE", `/v1/admin/webhooks/${sub.id}`);
await receiver.terminate();

const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, p50: quantile(s, 0.5), p90: quantile(s, 0.9), p99: quantile(s, 0.99) };
};
const fmt = (ms: number) => ms.toFixed(1);
const row = (name: string, ms: number[]) => {
  const s = stats(ms);
  return `| ${name} | ${s.n} | ${fmt(s.p50)} | ${fmt(s.p90)} | ${fmt(s.p99)} |`;
};
console.log(`\nPOST /v1/leads (ms, from this process), ${BLOCK}-lead blocks rotating\n`);
console.log("| subscription | leads | p50 | p90 | p99 |\n|---|---|---|---|---|");
for (const g of groups) console.log(row(g.name, g.results.map((r) => r.ms)));
// Inside the Worker (Server-Timing: parse, store, context, score, reserve, write): the lead path's own time.
const inside = (rs: PostResult[]) => rs.map((r) => [...r.timing.values()].reduce((x, y) => x + y, 0));
console.log(`\nInside the Worker (sum of Server-Timing stages, ms)\n`);
console.log("| subscription | leads | p50 | p90 | p99 |\n|---|---|---|---|---|");
for (const g of groups) console.log(row(g.name, inside(g.results)));
const lags = [...answeredAt].filter(([id]) => arrived.has(id)).map(([id, t]) => arrived.get(id)! - t);
console.log(`\nDeliveries: ${lags.length} of ${answeredAt.size} decisions arrived; lag from answer to arrival (ms)\n`);
console.log("| | n | p50 | p90 | p99 |\n|---|---|---|---|---|");
if (lags.length) console.log(row("lag", lags));
const bad = groups.flatMap((g) => g.results).filter((r) => r.status !== 201).length;
if (bad) console.log(`\n${bad} posts were not answered 201`);
