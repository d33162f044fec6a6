import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { readSnapshots, reserveSlot, withoutHints } from "../src/capacity/capacity-client.ts";
import type { RepRow } from "../src/db/routing-facts.ts";
import { invalidateAllCaches } from "../src/lib/ttl-cache.ts";
import { DEFAULT_POLICY } from "../src/routing/policy.ts";
import { HOT_LEAD, call, uniqueEmail } from "./helpers.ts";
import { TOKENS } from "./setup.ts";
import { eventsToken, iso, json, postEvents } from "./signal-helpers.ts";

/**
 * A lead on an isolate whose caches have all expired (a router with little traffic: most of them) pays for
 * every remote call it makes in sequence. This records each D1 and Durable Object call a request makes with
 * its round: 1 + the highest round among the calls that had finished when it started. Each call is held a
 * little before it runs, so calls started together overlap whatever the machine's speed.
 */
type Recorded = { sql: string; round: number };

function recorder(calls: Recorded[], finished: number[]) {
  return async <R>(sql: string, run: () => Promise<R>): Promise<R> => {
    const round = 1 + Math.max(0, ...finished);
    calls.push({ sql, round });
    await new Promise((resolve) => setTimeout(resolve, 25));
    try {
      return await run();
    } finally {
      finished.push(round);
    }
  };
}

function recordingD1<T extends Pick<D1Database, "prepare" | "batch">>(db: T, calls: Recorded[], finished: number[]): T {
  const timed = recorder(calls, finished);
  const real = new WeakMap<object, { s: D1PreparedStatement; sql: string }>();
  const statement = (s: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const wrapped = new Proxy(s, {
      get(target, prop) {
        if (prop === "bind") return (...args: unknown[]) => statement(target.bind(...args), sql);
        const value = Reflect.get(target, prop) as unknown;
        if (typeof value !== "function") return value;
        if (["first", "all", "run", "raw"].includes(String(prop))) return (...args: unknown[]) => timed(sql, () => Reflect.apply(value, target, args) as Promise<unknown>);
        return (...args: unknown[]) => Reflect.apply(value, target, args);
      },
    });
    real.set(wrapped, { s, sql });
    return wrapped;
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => statement(target.prepare(sql), sql);
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) =>
          timed(`batch: ${statements.map((s) => real.get(s)?.sql).join("; ")}`, () => target.batch(statements.map((s) => real.get(s)?.s ?? s)));
      }
      if (prop === "withSession") return (constraint?: string) => recordingD1((target as unknown as D1Database).withSession(constraint), calls, finished);
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === "function" ? (...args: unknown[]) => Reflect.apply(value, target, args) : value;
    },
  });
}

/** The reps' namespace, its objects' calls recorded as `do:<method>`. */
function recordingReps(ns: Env["REP_CAPACITY"], calls: Recorded[], finished: number[]): Env["REP_CAPACITY"] {
  const timed = recorder(calls, finished);
  return new Proxy(ns, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (prop !== "getByName" || typeof value !== "function") return typeof value === "function" ? (...args: unknown[]) => Reflect.apply(value, target, args) : value;
      return (name: string) => {
        const stub = target.getByName(name);
        return new Proxy(stub, {
          get(t, method) {
            const fn = Reflect.get(t, method) as unknown;
            if (method === "then" || typeof fn !== "function") return fn;
            return (...args: unknown[]) => timed(`do:${String(method)}`, () => Reflect.apply(fn, t, args) as Promise<unknown>);
          },
        });
      };
    },
  });
}

/** Posts a lead with its D1 and reps' calls recorded; returns the calls its answer waited for, and its one write. */
async function postRecorded(lead: Record<string, unknown>, { keepCaches = false } = {}) {
  if (!keepCaches) invalidateAllCaches();
  const calls: Recorded[] = [];
  const finished: number[] = [];
  const recording = { ...env, DB: recordingD1(env.DB, calls, finished), REP_CAPACITY: recordingReps(env.REP_CAPACITY, calls, finished) } as Env;
  const res = await call("/v1/leads", { method: "POST", headers: { "content-type": "application/json", "x-site-key": "pk_demo" }, body: JSON.stringify(lead) }, recording);
  expect(res.status).toBe(201);
  const writes = calls.filter((c) => /^batch: insert into "leads"/i.test(c.sql));
  expect(writes).toHaveLength(1);
  // What the answer waited for, the reservation that goes out beside the write aside (after the write, only
  // work after the answer: the webhook event).
  return { before: calls.slice(0, calls.indexOf(writes[0]!)).filter((c) => c.sql !== "do:reserve"), write: writes[0]! };
}

const readsIn = (calls: Recorded[], round: number, table: string) => calls.some((c) => c.round === round && new RegExp(`from "?${table}"?([ ;]|$)`, "i").test(c.sql));

describe("a lead on an isolate with nothing cached", () => {
  afterEach(() => vi.restoreAllMocks());

  it("reads its site and what needs no team, then its team's context, then its reps' counters, then makes its one write", async () => {
    const { before, write } = await postRecorded({ ...HOT_LEAD, email: uniqueEmail() });
    // Round 1: the site, and beside it what needs no team: the default family's model registry, the running
    // experiments, the rules-only switches. Round 2: the team's settings, facts and policy, and whether it has
    // signal events. Round 3: the counters of its reps at work (their objects; the isolate knows no reps
    // before round 2). Then the one write (and the reservation beside it).
    for (const table of ["sites", "models", "experiments", "rules_only_switches"]) expect(readsIn(before, 1, table), table).toBe(true);
    for (const table of ["teams", "policies", "reps", "signal_events"]) expect(readsIn(before, 2, table), table).toBe(true);
    // What was read beside the site is not read again.
    expect(before.filter((c) => /from "(models|experiments|rules_only_switches)"/.test(c.sql))).toHaveLength(3);
    expect(before.filter((c) => c.round > 2 && c.sql !== "do:snapshot").map((c) => c.sql)).toEqual([]);
    expect(before.filter((c) => c.sql === "do:snapshot").map((c) => c.round)).toEqual([3, 3, 3, 3, 3]);
    expect(write.round).toBe(4);
  });

  it("with events and both guards on, reads the lead's events, the latest drift check, the skew window and its reps' counters together, in one more round", async () => {
    const drift = { ...DEFAULT_POLICY.drift, guard: "rule_only" as const };
    const guardrail = { windowMinutes: 15, minDecisions: 10, maxRepShare: 0.6, maxTierShare: 0.7 };
    const policy = await call("/v1/policies", { method: "POST", headers: json(TOKENS.admin), body: JSON.stringify({ policy: { ...DEFAULT_POLICY, drift, guardrail }, reason: "guards on" }) });
    expect(policy.status).toBe(201);
    const email = uniqueEmail();
    expect((await postEvents({ events: [{ id: "ev-1", type: "page_view", subject: { email }, occurredAt: iso(60_000), source: "web" }] }, await eventsToken())).status).toBe(201);
    const { before, write } = await postRecorded({ ...HOT_LEAD, email });
    expect(before.filter((c) => c.round > 3).map((c) => c.sql)).toEqual([]);
    for (const table of ["signal_events", "monitoring_runs", "decisions"]) expect(readsIn(before, 3, table), table).toBe(true);
    expect(before.some((c) => c.sql === "do:snapshot" && c.round === 3)).toBe(true);
    expect(write.round).toBe(4);
  });

  it("on an isolate that read its site long ago, reads the site, its team's context and its reps' counters together, then writes", async () => {
    // A first lead fills the caches; a minute later every one of them has expired, the site's included.
    await postRecorded({ ...HOT_LEAD, email: uniqueEmail() });
    const now = Date.now.bind(Date);
    vi.spyOn(Date, "now").mockImplementation(() => now() + 60_000);
    const { before, write } = await postRecorded({ ...HOT_LEAD, email: uniqueEmail() }, { keepCaches: true });
    expect(before.filter((c) => c.round > 1).map((c) => c.sql)).toEqual([]);
    for (const table of ["sites", "teams", "policies", "models", "experiments", "reps", "signal_events"]) expect(readsIn(before, 1, table), table).toBe(true);
    expect(before.some((c) => c.sql === "do:snapshot" && c.round === 1)).toBe(true);
    expect(write.round).toBe(2);
  });
});

describe("the counters a lead would have to read", () => {
  afterEach(() => vi.restoreAllMocks());

  it("are those of reps with no usable hint: none, or older than a lead may use; not a full rep read recently", async () => {
    invalidateAllCaches();
    const reps = (await env.DB.prepare("SELECT * FROM reps WHERE team_id = 'demo' ORDER BY id").all()).results.map((r) => ({
      id: r.id, maxOpen: r.max_open, maxPerDay: r.max_per_day, timezone: r.timezone,
    })) as unknown as RepRow[];
    const [full, read, ...never] = reps;
    expect(withoutHints(reps).map((r) => r.id)).toEqual(reps.map((r) => r.id));
    // A rep filled to its cap (its hint shows no room), and one with room, both read just now.
    for (let i = 0; i < full!.maxOpen; i++) expect((await reserveSlot(env, full!.id, `lead_full_${i}`, { maxOpen: full!.maxOpen, maxPerDay: full!.maxPerDay, timezone: full!.timezone }, 60_000)).ok).toBe(true);
    await readSnapshots(env, [full!, read!]);
    expect(withoutHints(reps).map((r) => r.id)).toEqual(never.map((r) => r.id));
    const now = Date.now.bind(Date);
    vi.spyOn(Date, "now").mockImplementation(() => now() + 31_000);
    expect(withoutHints(reps).map((r) => r.id)).toEqual(reps.map((r) => r.id));
  });
});
