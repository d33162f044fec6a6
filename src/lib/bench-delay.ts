/**
 * Edge simulation for `npm run bench -- --d1-ms 40 --do-ms 10 [--replica-ms 10]`: every D1 call and every
 * Durable Object call waits a fixed delay first, as a round trip to D1's primary or to a rep's object would on
 * the network. A read through a D1 session that may use a replica (Sessions API: `first-unconstrained` or a
 * bookmark) waits the replica's delay instead (the nearest of D1's read replicas, as near as a rep's object);
 * a `first-primary` session waits the primary's. Active only when the bench starts `wrangler dev` with
 * `--var BENCH_D1_MS:… --var BENCH_DO_MS:… --var BENCH_D1_REPLICA_MS:…`; those vars are not in wrangler.toml,
 * so normal runs, tests and deploys never have them and get `env` untouched.
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
type Fn = (...args: unknown[]) => unknown;
// Reflect.apply, never `.apply`/`.bind`: on an RPC stub those names are remote methods.
const call = (fn: unknown, self: object, args: unknown[]) => Reflect.apply(fn as Fn, self, args);
const later = (ms: number, fn: unknown, self: object) => async (...args: unknown[]) => (await sleep(ms), call(fn, self, args));
const bound = (fn: unknown, self: object) => (...args: unknown[]) => call(fn, self, args);
const STATEMENT_CALLS = new Set(["first", "all", "run", "raw"]);

/** A D1 binding or one of its sessions (they share prepare and batch). */
type D1Like = Pick<D1Database, "prepare" | "batch">;

function delayedD1<T extends D1Like>(db: T, ms: number, replicaMs: number): T {
  const real = new WeakMap<object, D1PreparedStatement>();
  const statement = (s: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(s, {
      get(target, prop) {
        if (prop === "bind") return (...args: unknown[]) => statement(target.bind(...args));
        const value = Reflect.get(target, prop) as unknown;
        if (typeof value !== "function") return value;
        return STATEMENT_CALLS.has(String(prop)) ? later(ms, value, target) : bound(value, target);
      },
    });
    real.set(proxy, s);
    return proxy;
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => statement(target.prepare(query));
      if (prop === "batch") return async (statements: D1PreparedStatement[]) => (await sleep(ms), target.batch(statements.map((s) => real.get(s) ?? s)));
      if (prop === "exec") return async (query: string) => (await sleep(ms), (target as unknown as D1Database).exec(query));
      if (prop === "withSession") {
        return (constraint?: string) => delayedD1((target as unknown as D1Database).withSession(constraint), constraint === "first-primary" ? ms : replicaMs, replicaMs);
      }
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === "function" ? bound(value, target) : value;
    },
  });
}

function delayedStub<T extends object>(stub: T, ms: number): T {
  return new Proxy(stub, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      // `then` must stay undefined (a stub is not a promise); RPC methods wait first.
      if (prop === "then" || typeof value !== "function") return value;
      return later(ms, value, target);
    },
  });
}

function delayedNamespace<T extends DurableObjectNamespace<never>>(ns: T, ms: number): T {
  return new Proxy(ns, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== "function") return value;
      if (prop === "get" || prop === "getByName") return (...args: unknown[]) => delayedStub(call(value, target, args) as object, ms);
      return bound(value, target);
    },
  });
}

/**
 * `env` with its D1 and Durable Object bindings delayed when the bench vars ask for it, else `env` itself.
 * `d1` and `durableObjects` name the bindings to wrap.
 */
export function withBenchDelays<E extends object>(env: E, bindings: { d1: (keyof E)[]; durableObjects: (keyof E)[] }): E {
  const vars = env as Record<string, unknown>;
  const d1Ms = Number(vars.BENCH_D1_MS ?? 0);
  const doMs = Number(vars.BENCH_DO_MS ?? 0);
  const replicaMs = Number(vars.BENCH_D1_REPLICA_MS ?? d1Ms);
  if (!(d1Ms > 0) && !(doMs > 0)) return env;
  const out = { ...env } as Record<keyof E, unknown>;
  if (d1Ms > 0) for (const b of bindings.d1) out[b] = delayedD1(env[b] as D1Database, d1Ms, replicaMs);
  if (doMs > 0) for (const b of bindings.durableObjects) out[b] = delayedNamespace(env[b] as DurableObjectNamespace<never>, doMs);
  return out as E;
}
