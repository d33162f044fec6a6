/** A CSV record with the (1-based) file line it starts on, so problems can point at it. */
export type CsvRecord = { line: number; cells: string[] };
export type CsvTable = { header: string[]; records: CsvRecord[] };

/**
 * Parses RFC 4180 CSV as spreadsheets export it: comma separated, `"` quoting (with `""` inside), CRLF or
 * LF, a leading BOM, quoted cells that span lines. Blank lines are skipped. Throws on an unterminated
 * quote, naming its line.
 */
export function parseCsv(text: string): CsvTable {
  const src = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let cells: string[] = [];
  let cell = "";
  let line = 1;
  let start = 1;
  let quoted = false;
  let quoteLine = 0;
  const endRecord = () => {
    cells.push(cell);
    if (cells.length > 1 || cells[0]!.trim() !== "") records.push({ line: start, cells });
    cells = [];
    cell = "";
  };
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (quoted) {
      if (ch === '"' && src[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else {
        if (ch === "\n") line++;
        cell += ch;
      }
    } else if (ch === '"' && cell.trim() === "") (quoted = true), (cell = ""), (quoteLine = line);
    else if (ch === ",") cells.push(cell), (cell = "");
    else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && src[i + 1] === "\n") i++;
      endRecord();
      line++;
      start = line;
    } else cell += ch;
  }
  if (quoted) throw new Error(`line ${quoteLine}: a quoted cell is never closed`);
  if (cell !== "" || cells.length > 0) endRecord();
  const [head, ...rest] = records;
  return { header: (head?.cells ?? []).map((h) => h.trim().toLowerCase()), records: rest };
}
