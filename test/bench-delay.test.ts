import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { withBenchDelays } from "../src/lib/bench-delay.ts";

const bindings: { d1: (keyof Env)[]; durableObjects: (keyof Env)[] } = { d1: ["DB"], durableObjects: ["REP_CAPACITY"] };
const caps = { maxOpen: 5, maxPerDay: 5, timezone: "UTC" };

describe("the bench's edge simulation", () => {
  it("leaves env untouched unless the bench vars are set", () => {
    expect(withBenchDelays(env, bindings)).toBe(env);
  });

  it("delays every D1 call (statements and batches) and every Durable Object call by the set amounts", async () => {
    const slow = withBenchDelays({ ...env, BENCH_D1_MS: "60", BENCH_DO_MS: "30" } as Env, bindings);
    let t0 = Date.now();
    expect(await slow.DB.prepare("SELECT ?1 AS v").bind(7).first("v")).toBe(7);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
    t0 = Date.now();
    const [a, b] = await slow.DB.batch([slow.DB.prepare("SELECT 1 AS v"), slow.DB.prepare("SELECT ?1 AS v").bind(2)]);
    expect([a!.results, b!.results]).toEqual([[{ v: 1 }], [{ v: 2 }]]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
    t0 = Date.now();
    const snapshot = await slow.REP_CAPACITY.getByName("rep_ada").snapshot(caps);
    expect(snapshot).toMatchObject({ open: 0, held: 0, maxOpen: 5 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
  });

  it("delays a read through a replica session (Sessions API) by the replica's delay, a first-primary session by the primary's", async () => {
    const slow = withBenchDelays({ ...env, BENCH_D1_MS: "80", BENCH_D1_REPLICA_MS: "5" } as Env, bindings);
    let t0 = Date.now();
    const replica = slow.DB.withSession("first-unconstrained");
    expect(await replica.prepare("SELECT ?1 AS v").bind(3).first("v")).toBe(3);
    expect(Date.now() - t0).toBeLessThan(75);
    t0 = Date.now();
    const primary = slow.DB.withSession("first-primary");
    expect(await primary.prepare("SELECT 4 AS v").first("v")).toBe(4);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(75);
  });
});
