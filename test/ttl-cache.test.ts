import { describe, expect, it } from "vitest";
import { withBackground } from "../src/lib/background.ts";
import { ttlCache } from "../src/lib/ttl-cache.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A loader that counts its calls and answers the call's number, after a few milliseconds (like a D1 read). */
function counter() {
  let calls = 0;
  return { load: async () => (await sleep(5), ++calls), calls: () => calls };
}

describe("the per-isolate TTL cache", () => {
  it("loads once within its TTL and again after it", async () => {
    const cache = ttlCache<string, number>(30);
    const { load, calls } = counter();
    expect(await cache.get("k", load)).toBe(1);
    expect(await cache.get("k", load)).toBe(1);
    await sleep(40);
    expect(await cache.get("k", load)).toBe(2);
    expect(calls()).toBe(2);
  });

  it("keeps the last value past its TTL for a guess (last), never for an answer (peek), until invalidated", async () => {
    const cache = ttlCache<string, number>(20);
    const { load } = counter();
    await cache.get("k", load);
    await sleep(30);
    expect(cache.peek("k")).toBeUndefined();
    expect(cache.last("k")).toBe(1);
    cache.invalidate("k");
    expect(cache.last("k")).toBeUndefined();
  });

  it("with staleMs, answers the expired value at once and reloads in the invocation's background", async () => {
    const cache = ttlCache<string, number>(30, 10, 1_000);
    const { load } = counter();
    const work: Promise<unknown>[] = [];
    const inRequest = <T>(fn: () => T) => withBackground((w) => work.push(w), fn);
    expect(await inRequest(() => cache.get("k", load))).toBe(1);
    await sleep(40);
    expect(await inRequest(() => cache.get("k", load))).toBe(1);
    // A second lead while the reload runs does not start another.
    expect(await inRequest(() => cache.get("k", load))).toBe(1);
    expect(work).toHaveLength(1);
    await Promise.all(work);
    expect(await inRequest(() => cache.get("k", load))).toBe(2);
  });

  it("refreshes ahead: past half its TTL it answers the cached value and reloads after the answer, so a lead after the TTL waits on nothing", async () => {
    const cache = ttlCache<string, number>(60);
    const { load, calls } = counter();
    const work: Promise<unknown>[] = [];
    const inRequest = <T>(fn: () => T) => withBackground((w) => work.push(w), fn);
    expect(await inRequest(() => cache.get("k", load))).toBe(1);
    await sleep(10);
    expect(await inRequest(() => cache.get("k", load))).toBe(1);
    expect(work).toHaveLength(0);
    await sleep(30);
    expect(await inRequest(() => cache.get("k", load))).toBe(1);
    expect(work).toHaveLength(1);
    await Promise.all(work);
    await sleep(35);
    // 75 ms after the first load, past its TTL: the reload 40 ms in answers without a load in line.
    expect(await cache.get("k", async () => -1)).toBe(2);
    expect(calls()).toBe(2);
  });

  it("loads in line when there is no background runner, or the value is older than TTL + staleMs", async () => {
    const cache = ttlCache<string, number>(20, 10, 30);
    const { load } = counter();
    const work: Promise<unknown>[] = [];
    expect(await cache.get("k", load)).toBe(1);
    await sleep(25);
    expect(await cache.get("k", load)).toBe(2);
    await sleep(60);
    expect(await withBackground((w) => work.push(w), () => cache.get("k", load))).toBe(3);
    expect(work).toHaveLength(0);
  });

  it("does not store a background reload that began before an invalidation", async () => {
    const cache = ttlCache<string, number>(20, 10, 1_000);
    let value = 1;
    const work: Promise<unknown>[] = [];
    await cache.get("k", async () => value);
    await sleep(25);
    value = 2;
    expect(await withBackground((w) => work.push(w), () => cache.get("k", async () => {
      const read = value;
      await sleep(10);
      return read;
    }))).toBe(1);
    // Invalidated (a change in this isolate) and loaded anew while that reload still runs.
    cache.invalidate("k");
    value = 3;
    expect(await cache.get("k", async () => value)).toBe(3);
    await Promise.all(work);
    expect(await cache.get("k", async () => 99)).toBe(3);
  });
});
