import { describe, expect, it } from "vitest";
import { countRules, horizonLabel } from "../../src/training/horizon-labels.ts";

const DAY = 86_400_000;
const decided = Date.UTC(2026, 0, 1);
const at = (days: number) => decided + days * DAY;

describe("labels with a horizon", () => {
  it("is 1 as soon as an opportunity or win comes within the horizon, open or not", () => {
    expect(horizonLabel(decided, [{ type: "opportunity_created", occurredAt: at(30) }], 90, at(31))).toMatchObject({ label: 1, rule: "converted_in_horizon" });
    expect(horizonLabel(decided, [{ type: "contacted", occurredAt: at(1) }, { type: "won", occurredAt: at(90) }], 90, at(400))).toMatchObject({ label: 1, rule: "converted_in_horizon" });
  });

  it("is censored while the horizon is open without a conversion, worked or not", () => {
    expect(horizonLabel(decided, [], 90, at(89))).toMatchObject({ label: null, rule: "censored", horizonEndsAt: at(90) });
    expect(horizonLabel(decided, [{ type: "lost", occurredAt: at(5) }], 90, at(89))).toMatchObject({ label: null, rule: "censored" });
  });

  it("is 0 once the horizon passed: unworked, lost, or converted too late", () => {
    expect(horizonLabel(decided, [], 90, at(90))).toMatchObject({ label: 0, rule: "horizon_passed_unworked" });
    expect(horizonLabel(decided, [{ type: "lost", occurredAt: at(5) }], 90, at(91))).toMatchObject({ label: 0, rule: "horizon_passed" });
    expect(horizonLabel(decided, [{ type: "won", occurredAt: at(91) }], 90, at(120))).toMatchObject({ label: 0, rule: "converted_after_horizon" });
  });

  it("counts every rule, zeros included", () => {
    const labels = [horizonLabel(decided, [], 90, at(100)), horizonLabel(decided, [], 90, at(1)), horizonLabel(decided, [], 90, at(200))];
    expect(countRules(labels)).toEqual({ converted_in_horizon: 0, horizon_passed: 0, horizon_passed_unworked: 2, converted_after_horizon: 0, censored: 1 });
  });
});
