/**
 * `npm run profile -- [--url http://127.0.0.1:8787] [--leads 600] [--inspector 9229] [--out lead-path.cpuprofile]`:
 * where a running router (`npm start`) spends its time on the lead path. Posts sequential signed leads to a
 * team of its own and reports, per lead, the latency and the CPU each local workerd process used (from
 * /proc: locally everything on the lead path shares those processes, so CPU per lead is what latency follows).
 * With `--out`, also a V8 CPU profile of the Worker's isolate through `wrangler dev`'s inspector (open it in
 * Chrome DevTools), and its costliest functions by self time. Loopback only.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { benchLead } from "./bench/leads.ts";
import { parseCli } from "./lib/cli.ts";
import { api, localAdminToken, loopbackUrl, postSignedLead, quantile, workerdPids } from "./lib/local-router.ts";

const { values, fail } = parseCli("profile", `
Usage: npm run profile -- [--url http://127.0.0.1:8787] [--leads 600] [--inspector 9229] [--out lead-path.cpuprofile]

Where a running router (npm start) spends its time on the lead path: latency and CPU per lead of each local
workerd process; with --out, a V8 CPU profile of the Worker's isolate and its costliest functions.

  --url <router>       the router (default http://127.0.0.1:8787)
  --leads <n>          leads to post, 50 to 20,000 (default 600)
  --inspector <port>   wrangler dev's inspector port (default 9229)
  --out <file>         write a CPU profile of the Worker's isolate there (.cpuprofile)
  --help               this text
`, {
  url: { type: "string", default: "http://127.0.0.1:8787" },
  leads: { type: "string", default: "600" },
  inspector: { type: "string", default: "9229" },
  out: { type: "string" },
});
const base = loopbackUrl(values.url!);
const count = Math.min(Math.max(Number(values.leads) || 0, 50), 20_000);
const admin = localAdminToken();
const run = randomBytes(3).toString("hex");
const secret = `whsec_profile_${randomBytes(16).toString("hex")}`;

await api(base, admin, "PUT", "/v1/admin/teams/profile", { name: "profile" });
for (let r = 1; r <= 10; r++) {
  await api(base, admin, "PUT", `/v1/admin/reps/profile-${r}`, { teamId: "profile", name: `Profile rep ${r}`, email: `profile-${r}@router.example`, role: r % 2 ? "ae" : "sdr", maxOpen: 10_000, maxPerDay: 10_000 });
}
await api(base, admin, "PUT", "/v1/admin/sites/pk_profile", { name: "profile", teamId: "profile", signingSecrets: [secret], requireSignature: true, dedupeWindowSeconds: 0 });
for (let i = 0; i < 50; i++) await postSignedLead(base, "pk_profile", secret, benchLead(i, `warm${run}`));

// This checkout's workerd processes (wrangler's proxy and the router's runtime), CPU in ms from /proc.
const pids = workerdPids();
if (pids.length === 0) fail("no workerd of this checkout is running: start the router with npm start first");
const cpuMs = () => new Map(pids.map((pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return [pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / 100] as const; // utime + stime, in 100 Hz ticks
}));

type Message = { id?: number; result?: { profile?: CpuProfile } };
type CpuProfile = { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]; samples: number[]; timeDeltas: number[] };
let inspector: WebSocket | undefined;
let stopped: Promise<CpuProfile> | undefined;
if (values.out) {
  // wrangler dev's inspector proxy takes one client, and only with an Origin it trusts.
  inspector = new WebSocket(`ws://127.0.0.1:${Number(values.inspector)}/ws`, { headers: { Origin: "http://localhost" } } as unknown as string[]);
  await new Promise((resolve, reject) => {
    inspector!.addEventListener("open", resolve);
    inspector!.addEventListener("error", () => reject(new Error(`no inspector on port ${values.inspector} (another DevTools client connected?)`)));
  });
  stopped = new Promise((resolve) => inspector!.addEventListener("message", (e) => {
    const m = JSON.parse(String(e.data)) as Message;
    if (m.id === 4 && m.result?.profile) resolve(m.result.profile);
  }));
  for (const [id, method, params] of [[1, "Profiler.enable", {}], [2, "Profiler.setSamplingInterval", { interval: 100 }], [3, "Profiler.start", {}]] as const) {
    inspector.send(JSON.stringify({ id, method, params }));
  }
  await new Promise((r) => setTimeout(r, 500));
}

const before = cpuMs();
const t0 = performance.now();
const ms: number[] = [];
for (let i = 1; i <= count; i++) {
  const r = await postSignedLead(base, "pk_profile", secret, benchLead(i, run));
  if (r.status >= 300) fail(`lead ${i} answered ${r.status}: ${r.body.slice(0, 200)}`);
  ms.push(r.ms);
}
const wall = performance.now() - t0;
const after = cpuMs();
ms.sort((a, b) => a - b);
console.log(`${count} sequential signed leads: p50 ${quantile(ms, 0.5).toFixed(1)} ms, p90 ${quantile(ms, 0.9).toFixed(1)} ms, wall ${(wall / count).toFixed(2)} ms per lead\n`);
console.log("| workerd process | CPU ms per lead |\n|---|---|");
for (const pid of pids) {
  const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  const role = args.some((a) => a.startsWith("--inspector-addr")) ? "the router's runtime" : "wrangler's proxy";
  console.log(`| ${pid} (${role}) | ${((after.get(pid)! - before.get(pid)!) / count).toFixed(2)} |`);
}

if (inspector && stopped) {
  inspector.send(JSON.stringify({ id: 4, method: "Profiler.stop" }));
  const profile = await stopped;
  inspector.close();
  writeFileSync(values.out!, JSON.stringify(profile));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop() ?? ""}:${f.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  });
  console.log(`\nCPU profile of the Worker's isolate: ${values.out} (samples attribute native work loosely)\n\n| function (bundle line) | self ms per lead |\n|---|---|`);
  for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`| ${key} | ${(us / 1000 / count).toFixed(3)} |`);
}
process.exit(0);
