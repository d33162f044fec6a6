import type { CapacitySnapshot, RepCaps } from "../capacity/rep-capacity.ts";
import type { RepRow } from "../db/reps.ts";
import { rankCandidates } from "./rank.ts";

/** One rep considered for a lead, as recorded in lineage. */
export type CandidateTrace = {
  repId: string;
  expectedValue: number;
  loadRatio: number;
  snapshot: CapacitySnapshot | null;
  /** What happened when the router got to this rep. */
  result: "reserved" | "max_open" | "max_per_day" | "not_tried" | "unavailable" | "error";
  detail?: string;
};

export type RouteResult =
  | { outcome: "assigned"; repId: string; candidates: CandidateTrace[]; reason: string }
  | { outcome: "queued"; repId: null; candidates: CandidateTrace[]; reason: string };

export function capsOf(rep: RepRow): RepCaps {
  return { maxOpen: rep.maxOpen, maxPerDay: rep.maxPerDay, timezone: rep.timezone };
}

export function capacityStub(env: Env, repId: string) {
  return env.REP_CAPACITY.getByName(repId);
}

/**
 * Picks a rep for a lead: snapshots every candidate's counters, ranks them, then reserves on each rep's
 * Durable Object in rank order until one accepts. The Durable Object, not the snapshot, decides: a rep
 * that filled up since its snapshot refuses and the next one is tried. Nobody free → queued.
 */
export async function routeToRep(
  env: Env,
  leadId: string,
  reps: readonly RepRow[],
  probability: number,
  dealValue: number,
  loadPenalty: number,
  ttlMs: number,
): Promise<RouteResult> {
  const active = reps.filter((r) => r.status === "active");
  const away: CandidateTrace[] = reps
    .filter((r) => r.status !== "active")
    .map((r) => ({ repId: r.id, expectedValue: 0, loadRatio: 0, snapshot: null, result: "unavailable", detail: r.status }));

  const snapshots = await Promise.allSettled(active.map((r) => capacityStub(env, r.id).snapshot(capsOf(r))));
  const traces: CandidateTrace[] = [];
  const rankable = active.flatMap((rep, i) => {
    const s = snapshots[i]!;
    if (s.status === "fulfilled") return [{ repId: rep.id, weight: rep.weight, winRateFactor: rep.winRateFactor, snapshot: s.value }];
    traces.push({ repId: rep.id, expectedValue: 0, loadRatio: 0, snapshot: null, result: "error", detail: String(s.reason) });
    return [];
  });
  const byId = new Map(active.map((r) => [r.id, r]));
  const ranked = rankCandidates(rankable, probability, dealValue, loadPenalty);
  const tried: CandidateTrace[] = ranked.map((c) => ({
    repId: c.repId,
    expectedValue: c.expectedValue,
    loadRatio: c.loadRatio,
    snapshot: c.snapshot,
    result: "not_tried",
  }));

  for (const trace of tried) {
    const rep = byId.get(trace.repId)!;
    try {
      const res = await capacityStub(env, rep.id).reserve(leadId, capsOf(rep), ttlMs);
      if (res.ok) {
        trace.result = "reserved";
        return {
          outcome: "assigned",
          repId: rep.id,
          candidates: [...tried, ...traces, ...away],
          reason: `highest expected value with room among ${ranked.length} candidate(s)`,
        };
      }
      trace.result = res.reason;
    } catch (err) {
      trace.result = "error";
      trace.detail = String(err);
    }
  }
  return {
    outcome: "queued",
    repId: null,
    candidates: [...tried, ...traces, ...away],
    reason: reps.length === 0 ? "no rep serves this tier" : "every candidate is at capacity or unavailable",
  };
}
