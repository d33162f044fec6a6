import { backgroundRunner } from "./background.ts";

/**
 * The router's one per-isolate cache. Every short-lived view of D1 an isolate keeps (sites, the active
 * policy, the model registry, running experiments, the latest drift run, a team's routing facts) is a
 * TtlCache: a value is trusted for its cache's TTL, so a change made elsewhere reaches this isolate within
 * that time; a change made here calls `invalidate` on the cache it touches, and `invalidateAllCaches`
 * forgets everything (tests; a fresh isolate starts that way).
 *
 * Only resolved values are stored, never a pending promise: a promise tied to one request's I/O must not be
 * awaited by another request (workerd cancels or hangs it when the first request ends).
 *
 * Inside an invocation that can run work after its answer (its waitUntil, see ./background.ts), an entry
 * past half its TTL is reloaded in the background while it still answers (refresh ahead: under steady
 * traffic a lead never waits on the reload, and no value older than the TTL is ever answered). A cache made
 * with `staleMs` may also answer a value up to `ttlMs + staleMs` old while it reloads that way (for an
 * isolate that was idle). With no background runner (cron, queue) an expired entry loads in line.
 */
export type TtlCache<K, V> = {
  /** The cached value for `key`, or `load()`'s (then cached) when missing or older than the TTL. */
  get(key: K, load: () => Promise<V>): Promise<V>;
  /** The cached value if fresh, without loading. */
  peek(key: K): V | undefined;
  /** The value last stored for `key` whatever its age, without loading: a guess to act on speculatively, never an answer. */
  last(key: K): V | undefined;
  /** Forgets one key, or every key. */
  invalidate(key?: K): void;
};

const all = new Set<{ invalidate(): void }>();

/**
 * Creates a cache whose entries live `ttlMs`; `maxEntries` bounds it (the oldest entry goes first); `staleMs`
 * lets an expired entry answer that much longer while it reloads in the background.
 */
export function ttlCache<K, V>(ttlMs: number, maxEntries = 1_000, staleMs = 0): TtlCache<K, V> {
  const entries = new Map<K, { at: number; value: V }>();
  // Keys reloading in the background, since when; and a count of invalidations, so a reload that began
  // before one does not store what it read.
  const reloading = new Map<K, number>();
  let generation = 0;
  const fresh = (key: K) => {
    const hit = entries.get(key);
    return hit && Date.now() - hit.at <= ttlMs ? hit : undefined;
  };
  const store = (key: K, value: V) => {
    entries.delete(key);
    if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
    entries.set(key, { at: Date.now(), value });
  };
  /** Reloads `key` after the answer, once at a time; false when this invocation cannot run work after it. */
  const reloadAfter = (key: K, load: () => Promise<V>, now: number): boolean => {
    const background = backgroundRunner();
    if (!background) return false;
    // A reload lost with its invocation is tried again after a TTL.
    if (now - (reloading.get(key) ?? -Infinity) > ttlMs) {
      reloading.set(key, now);
      const started = generation;
      background(
        load()
          .then((value) => started === generation && store(key, value))
          .catch((err: unknown) => console.error("cache reload failed; the cached value stands until it expires", err))
          .finally(() => reloading.delete(key)),
      );
    }
    return true;
  };
  const cache: TtlCache<K, V> = {
    async get(key, load) {
      const now = Date.now();
      const hit = entries.get(key);
      const age = hit ? now - hit.at : Infinity;
      if (age <= ttlMs) {
        if (age > ttlMs / 2) reloadAfter(key, load, now);
        return hit!.value;
      }
      if (age <= ttlMs + staleMs && reloadAfter(key, load, now)) return hit!.value;
      const value = await load();
      store(key, value);
      return value;
    },
    peek: (key) => fresh(key)?.value,
    last: (key) => entries.get(key)?.value,
    invalidate(key?: K) {
      generation++;
      if (key === undefined) entries.clear();
      else entries.delete(key);
    },
  };
  all.add(cache);
  return cache;
}

/** Registers another per-isolate store (e.g. capacity hints) so `invalidateAllCaches` clears it too. */
export function registerCache(store: { invalidate(): void }): void {
  all.add(store);
}

/** Forgets every cached value in this isolate. */
export function invalidateAllCaches(): void {
  for (const c of all) c.invalidate();
}
