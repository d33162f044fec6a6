/**
 * The router's one per-isolate cache. Every short-lived view of D1 an isolate keeps (sites, the active
 * policy, the model registry, running experiments, the latest drift run, a team's routing facts) is a
 * TtlCache: a value is trusted for its cache's TTL, so a change made elsewhere reaches this isolate within
 * that time; a change made here calls `invalidate` on the cache it touches, and `invalidateAllCaches`
 * forgets everything (tests; a fresh isolate starts that way).
 *
 * Only resolved values are stored, never a pending promise: a promise tied to one request's I/O must not be
 * awaited by another request (workerd cancels or hangs it when the first request ends).
 */
export type TtlCache<K, V> = {
  /** The cached value for `key`, or `load()`'s (then cached) when missing or older than the TTL. */
  get(key: K, load: () => Promise<V>): Promise<V>;
  /** The cached value if fresh, without loading. */
  peek(key: K): V | undefined;
  /** Forgets one key, or every key. */
  invalidate(key?: K): void;
};

const all = new Set<{ invalidate(): void }>();

/** Creates a cache whose entries live `ttlMs`; `maxEntries` bounds it (the oldest entry goes first). */
export function ttlCache<K, V>(ttlMs: number, maxEntries = 1_000): TtlCache<K, V> {
  const entries = new Map<K, { at: number; value: V }>();
  const fresh = (key: K) => {
    const hit = entries.get(key);
    return hit && Date.now() - hit.at <= ttlMs ? hit : undefined;
  };
  const cache: TtlCache<K, V> = {
    async get(key, load) {
      const hit = fresh(key);
      if (hit) return hit.value;
      const value = await load();
      entries.delete(key);
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(key, { at: Date.now(), value });
      return value;
    },
    peek: (key) => fresh(key)?.value,
    invalidate(key?: K) {
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
