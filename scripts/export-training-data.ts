/**
 * `npm run data:export -- --url <router> --token <admin token> --out leads.csv`: every lead with an
 * outcome, as a CSV the trainer reads (`npm run model:train -- --data leads.csv --label converted --positive 1`):
 * its form fields, then its signal aggregates as of its decision as flat columns (`events.demo_request.count_7d`,
 * `account.arr`) that a feature spec names exactly as live scoring does.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { LeadInputSchema } from "../src/schemas/lead.ts";
import type { Signals } from "../src/signals/aggregates.ts";
import { signalColumns } from "../src/signals/feature-input.ts";

const { values } = parseArgs({
  options: {
    url: { type: "string", default: "http://127.0.0.1:8787" },
    token: { type: "string", default: process.env.LEAD_ROUTER_ADMIN_TOKEN },
    out: { type: "string", default: "training-data.csv" },
  },
});
if (!values.token) throw new Error("pass --token <admin token> (or set LEAD_ROUTER_ADMIN_TOKEN)");

type Row = { leadId: string; receivedAt: string; fields: Record<string, unknown>; signals: Signals["values"]; converted: number };
const rows: Row[] = [];
let cursor = "0";
for (;;) {
  const res = await fetch(`${values.url}/v1/exports/training?cursor=${cursor}&limit=1000`, { headers: { authorization: `Bearer ${values.token}` } });
  if (!res.ok) throw new Error(`export failed (${res.status}): ${await res.text()}`);
  const page = (await res.json()) as { data: Row[]; nextCursor: string; hasMore: boolean };
  rows.push(...page.data);
  cursor = page.nextCursor;
  if (!page.hasMore) break;
}

const known = Object.keys(LeadInputSchema.shape);
const extra = [...new Set(rows.flatMap((r) => Object.keys(r.fields)))].filter((k) => !known.includes(k)).sort();
const signals = rows.map((r) => signalColumns(r.signals));
const signalNames = [...new Set(signals.flatMap((s) => Object.keys(s)))].sort();
const columns = ["lead_id", "received_at", ...known, ...extra, ...signalNames, "converted"];
const cell = (v: unknown) => {
  const s = v === undefined || v === null ? "" : String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};
const lines = [
  columns.join(","),
  ...rows.map((r, i) => [r.leadId, r.receivedAt, ...[...known, ...extra].map((k) => r.fields[k]), ...signalNames.map((k) => signals[i]![k]), r.converted].map(cell).join(",")),
];
writeFileSync(values.out!, `${lines.join("\n")}\n`);
console.log(`wrote ${rows.length} rows (${rows.filter((r) => r.converted).length} converted) to ${values.out}`);
