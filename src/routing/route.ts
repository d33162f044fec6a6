import { capsOf, reserveSlot } from "../capacity/capacity-client.ts";
import type { CapacitySnapshot } from "../capacity/rep-capacity.ts";
import type { RepRow } from "../db/routing-facts.ts";
import type { PlannedCandidate, RepFacts, RoutePlan } from "./plan.ts";

/** One rep considered for a lead, as recorded in lineage (enough to replay the decision). */
export type CandidateTrace = PlannedCandidate & {
  facts: RepFacts;
  snapshot: CapacitySnapshot | null;
  /** What happened when the router got to this rep. */
  result: "reserved" | "max_open" | "max_per_day" | "not_tried" | "skipped" | "error";
  detail?: string;
};

export type Execution = { repId: string | null; candidates: CandidateTrace[] };

/**
 * Carries out a plan: reserves on each available candidate's Durable Object in plan order until one
 * accepts. The Durable Object, not the snapshot, decides: a rep that filled up since its snapshot refuses
 * and the next one is tried.
 */
export async function executePlan(
  env: Env,
  leadId: string,
  plan: RoutePlan,
  reps: ReadonlyMap<string, RepRow>,
  facts: ReadonlyMap<string, RepFacts>,
  snapshots: ReadonlyMap<string, CapacitySnapshot>,
  ttlMs: number,
): Promise<Execution> {
  const traces: CandidateTrace[] = plan.candidates.map((c) => ({
    ...c,
    facts: facts.get(c.repId)!,
    snapshot: snapshots.get(c.repId) ?? null,
    result: c.available ? "not_tried" : "skipped",
  }));
  for (const trace of traces) {
    if (!trace.available) continue;
    try {
      const res = await reserveSlot(env, trace.repId, leadId, capsOf(reps.get(trace.repId)!), ttlMs, { weight: trace.facts.weight, floor: trace.fairFloor });
      if (res.ok) {
        trace.result = "reserved";
        return { repId: trace.repId, candidates: traces };
      }
      trace.result = res.reason;
    } catch (err) {
      trace.result = "error";
      trace.detail = String(err);
    }
  }
  return { repId: null, candidates: traces };
}
