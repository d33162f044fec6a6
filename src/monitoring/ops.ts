import { percentiles, type Percentiles } from "./stats.ts";
import type { WindowRow } from "./window.ts";

export type OpsSummary = {
  decisions: number;
  /** Latency percentiles (ms) per stage recorded in lineage, and of their sum. */
  latency: Record<string, Percentiles>;
  /** Share of decisions routed on rules only (no usable model, or a drift guard). */
  fallbackRate: number;
  fallbackReasons: Record<string, number>;
  /** Share of decided leads that needed more than one attempt (a failed first request). */
  errorRate: number;
  /** Assignments re-routed because the CRM did not accept them within the SLA. */
  slaBreaches: number;
  byOutcome: Record<string, number>;
};

/** Operations over a window of decisions (pure). Fallback reasons are grouped by their first words. */
export function opsSummary(rows: readonly WindowRow[]): OpsSummary {
  const stages = new Set(rows.flatMap((r) => Object.keys(r.timings)));
  const latency: Record<string, Percentiles> = {};
  for (const stage of stages) latency[stage] = percentiles(rows.map((r) => r.timings[stage]).filter((v): v is number => typeof v === "number"));
  latency.total = percentiles(rows.map((r) => Object.values(r.timings).reduce((s, v) => s + (typeof v === "number" ? v : 0), 0)));
  const fallbacks = rows.filter((r) => r.mode === "rules");
  const fallbackReasons: Record<string, number> = {};
  for (const r of fallbacks) {
    const key = (r.fallbackReason ?? "unknown").split(/[:(]/)[0]!.trim().slice(0, 60) || "unknown";
    fallbackReasons[key] = (fallbackReasons[key] ?? 0) + 1;
  }
  const byOutcome: Record<string, number> = {};
  for (const r of rows) byOutcome[r.outcome] = (byOutcome[r.outcome] ?? 0) + 1;
  const n = rows.length;
  return {
    decisions: n,
    latency,
    fallbackRate: n ? fallbacks.length / n : 0,
    fallbackReasons,
    errorRate: n ? rows.filter((r) => r.attempts > 0).length / n : 0,
    slaBreaches: rows.filter((r) => r.crmNote === "sla breach").length,
    byOutcome,
  };
}
