import type { CapacitySnapshot } from "../capacity/rep-capacity.ts";
import type { DecisionRow, LineageRow } from "../db/decisions.ts";
import type { LeadRow } from "../db/leads.ts";
import { scorePayloads } from "../scoring/score.ts";
import type { LoadedModel } from "../scoring/model-store.ts";
import { planRoute, type AccountFacts, type RepFacts, type TerritoryFacts } from "./plan.ts";
import type { Policy } from "./policy.ts";
import { reviewReasons } from "./review.ts";
import type { CandidateTrace } from "./route.ts";

type Context = { now: number; account: AccountFacts | null; territories: TerritoryFacts[]; excluded: string[] };

const REFUSED = new Set(["max_open", "max_per_day", "error"]);

/**
 * Recomputes a decision from its lineage: the same payload, the recorded rep facts, capacity snapshots and
 * clock, under the recorded (or another) model and policy version. A rep whose Durable Object refused
 * the original reservation is taken as full, since that is what the object said at the time.
 * `extraReps` covers reps the original never considered (a policy whose tier uses another pool); their
 * capacity comes from `extraSnapshots`, so such a replay is marked inexact.
 */
export async function replayDecision(input: {
  decision: DecisionRow;
  lineage: LineageRow;
  lead: LeadRow;
  model: LoadedModel | null;
  policy: Policy;
  extraReps: RepFacts[];
  extraSnapshots: ReadonlyMap<string, CapacitySnapshot>;
  /** What the model's features read (the payload with signal aggregates as of the decision); default the payload. */
  featureInput?: Record<string, unknown>;
}) {
  const { decision, lineage, lead, model, policy } = input;
  const context = lineage.context as Context;
  const traces = lineage.candidates as CandidateTrace[];
  const payload = lead.payload as Record<string, unknown>;
  const probability = model ? (await scorePayloads(model, [input.featureInput ?? payload]))[0]!.probability : null;

  const snapshots = new Map<string, CapacitySnapshot>();
  for (const t of traces) {
    if (!t.snapshot) continue;
    snapshots.set(t.repId, REFUSED.has(t.result) ? { ...t.snapshot, open: t.snapshot.maxOpen } : t.snapshot);
  }
  const recorded = new Set(traces.map((t) => t.repId));
  const extra = input.extraReps.filter((r) => !recorded.has(r.id));
  for (const r of extra) {
    const s = input.extraSnapshots.get(r.id);
    if (s) snapshots.set(r.id, s);
  }
  const plan = planRoute({
    payload,
    probability,
    policy,
    reps: [...traces.map((t) => t.facts), ...extra],
    account: context.account,
    territories: context.territories,
    snapshots,
    excludeReps: new Set(context.excluded),
    now: context.now,
    consent: lead.consent ?? null,
  });
  // A decision the policy holds for review reserves nobody: it stays queued with no rep.
  const held = plan.tier.pool !== null && reviewReasons(policy.review, { probability, dealValue: plan.dealValue, strategicAccount: context.account?.strategic ? context.account.domain : null }).length > 0;
  const pick = held ? undefined : plan.candidates.find((c) => c.available);
  const replayed = {
    outcome: !plan.tier.pool ? "nurture" : pick ? "assigned" : "queued",
    tier: plan.tier.name,
    repId: pick?.repId ?? null,
    probability,
  };
  const original = { outcome: decision.outcome, tier: decision.tier, repId: decision.repId, probability: decision.probability };
  const differences = (Object.keys(original) as (keyof typeof original)[]).filter((k) =>
    k === "probability" ? Math.abs((original.probability ?? -1) - (replayed.probability ?? -1)) > 1e-9 : original[k] !== replayed[k],
  );
  const usedExtra = pick !== undefined && !recorded.has(pick.repId);
  return { original, replayed, same: differences.length === 0, differences, exact: !usedExtra };
}
