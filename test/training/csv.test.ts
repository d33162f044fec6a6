import { describe, expect, it } from "vitest";
import { CsvError, parseCsv } from "../../src/training/csv.ts";

const OPTS = { labelColumn: "output", numericColumns: ["age"] };

function errorOf(text: string, options = OPTS): CsvError {
  try {
    parseCsv(text, options);
  } catch (err) {
    if (err instanceof CsvError) return err;
    throw err;
  }
  throw new Error("expected a CsvError");
}

describe("CSV reader", () => {
  it("reads quoted fields, escaped quotes, newlines in quotes, CRLF and numbers", () => {
    const text = 'age,job,output\r\n41,"admin., senior",yes\r\n,"says ""hi""\non two lines",no\r\n 7 ,x,no\n';
    const { header, rows } = parseCsv(text, OPTS);
    expect(header).toEqual(["age", "job", "output"]);
    expect(rows).toEqual([
      { age: 41, job: "admin., senior", output: "yes" },
      { age: null, job: 'says "hi"\non two lines', output: "no" },
      { age: 7, job: "x", output: "no" },
    ]);
  });

  it("reports an empty file", () => {
    expect(errorOf("").message).toMatch(/empty file/);
    expect(errorOf("\n\n").message).toMatch(/empty file/);
  });

  it("names the missing label column", () => {
    const err = errorOf("age,job\n1,x\n");
    expect(err.column).toBe("output");
    expect(err.message).toMatch(/header \(line 1\): missing label column "output"/);
  });

  it("names the row, line and column of a short row", () => {
    const err = errorOf("age,job,output\n1,x,no\n2,y\n");
    expect([err.row, err.line, err.column]).toEqual([2, 3, "output"]);
    expect(err.message).toMatch(/row 2 \(line 3\): 2 fields, the header has 3 \(no value for column "output"/);
  });

  it("names the row and column of a long row", () => {
    const err = errorOf("age,job,output\n1,x,no,extra\n");
    expect([err.row, err.column]).toEqual([1, "output"]);
    expect(err.message).toMatch(/row 1 \(line 2\): 4 fields/);
  });

  it("names the row and column of text where a number is expected", () => {
    const err = errorOf('age,job,output\n1,x,no\n"4 0","multi\nline",yes\nforty,y,no\n');
    expect([err.row, err.line, err.column]).toEqual([2, 3, "age"]);
    expect(err.message).toMatch(/row 2 \(line 3\), column "age": expected a number, got "4 0"/);
    expect(errorOf("age,job,output\n1,x,no\n2,y,no\nforty,z,no\n").message).toMatch(/row 3 \(line 4\), column "age"/);
  });

  it("names the row and column of broken quoting", () => {
    expect(errorOf('age,job,output\n1,"open,no\n').message).toMatch(/row 1 \(line 2\), column "job": unterminated/);
    expect(errorOf('age,job,output\n1,a"b,no\n').message).toMatch(/row 1 \(line 2\), column "job": a quote inside/);
    expect(errorOf('age,job,output\n1,"a"b,no\n').message).toMatch(/row 1 \(line 2\), column "job": unexpected text/);
  });

  it("names a column the feature spec reads but the header lacks", () => {
    const err = errorOf("job,output\nx,no\n");
    expect(err.column).toBe("age");
  });

  it("rejects a blank line between rows but not at the end", () => {
    expect(parseCsv("age,job,output\n1,x,no\n\n\n", OPTS).rows).toHaveLength(1);
    expect(errorOf("age,job,output\n1,x,no\n\n2,y,no\n").message).toMatch(/row 2 \(line 3\): 1 fields/);
  });

  it("rejects duplicate header names", () => {
    expect(errorOf("age,age,output\n1,2,no\n").message).toMatch(/column "age" appears twice/);
  });

  it("drops an unnamed empty last column (a trailing comma on every line)", () => {
    const { header, rows } = parseCsv("age,job,output,\n41,x,yes,\n42,y,no\n", OPTS);
    expect(header).toEqual(["age", "job", "output"]);
    expect(rows).toEqual([{ age: 41, job: "x", output: "yes" }, { age: 42, job: "y", output: "no" }]);
  });

  it("refuses a value under an unnamed last column, naming the row and the fix", () => {
    expect(errorOf("age,job,output,\n41,x,yes,oops\n").message).toMatch(/row 1 \(line 2\): column 4 has no name in the header but holds "oops" \(name the column, or delete the value\)/);
  });
});
