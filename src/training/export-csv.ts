/**
 * The training CSV `npm run data:export` writes, built from `/v1/exports/training` rows: lead_id,
 * received_at, the lead form's fields (then any extra fields), the signal aggregates as flat dotted
 * columns (`events.demo_request.count_7d`, `account.arr`), then `converted`. Pure, so a test can train
 * on exactly what the script writes.
 */
import { LeadInputSchema } from "../schemas/lead.ts";
import type { Signals } from "../signals/aggregates.ts";
import { signalColumns } from "../signals/feature-input.ts";

export type ExportRow = { leadId: string; receivedAt: string; fields: Record<string, unknown>; signals: Signals["values"]; converted: number };

/** One CSV cell: quoted when it holds a quote, comma or line break. */
export const csvCell = (v: unknown) => {
  const s = v === undefined || v === null ? "" : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/** The CSV text (header and one line per row, newline-terminated). */
export function trainingCsv(rows: readonly ExportRow[]): string {
  const known = Object.keys(LeadInputSchema.shape);
  const extra = [...new Set(rows.flatMap((r) => Object.keys(r.fields)))].filter((k) => !known.includes(k)).sort();
  const signals = rows.map((r) => signalColumns(r.signals));
  const signalNames = [...new Set(signals.flatMap((s) => Object.keys(s)))].sort();
  const columns = ["lead_id", "received_at", ...known, ...extra, ...signalNames, "converted"];
  const lines = [
    columns.map(csvCell).join(","),
    ...rows.map((r, i) => [r.leadId, r.receivedAt, ...[...known, ...extra].map((k) => r.fields[k]), ...signalNames.map((k) => signals[i]![k]), r.converted].map(csvCell).join(",")),
  ];
  return `${lines.join("\n")}\n`;
}
