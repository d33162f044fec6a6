import { describe, expect, it } from "vitest";
import { assignArm, bucketOf, HOLDOUT } from "../src/routing/experiment-arm.ts";

const ids = (n: number) => Array.from({ length: n }, (_, i) => `lead_${i.toString(36)}_${(i * 7919) % 1000}`);

describe("experiment assignment", () => {
  const exp = { id: "exp_policy_v2", holdoutShare: 0.1, arms: [{ name: "control", share: 1 }, { name: "treatment", share: 1 }] };

  it("is stable: the same lead always gets the same arm", () => {
    for (const id of ids(500)) expect(assignArm(exp, id)).toBe(assignArm({ ...exp, arms: [...exp.arms] }, id));
  });

  it("splits near its shares, holdout included", () => {
    const n = 20_000;
    const counts: Record<string, number> = {};
    for (const id of ids(n)) counts[assignArm(exp, id)] = (counts[assignArm(exp, id)] ?? 0) + 1;
    // Three standard deviations of a binomial share at n = 20,000 is about 0.006.
    expect(Math.abs(counts[HOLDOUT]! / n - 0.1)).toBeLessThan(0.01);
    expect(Math.abs(counts.control! / n - 0.45)).toBeLessThan(0.012);
    expect(Math.abs(counts.treatment! / n - 0.45)).toBeLessThan(0.012);
  });

  it("honours unequal arm weights", () => {
    const uneven = { id: "exp_model", holdoutShare: 0, arms: [{ name: "champion", share: 9 }, { name: "challenger", share: 1 }] };
    const n = 20_000;
    const challenger = ids(n).filter((id) => assignArm(uneven, id) === "challenger").length;
    expect(Math.abs(challenger / n - 0.1)).toBeLessThan(0.01);
  });

  it("assigns independently across experiments", () => {
    const a = ids(10_000).map((id) => bucketOf("exp_a", id) < 0.5);
    const b = ids(10_000).map((id) => bucketOf("exp_b", id) < 0.5);
    const both = a.filter((v, i) => v && b[i]).length / a.length;
    expect(Math.abs(both - 0.25)).toBeLessThan(0.02);
  });

  it("puts every lead in the holdout at share 1 and none at share 0", () => {
    expect(ids(200).every((id) => assignArm({ ...exp, holdoutShare: 1 }, id) === HOLDOUT)).toBe(true);
    expect(ids(200).some((id) => assignArm({ ...exp, holdoutShare: 0 }, id) === HOLDOUT)).toBe(false);
  });
});
