/**
 * `npm run bench -- [--url http://127.0.0.1:8787] [--leads 200]`: latency of POST /v1/leads against a
 * running router (start it with `npm start`), measured from this separate process. Sequential posts; the
 * first one is reported apart (on a fresh `npm start` it includes the model load). Loopback only.
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { url: { type: "string", default: "http://127.0.0.1:8787" }, leads: { type: "string", default: "200" } },
});
const url = new URL(values.url!);
if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) throw new Error("bench only targets loopback addresses");
const count = Math.min(Number(values.leads), 20_000);

const INDUSTRIES = ["software", "finance", "healthcare", "manufacturing", "retail", "education", "other"];
const TITLES = ["CTO", "VP Sales", "Marketing Manager", "Engineer", "Director of IT", "Student", "Founder"];
function lead(i: number) {
  return {
    email: `bench${i}@${i % 4 === 0 ? "gmail.com" : `company${i % 97}.example`}`,
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
  const t0 = performance.now();
  const res = await fetch(`${url.origin}/v1/leads`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(lead(i)) });
  await res.arrayBuffer();
  return { ms: performance.now() - t0, status: res.status, timing: res.headers.get("server-timing") };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

const first = await post(0);
const rest: number[] = [];
let errors = first.status >= 300 ? 1 : 0;
for (let i = 1; i <= count; i++) {
  const r = await post(i);
  if (r.status >= 300) errors++;
  rest.push(r.ms);
}
rest.sort((a, b) => a - b);
console.log(`POST /v1/leads against ${url.origin} (${count} sequential leads after the first)`);
console.log("| measure | ms |\n|---|---|");
console.log(`| first lead (status ${first.status}) | ${first.ms.toFixed(1)} |`);
for (const [name, q] of [["p50", 0.5], ["p90", 0.9], ["p99", 0.99]] as const) console.log(`| ${name} | ${quantile(rest, q).toFixed(1)} |`);
console.log(`| mean | ${(rest.reduce((a, b) => a + b, 0) / rest.length).toFixed(1)} |`);
console.log(`errors: ${errors}; first lead's stages: ${first.timing}`);
