import { mulberry32, shuffle } from "./rng.ts";

export type SplitIndices = { train: number[]; test: number[] };

/**
 * Stratified split of row indices: each class is shuffled with a seeded PRNG and `testShare` of it
 * (rounded) goes to the test side, so both sides keep the class balance. Classes are visited in sorted
 * order and both lists come back sorted, so the same labels and seed give the same split everywhere
 * (the sklearn comparison reads it back from `--split-out`).
 */
export function stratifiedSplit(labels: ArrayLike<number | string>, testShare = 0.2, seed = 42): SplitIndices {
  if (!(testShare >= 0 && testShare <= 1)) throw new Error(`testShare must be in [0, 1], got ${testShare}`);
  const byClass = new Map<number | string, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    const list = byClass.get(c);
    if (list) list.push(i);
    else byClass.set(c, [i]);
  }
  const rand = mulberry32(seed);
  const train: number[] = [];
  const test: number[] = [];
  const classes = [...byClass.keys()].sort((a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
  for (const c of classes) {
    const rows = shuffle(byClass.get(c)!, rand);
    const cut = Math.round(rows.length * testShare);
    for (let k = 0; k < rows.length; k++) (k < cut ? test : train).push(rows[k]!);
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}
