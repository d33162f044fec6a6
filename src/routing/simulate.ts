import type { CapacitySnapshot } from "../capacity/rep-capacity.ts";
import type { Db } from "../db/client.ts";
import { accountsFor, repFacts, teamFacts } from "../db/routing-facts.ts";
import { getLiveModels } from "../scoring/model-store.ts";
import { familyForTeam } from "../scoring/team-family.ts";
import { scorePayloads } from "../scoring/score.ts";
import { planRoute } from "./plan.ts";
import type { Policy } from "./policy.ts";
import { readSnapshots } from "../capacity/capacity-client.ts";

export type SimulatedLead = {
  ref: string;
  probability: number | null;
  tier: string;
  escalated: string | null;
  outcome: "assigned" | "queued" | "nurture";
  repId: string | null;
  stage: string | null;
};

/**
 * Runs a draft policy over leads and returns the assignments it would make. Reserves nothing: it plans
 * against a copy of the reps' current counters and counts its own assignments into that copy, so a rep
 * at cap stops receiving simulated leads just as it would live.
 */
export async function simulatePolicy(env: Env, db: Db, policy: Policy, teamId: string, leads: { ref: string; payload: Record<string, unknown>; consent?: boolean | null }[]) {
  const [models, team, accounts] = await Promise.all([
    // Scored with the team's model family, as its live leads are.
    familyForTeam(env, teamId).then((family) => getLiveModels(env, family)),
    teamFacts(db, teamId),
    accountsFor(db, teamId, leads.map((l) => String(l.payload.email ?? ""))),
  ]);
  const scores = models.active ? await scorePayloads(models.active, leads.map((l) => l.payload)).catch(() => null) : null;
  const { snapshots } = await readSnapshots(env, team.reps);
  const working = new Map<string, CapacitySnapshot>([...snapshots].map(([k, v]) => [k, { ...v }]));
  const facts = team.reps.map(repFacts);
  const now = Date.now();
  const results: SimulatedLead[] = leads.map((lead, i) => {
    const probability = scores?.[i]?.probability ?? null;
    const plan = planRoute({ payload: lead.payload, probability, policy, reps: facts, account: accounts[i] ?? null, territories: team.territories, snapshots: working, now, consent: lead.consent ?? null });
    const pick = plan.candidates.find((c) => c.available) ?? null;
    if (pick) {
      const s = working.get(pick.repId)!;
      const weight = facts.find((f) => f.id === pick.repId)!.weight;
      working.set(pick.repId, { ...s, held: s.held + 1, today: s.today + 1, vtime: Math.max(s.vtime ?? 0, pick.fairFloor ?? -Infinity) + 1 / weight });
    }
    return {
      ref: lead.ref,
      probability,
      tier: plan.tier.name,
      escalated: plan.escalated,
      outcome: !plan.tier.pool ? "nurture" : pick ? "assigned" : "queued",
      repId: pick?.repId ?? null,
      stage: pick?.stage ?? null,
    };
  });
  const count = (key: (r: SimulatedLead) => string | null) =>
    results.reduce<Record<string, number>>((acc, r) => {
      const k = key(r) ?? "none";
      acc[k] = (acc[k] ?? 0) + 1;
      return acc;
    }, {});
  return { mode: scores ? "model" : "rules", results, summary: { byTier: count((r) => r.tier), byRep: count((r) => r.repId), byOutcome: count((r) => r.outcome) } };
}
