import type { CapacitySnapshot } from "../capacity/rep-capacity.ts";
import { canonicalJson, newId, sha256Hex } from "../lib/hashing.ts";
import { decide } from "./decide.ts";
import { loadDecisionContext } from "./decision-context.ts";
import type { Policy } from "./policy.ts";

export type SimulatedLead = {
  ref: string;
  probability: number | null;
  tier: string;
  escalated: string | null;
  outcome: "assigned" | "queued" | "nurture";
  repId: string | null;
  stage: string | null;
};

/** A lead to simulate: a stored one (its id, email and arrival time feed signals as live), or a posted payload. */
export type SimulationInput = { ref: string; payload: Record<string, unknown>; lead?: { id: string; email: string; receivedAt: number; inputHash: string; consent: boolean | null } };

/**
 * Runs a draft policy over leads and returns the decisions it would make, through the same context loading
 * and the same pure `decide` as live routing (the live model, signals, drift and skew guards; the team's
 * facts). Reserves nothing: it decides against a copy of the reps' current counters and counts its own
 * assignments into that copy, so a rep at cap stops receiving simulated leads just as it would live.
 */
export async function simulatePolicy(env: Env, policy: Policy, teamId: string, leads: SimulationInput[]) {
  const working = new Map<string, CapacitySnapshot>();
  const results: SimulatedLead[] = [];
  let mode: "model" | "rules" = "rules";
  for (const input of leads) {
    const lead = input.lead ?? { id: newId("sim"), email: String(input.payload.email ?? ""), receivedAt: Date.now(), inputHash: await sha256Hex(canonicalJson(input.payload)) };
    const { context } = await loadDecisionContext(env, { ...lead, teamId, payload: input.payload }, { policy: { version: 0, policy } });
    // Counters as this simulation has moved them: its own earlier assignments count.
    const snapshots = new Map(context.snapshots);
    for (const [repId, s] of working) snapshots.set(repId, s);
    const plan = decide({ ...context, snapshots });
    if (context.score) mode = "model";
    const pick = plan.candidates.find((c) => c.repId === plan.repId);
    if (plan.repId && pick) {
      // As the rep's object would: one more held, and its fair-share clock moved on by 1 / weight.
      const s = snapshots.get(plan.repId)!;
      working.set(plan.repId, { ...s, held: s.held + 1, today: s.today + 1, vtime: Math.max(s.vtime ?? 0, pick.fairFloor ?? -Infinity) + 1 / pick.facts.weight });
    }
    results.push({
      ref: input.ref,
      probability: context.score?.probability ?? null,
      tier: plan.plan.tier.name,
      escalated: plan.plan.escalated,
      outcome: plan.outcome,
      repId: plan.repId,
      stage: pick?.stage ?? null,
    });
  }
  const count = (key: (r: SimulatedLead) => string | null) =>
    results.reduce<Record<string, number>>((acc, r) => {
      const k = key(r) ?? "none";
      acc[k] = (acc[k] ?? 0) + 1;
      return acc;
    }, {});
  return { mode, results, summary: { byTier: count((r) => r.tier), byRep: count((r) => r.repId), byOutcome: count((r) => r.outcome) } };
}
