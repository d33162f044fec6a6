import type { Calibration } from "./manifest.ts";

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
export const logit = (p: number): number => {
  const q = Math.min(1 - 1e-12, Math.max(1e-12, p));
  return Math.log(q / (1 - q));
};

/** Maps the model's raw output to a calibrated probability, as the manifest's calibration says. */
export function calibrate(raw: number, kind: "logit" | "probability", cal: Calibration): number {
  switch (cal.method) {
    case "none":
      return kind === "logit" ? sigmoid(raw) : raw;
    case "platt":
      return sigmoid(cal.a * raw + cal.b);
    case "isotonic": {
      const { x, y } = cal;
      if (raw <= x[0]!) return y[0]!;
      if (raw >= x[x.length - 1]!) return y[y.length - 1]!;
      let lo = 0;
      let hi = x.length - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (x[mid]! <= raw) lo = mid;
        else hi = mid;
      }
      const t = (raw - x[lo]!) / (x[hi]! - x[lo]! || 1);
      return y[lo]! + t * (y[hi]! - y[lo]!);
    }
  }
}
