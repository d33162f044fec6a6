/**
 * A strict CSV reader for training data (RFC 4180: comma separator, double-quoted fields with "" as an
 * escaped quote, quoted fields may span lines, LF or CRLF). Strict because a silently mis-parsed row
 * trains a wrong model: every problem throws a CsvError naming the row, its line and the column.
 */

/** A problem in the CSV. `row` counts data rows from 1 (0 = the header); `line` is the file's line. */
export class CsvError extends Error {
  constructor(message: string, readonly row: number, readonly line: number, readonly column?: string) {
    super(message);
    this.name = "CsvError";
  }
}

export type CsvValue = string | number | null;
export type CsvRow = Record<string, CsvValue>;
export type CsvOptions = {
  /** Columns parsed as numbers (an empty cell reads as null, i.e. missing); text there is an error. */
  numericColumns?: readonly string[];
  /** The label column: must be in the header. */
  labelColumn?: string;
  /** Other columns the header must have (e.g. every column the feature spec reads). */
  requiredColumns?: readonly string[];
};

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

type RawRecord = { fields: string[]; line: number };

/** Splits text into records, tracking the line each starts on. */
function* records(text: string, columnName: (index: number, row: number) => string | undefined): Generator<RawRecord> {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let row = 0;
  while (i < text.length) {
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let value = "";
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= text.length) {
            throw new CsvError(`${where(row, start, columnName(fields.length, row))}: unterminated quoted field`, row, start, columnName(fields.length, row));
          }
          const ch = text[i]!;
          if (ch === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (ch === "\n") line++;
          value += ch;
          i++;
        }
        if (i < text.length && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r") {
          const col = columnName(fields.length, row);
          throw new CsvError(`${where(row, start, col)}: unexpected text after a closing quote`, row, start, col);
        }
      } else {
        const from = i;
        while (i < text.length && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r") i++;
        value = text.slice(from, i);
        if (value.includes('"')) {
          const col = columnName(fields.length, row);
          throw new CsvError(`${where(row, start, col)}: a quote inside an unquoted field (quote the whole field)`, row, start, col);
        }
      }
      fields.push(value);
      if (text[i] === ",") {
        i++;
        continue;
      }
      break;
    }
    if (text[i] === "\r") i++;
    if (text[i] === "\n") i++;
    line++;
    yield { fields, line: start };
    row++;
  }
}

function where(row: number, line: number, column?: string): string {
  const at = row === 0 ? `header (line ${line})` : `row ${row} (line ${line})`;
  return column === undefined ? at : `${at}, column "${column}"`;
}

/**
 * Parses CSV text with a header row into one object per data row (header names as keys). Numeric
 * columns become numbers (or null when empty); the rest stay strings. Trailing blank lines are ignored;
 * any other row whose field count differs from the header's is an error.
 */
export function parseCsv(text: string, options: CsvOptions = {}): { header: string[]; rows: CsvRow[] } {
  if (text.trim() === "") throw new CsvError("empty file: no header row", 0, 1);
  let header: string[] = [];
  // Spreadsheet exports often end every line with a comma: unnamed columns at the end of the header are
  // dropped, provided every row leaves them empty.
  let trailing = 0;
  const rows: CsvRow[] = [];
  const numeric = new Set(options.numericColumns ?? []);
  const blank: RawRecord[] = [];
  for (const rec of records(text, (k, row) => (row === 0 ? undefined : header[k]))) {
    if (header.length === 0) {
      header = rec.fields.map((h) => h.trim());
      while (header.length > 1 && header.at(-1) === "") {
        header.pop();
        trailing++;
      }
      checkHeader(header, options);
      continue;
    }
    // A blank line is only an error when a row follows it (editors leave blank lines at the end).
    if (rec.fields.length === 1 && rec.fields[0] === "" && header.length > 1) {
      blank.push(rec);
      continue;
    }
    if (blank.length > 0) ragged(blank[0]!, rows.length + 1, header);
    const rowNumber = rows.length + 1;
    if (trailing > 0 && rec.fields.length > header.length && rec.fields.length <= header.length + trailing) {
      const extra = rec.fields.slice(header.length);
      const k = extra.findIndex((f) => f.trim() !== "");
      if (k >= 0) {
        throw new CsvError(`${where(rowNumber, rec.line)}: column ${header.length + k + 1} has no name in the header but holds "${extra[k]}" (name the column, or delete the value)`, rowNumber, rec.line);
      }
      rec.fields.length = header.length;
    }
    if (rec.fields.length !== header.length) ragged(rec, rowNumber, header);
    const out: CsvRow = {};
    header.forEach((name, k) => {
      const cell = rec.fields[k]!;
      if (!numeric.has(name)) {
        out[name] = cell;
        return;
      }
      const t = cell.trim();
      if (t === "") out[name] = null;
      else if (NUMBER.test(t)) out[name] = Number(t);
      else throw new CsvError(`${where(rowNumber, rec.line, name)}: expected a number, got "${cell}" (fix the cell, leave it empty for the spec's default, or make the feature a category)`, rowNumber, rec.line, name);
    });
    rows.push(out);
  }
  if (rows.length === 0) throw new CsvError("the file has a header but no data rows", 0, 1);
  return { header, rows };
}

function checkHeader(header: string[], options: CsvOptions): void {
  const seen = new Set<string>();
  header.forEach((h, k) => {
    if (h === "") throw new CsvError(`header (line 1): column ${k + 1} has no name (name it, or delete the column)`, 0, 1);
    if (seen.has(h)) throw new CsvError(`header (line 1): column "${h}" appears twice (rename one of them)`, 0, 1, h);
    seen.add(h);
  });
  const list = header.join(", ");
  if (options.labelColumn !== undefined && !seen.has(options.labelColumn)) {
    throw new CsvError(`header (line 1): missing label column "${options.labelColumn}" (columns: ${list}; pass --label with one of them)`, 0, 1, options.labelColumn);
  }
  for (const c of [...(options.numericColumns ?? []), ...(options.requiredColumns ?? [])]) {
    if (!seen.has(c)) throw new CsvError(`header (line 1): missing column "${c}" that the feature spec reads (columns: ${list}; fix the spec's source or the file)`, 0, 1, c);
  }
}

function ragged(rec: RawRecord, row: number, header: string[]): never {
  const n = rec.fields.length;
  const col = n < header.length ? header[n]! : header[header.length - 1]!;
  const detail = n < header.length ? `no value for column "${col}" onwards` : `extra value after the last column "${col}"`;
  throw new CsvError(`row ${row} (line ${rec.line}): ${n} fields, the header has ${header.length} (${detail})`, row, rec.line, col);
}
