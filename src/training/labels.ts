/**
 * Reads a label column into 0 / 1, refusing anything that is not exactly two classes. Numeric labels are
 * compared as numbers, so `1.0` and `1` are one class (spreadsheets write both); a value that is neither
 * class is named, never silently counted as a negative.
 */

/** A label problem; the message names the column, the values seen and what to pass instead. */
export class LabelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LabelError";
  }
}

/** Positive values that need no `--positive` when the other class is their usual opposite. */
const KNOWN_PAIRS: ReadonlyArray<[string, string]> = [["1", "0"], ["yes", "no"], ["true", "false"], ["y", "n"], ["converted", "not_converted"], ["won", "lost"]];

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The class a cell belongs to: a number's canonical text (`1.0` → `1`), otherwise the trimmed text. */
export function labelClass(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const s = String(value).trim();
  if (s === "") return undefined;
  return NUMBER.test(s) ? String(Number(s)) : s;
}

export type Labels = {
  labels: Uint8Array;
  /** The positive class as compared (canonical text) and the negative one. */
  positive: string;
  negative: string;
  /** Rows per raw spelling, e.g. { "1": 900, "1.0": 300, "0": 8000 }: spellings a class merged. */
  spellings: Record<string, number>;
};

const list = (counts: Map<string, number>) => [...counts].map(([v, n]) => `"${v}" (${n} rows)`).join(", ");

/**
 * Turns the label column of `rows` into 0 / 1. `positive` may be left out when the two classes are an
 * obvious pair (1/0, yes/no, true/false, y/n, case-insensitive).
 */
export function readLabels(rows: readonly Record<string, unknown>[], column: string, positive?: string | number | boolean): Labels {
  const classes = new Map<string, number>();
  const spellings: Record<string, number> = {};
  const canon: string[] = [];
  rows.forEach((r, i) => {
    const c = labelClass(r[column]);
    if (c === undefined) {
      throw new LabelError(`row ${i + 1}: the label column "${column}" is empty (fill it in, or drop the row)`);
    }
    canon.push(c);
    classes.set(c, (classes.get(c) ?? 0) + 1);
    const raw = String(r[column]).trim();
    spellings[raw] = (spellings[raw] ?? 0) + 1;
  });
  if (classes.size !== 2) {
    const what = classes.size < 2 ? "only one value" : `${classes.size} values`;
    throw new LabelError(`the label column "${column}" must have exactly two values, it has ${what}: ${list(classes)} (choose another --label, or map the values to two classes first)`);
  }
  const [a, b] = [...classes.keys()] as [string, string];
  let pos: string;
  if (positive === undefined || String(positive).trim() === "") {
    const pair = KNOWN_PAIRS.find(([p, n]) => [a, b].map((v) => v.toLowerCase()).sort().join() === [p, n].sort().join());
    if (!pair) throw new LabelError(`the label column "${column}" has ${list(classes)}: pass --positive with the value that means converted`);
    pos = a.toLowerCase() === pair[0] ? a : b;
  } else {
    const wanted = labelClass(positive)!;
    const match = [a, b].find((v) => v === wanted) ?? [a, b].find((v) => v.toLowerCase() === wanted.toLowerCase());
    if (!match) throw new LabelError(`--positive "${String(positive)}" is not a value of the label column "${column}", which has ${list(classes)}`);
    pos = match;
  }
  return { labels: Uint8Array.from(canon, (c) => (c === pos ? 1 : 0)), positive: pos, negative: pos === a ? b : a, spellings };
}
