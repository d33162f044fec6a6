import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY, PolicySchema, tierForProbability, tierForRules } from "../src/routing/policy.ts";

describe("policy", () => {
  it("accepts the default policy", () => {
    expect(PolicySchema.safeParse(DEFAULT_POLICY).success).toBe(true);
  });

  it("refuses a policy whose tiers leave some probabilities without a tier", () => {
    const bad = { ...DEFAULT_POLICY, tiers: DEFAULT_POLICY.tiers.filter((t) => t.minProbability > 0) };
    expect(PolicySchema.safeParse(bad).success).toBe(false);
  });

  it("refuses a rule naming an unknown tier", () => {
    const bad = { ...DEFAULT_POLICY, rules: [{ path: "x", equals: true, tier: "vip" }] };
    expect(PolicySchema.safeParse(bad).success).toBe(false);
  });

  it("picks the highest tier whose threshold the probability reaches", () => {
    expect(tierForProbability(DEFAULT_POLICY, 0.6).name).toBe("ae");
    expect(tierForProbability(DEFAULT_POLICY, 0.59).name).toBe("sdr");
    expect(tierForProbability(DEFAULT_POLICY, 0.25).name).toBe("sdr");
    expect(tierForProbability(DEFAULT_POLICY, 0.1).name).toBe("nurture");
  });

  it("is monotone: a higher probability never lands in a lower tier", () => {
    const rank = new Map(DEFAULT_POLICY.tiers.map((t) => [t.name, t.minProbability]));
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(rank.get(tierForProbability(DEFAULT_POLICY, hi).name)!).toBeGreaterThanOrEqual(rank.get(tierForProbability(DEFAULT_POLICY, lo).name)!);
      }),
    );
  });

  it("routes on rules when there is no model: a demo request goes to AEs, others to the fallback tier", () => {
    expect(tierForRules(DEFAULT_POLICY, { demo_requested: true }).name).toBe("ae");
    expect(tierForRules(DEFAULT_POLICY, { demo_requested: "true" }).name).toBe("ae");
    expect(tierForRules(DEFAULT_POLICY, { demo_requested: false }).name).toBe("sdr");
    expect(tierForRules(DEFAULT_POLICY, {}).name).toBe("sdr");
  });
});
