import { describe, expect, it } from "vitest";
import { readLabels } from "../../src/training/labels.ts";

const rows = (...values: unknown[]) => values.map((v) => ({ converted: v }));

describe("label column", () => {
  it("counts 1.0 and 1 as the same class, keeping both spellings for the report", () => {
    const l = readLabels(rows("1", "1.0", "0", "0.0", 1, 0), "converted");
    expect(Array.from(l.labels)).toEqual([1, 1, 0, 0, 1, 0]);
    expect(l).toMatchObject({ positive: "1", negative: "0", spellings: { "1": 2, "1.0": 1, "0": 2, "0.0": 1 } });
  });

  it("infers the positive class of an obvious pair and needs --positive otherwise", () => {
    expect(readLabels(rows("Yes", "no"), "converted").positive).toBe("Yes");
    expect(() => readLabels(rows("won", "open"), "converted")).toThrow(/has "won" \(1 rows\), "open" \(1 rows\): pass --positive/);
    expect(Array.from(readLabels(rows("won", "open"), "converted", "open").labels)).toEqual([0, 1]);
  });

  it("refuses a third value, naming every value with its count", () => {
    expect(() => readLabels(rows("1", "0", "yes", "1"), "converted")).toThrow(/exactly two values, it has 3 values: "1" \(2 rows\), "0" \(1 rows\), "yes" \(1 rows\)/);
  });

  it("refuses a --positive that is not a value of the column, naming both values", () => {
    expect(() => readLabels(rows("1", "0"), "converted", "yes")).toThrow(/--positive "yes" is not a value of the label column "converted", which has "1" \(1 rows\), "0" \(1 rows\)/);
  });

  it("refuses an empty label cell, naming the row", () => {
    expect(() => readLabels(rows("1", " ", "0"), "converted")).toThrow(/row 2: the label column "converted" is empty/);
  });
});
