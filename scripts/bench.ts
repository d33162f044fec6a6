/**
 * `npm run bench -- [--url http://127.0.0.1:8787] [--leads 200]`: latency of POST /v1/leads against a
 * running router (`npm start`), measured from this separate process. It registers a signed server site
 * (server posts are not limited per client IP) with the local admin token, then posts sequentially; the
 * first post is reported apart (on a fresh `npm start` it includes loading the model). Loopback only.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { signBody } from "../src/intake/signature.ts";

const { values } = parseArgs({
  options: { url: { type: "string", default: "http://127.0.0.1:8787" }, leads: { type: "string", default: "200" } },
});
const url = new URL(values.url!);
if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) throw new Error("bench only targets loopback addresses");
const count = Math.min(Number(values.leads), 20_000);
const { admin } = JSON.parse(readFileSync(".wrangler/local-tokens.json", "utf8")) as { admin: string };
const secret = `whsec_bench_${randomBytes(16).toString("hex")}`;
const site = await fetch(`${url.origin}/v1/admin/sites/pk_bench`, {
  method: "PUT",
  headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
  body: JSON.stringify({ name: "bench", teamId: "demo", signingSecrets: [secret], requireSignature: true, dedupeWindowSeconds: 0 }),
});
if (!site.ok) throw new Error(`could not register the bench site: ${site.status} ${await site.text()}`);

const INDUSTRIES = ["software", "finance", "healthcare", "manufacturing", "retail", "education", "other"];
const TITLES = ["CTO", "VP Sales", "Marketing Manager", "Engineer", "Director of IT", "Student", "Founder"];
const run = randomBytes(3).toString("hex");
function lead(i: number) {
  return {
    email: `bench${run}-${i}@${i % 4 === 0 ? "gmail.com" : `company${i % 97}.example`}`,
    company: `Company ${i % 97}`,
    employees: 5 + ((i * 7919) % 5000),
    industry: INDUSTRIES[i % INDUSTRIES.length],
    country: ["US", "GB", "DE", "FR", "IN"][i % 5],
    job_title: TITLES[i % TITLES.length],
    source: ["organic", "paid_search", "referral", "event"][i % 4],
    pages_viewed: i % 30,
    demo_requested: i % 5 === 0,
  };
}

async function post(i: number): Promise<{ ms: number; status: number; timing: string | null }> {
  const body = new TextEncoder().encode(JSON.stringify(lead(i)));
  const headers = { "content-type": "application/json", "x-site-key": "pk_bench", "lead-router-signature": await signBody(secret, body) };
  const t0 = performance.now();
  const res = await fetch(`${url.origin}/v1/leads`, { method: "POST", headers, body });
  await res.arrayBuffer();
  return { ms: performance.now() - t0, status: res.status, timing: res.headers.get("server-timing") };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

const first = await post(0);
const rest: number[] = [];
const statuses = new Map<number, number>([[first.status, 1]]);
for (let i = 1; i <= count; i++) {
  const r = await post(i);
  statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  rest.push(r.ms);
}
rest.sort((a, b) => a - b);
console.log(`POST /v1/leads against ${url.origin}: the first lead, then ${count} sequential leads`);
console.log("| measure | ms |\n|---|---|");
console.log(`| first lead | ${first.ms.toFixed(1)} |`);
for (const [name, q] of [["p50", 0.5], ["p90", 0.9], ["p99", 0.99]] as const) console.log(`| ${name} | ${quantile(rest, q).toFixed(1)} |`);
console.log(`| mean | ${(rest.reduce((a, b) => a + b, 0) / rest.length).toFixed(1)} |`);
console.log(`statuses: ${JSON.stringify(Object.fromEntries(statuses))}; first lead's stages: ${first.timing}`);
const failed = [...statuses].filter(([s]) => s >= 300).reduce((a, [, n]) => a + n, 0);
if (failed > 0) process.exitCode = 1;
