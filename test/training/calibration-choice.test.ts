import { describe, expect, it } from "vitest";
import { sigmoid } from "../../src/scoring/calibration.ts";
import { chooseCalibration } from "../../src/training/calibration-choice.ts";
import { mulberry32 } from "../../src/training/rng.ts";

/** Margins with labels drawn from sigmoid(truth(margin)). */
function sample(n: number, truth: (m: number) => number, seed = 1) {
  const rand = mulberry32(seed);
  const margins = Float64Array.from({ length: n }, () => (rand() - 0.5) * 6);
  const labels = Uint8Array.from(margins, (m) => (rand() < sigmoid(truth(m)) ? 1 : 0));
  return { margins, labels };
}

describe("calibration chosen on held-out folds", () => {
  it("keeps none when the margin is already a calibrated logit", () => {
    const { margins, labels } = sample(4000, (m) => m);
    const choice = chooseCalibration(margins, labels);
    expect(choice.calibration.method).toBe("none");
    expect(choice.scores.none).toBeLessThan(choice.scores.isotonic!);
  });

  it("picks Platt when the margin is over-confident by a constant factor", () => {
    const { margins, labels } = sample(4000, (m) => 0.4 * m - 0.5);
    const choice = chooseCalibration(margins, labels);
    expect(choice.calibration).toMatchObject({ method: "platt" });
    expect(choice.scores.platt).toBeLessThan(choice.scores.none!);
  });

  it("picks isotonic when the true map is a step no sigmoid can follow", () => {
    const { margins, labels } = sample(6000, (m) => (m > 0 ? 2 : -2));
    const choice = chooseCalibration(margins, labels);
    expect(choice.calibration.method).toBe("isotonic");
    expect(choice.scores.isotonic).toBeLessThan(choice.scores.platt!);
  });

  it("scores only the methods it is given", () => {
    const { margins, labels } = sample(500, (m) => m);
    const choice = chooseCalibration(margins, labels, { methods: ["platt"] });
    expect(Object.keys(choice.scores)).toEqual(["platt"]);
    expect(choice.calibration.method).toBe("platt");
  });
});
