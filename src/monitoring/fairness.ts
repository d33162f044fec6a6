import { readPath } from "../scoring/features.ts";
import type { LeadOutcome, WindowRow } from "./window.ts";

/** Company-size bands by employees (a missing or unreadable count is `unknown`). */
export function sizeBand(employees: unknown): string {
  const n = typeof employees === "string" && employees.trim() !== "" ? Number(employees) : employees;
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0) return "unknown";
  return n < 50 ? "1-49" : n < 250 ? "50-249" : n < 1_000 ? "250-999" : n < 5_000 ? "1000-4999" : "5000+";
}

/** The segment a lead falls in for `field`: `size_band` is derived, anything else is a payload path. */
export function segmentValue(payload: Record<string, unknown>, field: string): string {
  if (field === "size_band") return sizeBand(payload.employees);
  const v = readPath(payload, field);
  if (v === undefined || v === null || v === "") return "unknown";
  return String(v).trim().toLowerCase().slice(0, 64) || "unknown";
}

export type SegmentStats = {
  value: string;
  n: number;
  tierRates: Record<string, number>;
  /** Share of the segment's leads routed to an AE tier. */
  aeRate: number;
  /** aeRate over the highest aeRate among segments with enough leads (four-fifths rule: flag below 0.8). */
  disparateImpact: number | null;
  meanProbability: number | null;
  /** Leads with an outcome: mean prediction against observed conversion. */
  labelled: number;
  meanPredictedLabelled: number | null;
  observedRate: number | null;
  /** Fewer than `minGroup` leads: shown, left out of the disparate-impact reference. */
  lowSample: boolean;
};

export type RepParity = { repId: string; n: number; share: number; meanProbability: number | null; parity: number | null; converted: number; labelled: number };

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : null);

/**
 * Fairness of routing over the current decisions of a window: per segment of each field, tier rates,
 * calibration and the disparate-impact ratio of AE routing; per rep, the mean probability of the leads
 * they got against everyone's (parity in lead quality, not only counts). Pure.
 */
export function fairnessReport(rows: readonly WindowRow[], labels: ReadonlyMap<string, LeadOutcome>, fields: readonly string[], aeTiers: ReadonlySet<string>, minGroup = 20) {
  const segments: Record<string, SegmentStats[]> = {};
  for (const field of fields) {
    const groups = new Map<string, WindowRow[]>();
    for (const r of rows) {
      const key = segmentValue(r.payload, field);
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    const stats = [...groups.entries()].map(([value, g]): SegmentStats => {
      const tierRates: Record<string, number> = {};
      for (const r of g) tierRates[r.tier] = (tierRates[r.tier] ?? 0) + 1 / g.length;
      const labelled = g.filter((r) => labels.has(r.leadId) && r.probability !== null);
      return {
        value,
        n: g.length,
        tierRates,
        aeRate: g.filter((r) => aeTiers.has(r.tier)).length / g.length,
        disparateImpact: null,
        meanProbability: mean(g.flatMap((r) => (r.probability === null ? [] : [r.probability]))),
        labelled: labelled.length,
        meanPredictedLabelled: mean(labelled.map((r) => r.probability!)),
        observedRate: mean(labelled.map((r) => labels.get(r.leadId)!.converted)),
        lowSample: g.length < minGroup,
      };
    });
    const top = Math.max(0, ...stats.filter((s) => !s.lowSample).map((s) => s.aeRate));
    for (const s of stats) s.disparateImpact = top > 0 ? s.aeRate / top : null;
    segments[field] = stats.sort((a, b) => b.n - a.n);
  }
  const overall = mean(rows.flatMap((r) => (r.probability === null ? [] : [r.probability])));
  const byRep = new Map<string, WindowRow[]>();
  for (const r of rows) if (r.repId) byRep.set(r.repId, [...(byRep.get(r.repId) ?? []), r]);
  const assigned = [...byRep.values()].reduce((s, g) => s + g.length, 0);
  const reps: RepParity[] = [...byRep.entries()].map(([repId, g]) => {
    const m = mean(g.flatMap((r) => (r.probability === null ? [] : [r.probability])));
    const labelled = g.filter((r) => labels.has(r.leadId));
    return { repId, n: g.length, share: g.length / assigned, meanProbability: m, parity: m !== null && overall ? m / overall : null, converted: labelled.filter((r) => labels.get(r.leadId)!.converted === 1).length, labelled: labelled.length };
  });
  return { n: rows.length, meanProbability: overall, segments, reps: reps.sort((a, b) => a.repId.localeCompare(b.repId)) };
}
