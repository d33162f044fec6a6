/** Shared by `npm run bench` and `npm run loadtest`: talking to a router that `npm start` runs locally. */
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, readlinkSync } from "node:fs";
import { signBody } from "../../src/intake/signature.ts";
import { offlineEnv } from "./offline-env.ts";

/** The router's URL; only loopback addresses are accepted, so no run ever leaves this machine. */
export function loopbackUrl(value: string): URL {
  const url = new URL(value);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) throw new Error(`${value}: only loopback addresses are allowed`);
  return url;
}

/** The admin token `npm start` wrote for this checkout. */
export function localAdminToken(): string {
  try {
    return (JSON.parse(readFileSync(".wrangler/local-tokens.json", "utf8")) as { admin: string }).admin;
  } catch {
    throw new Error("no .wrangler/local-tokens.json: run `npm start` first");
  }
}

/** A JSON call to the router's API that throws on anything but 2xx. */
export async function api<T = unknown>(base: URL, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const call = () =>
    fetch(new URL(path, base), {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  // A kept-alive socket the dev server closed while idle fails at once; a GET is safe to send again.
  const res = await call().catch((err: unknown) => (method === "GET" ? call() : Promise.reject(err)));
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

export type PostResult = { ms: number; status: number; timing: Map<string, number>; body: string };

/** Posts a lead signed with the site's secret (server-to-server: not limited per client IP). */
export async function postSignedLead(base: URL, siteKey: string, secret: string, lead: unknown, path = "/v1/leads"): Promise<PostResult> {
  const body = new TextEncoder().encode(JSON.stringify(lead));
  const headers = { "content-type": "application/json", "x-site-key": siteKey, "lead-router-signature": await signBody(secret, body) };
  const t0 = performance.now();
  const res = await fetch(new URL(path, base), { method: "POST", headers, body });
  const text = await res.text();
  return { ms: performance.now() - t0, status: res.status, timing: parseServerTiming(res.headers.get("server-timing")), body: text };
}

export function parseServerTiming(header: string | null): Map<string, number> {
  const stages = new Map<string, number>();
  for (const part of (header ?? "").split(",")) {
    const m = /^\s*([\w-]+);dur=([\d.]+)/.exec(part);
    if (m) stages.set(m[1]!, Number(m[2]));
  }
  return stages;
}

export const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** Starts a bench-only worker with `wrangler dev` on a loopback port; resolves once it answers. */
export async function startWorker(config: string, port: number, persistTo: string, vars: Record<string, string> = {}): Promise<{ url: URL; stop: () => Promise<void> }> {
  const varArgs = Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const child = spawn("wrangler", ["dev", "--config", config, "--local", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", persistTo, "--show-interactive-dev-session=false", ...varArgs], {
    stdio: ["ignore", "ignore", "inherit"],
    env: offlineEnv(),
    detached: true,
  });
  return waitForWorker(child, config, port);
}

/**
 * Starts the router as `npm start` does (migrations, seed, wrangler dev) on `port`, with `env` added (the
 * bench's BENCH_* delays), and waits until it answers. `stop` ends its whole process group.
 */
export async function startRouter(port: number, env: Record<string, string> = {}): Promise<{ url: URL; stop: () => Promise<void> }> {
  const child = spawn("tsx", ["scripts/start.ts"], { stdio: ["ignore", "ignore", "inherit"], env: { ...offlineEnv(), ...env, PORT: String(port) }, detached: true });
  const router = await waitForWorker(child, "the router", port);
  // npm start sets the demo up over HTTP once the Worker answers: ready when its admin token is accepted.
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`the router exited with ${child.exitCode}`);
    try {
      const res = await fetch(new URL("/v1/admin/teams", router.url), { headers: { authorization: `Bearer ${localAdminToken()}` } });
      if (res.ok) return router;
    } catch {
      // no token file yet, or the router is still busy setting up
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await router.stop();
  throw new Error(`the router on port ${port} was not set up in time`);
}

async function waitForWorker(child: ReturnType<typeof spawn>, config: string, port: number): Promise<{ url: URL; stop: () => Promise<void> }> {
  const url = new URL(`http://127.0.0.1:${port}/`);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      process.kill(-child.pid!, "SIGTERM");
    });
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`${config} exited with ${child.exitCode}`);
    try {
      await fetch(url);
      return { url, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  await stop();
  throw new Error(`${config} did not start on port ${port}`);
}

/** The workerd processes running now from this checkout, by pid (other checkouts on the machine may run workerd too). */
export function workerdPids(): number[] {
  return execFileSync("pgrep", ["-f", "workerd serve"], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean)
    .map(Number)
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/cwd`) === process.cwd();
      } catch {
        return false;
      }
    });
}
