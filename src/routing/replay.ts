import type { CapacitySnapshot } from "../capacity/rep-capacity.ts";
import type { DecisionRow, LineageRow } from "../db/decisions.ts";
import type { LeadRow } from "../db/leads.ts";
import type { LoadedModel } from "../scoring/model-store.ts";
import { scorePayloads } from "../scoring/score.ts";
import { decide, type CandidateTrace } from "./decide.ts";
import type { Attempt, DecisionContext } from "./decision-context.ts";
import type { AccountFacts, RepFacts, TerritoryFacts } from "./plan.ts";
import type { Policy } from "./policy.ts";

type Recorded = { now: number; account: AccountFacts | null; territories: TerritoryFacts[]; excluded: string[]; trigger?: string | null };

const TRIED = new Set(["reserved", "max_open", "max_per_day", "error"]);

/**
 * Recomputes a decision from its lineage with the same pure `decide` live routing used: the same payload,
 * the recorded rep facts, capacity snapshots, clock and what each rep's object answered, under the
 * recorded (or another) model and policy version. `extraReps` covers reps the original never considered (a
 * policy whose tier uses another pool); their capacity comes from `extraSnapshots`, so such a replay is
 * marked inexact. `candidates` are the lineage's, expanded (decodeCandidates).
 */
export async function replayDecision(input: {
  decision: DecisionRow;
  lineage: LineageRow;
  candidates: CandidateTrace[];
  lead: LeadRow;
  model: LoadedModel | null;
  policy: Policy;
  policyVersion: number;
  extraReps: RepFacts[];
  extraSnapshots: ReadonlyMap<string, CapacitySnapshot>;
  /** What the model's features read (the payload with signal aggregates as of the decision); default the payload. */
  featureInput?: Record<string, unknown>;
}) {
  const { decision, lineage, lead, model, policy, candidates: traces } = input;
  const recorded = lineage.context as Recorded;
  const payload = lead.payload as Record<string, unknown>;
  const score = model ? (await scorePayloads(model, [input.featureInput ?? payload]))[0]! : null;

  const snapshots = new Map<string, CapacitySnapshot>();
  const attempts = new Map<string, Attempt>();
  for (const t of traces) {
    if (t.snapshot) snapshots.set(t.repId, t.snapshot);
    if (TRIED.has(t.result)) attempts.set(t.repId, { result: t.result as Attempt["result"] });
  }
  const seen = new Set(traces.map((t) => t.repId));
  const extra = input.extraReps.filter((r) => !seen.has(r.id));
  for (const r of extra) {
    const s = input.extraSnapshots.get(r.id);
    if (s) snapshots.set(r.id, s);
  }
  const context: DecisionContext = {
    decisionId: decision.id,
    lead: { id: lead.id, teamId: lead.teamId, email: lead.email, payload, inputHash: lead.inputHash, consent: lead.consent ?? null },
    now: recorded.now,
    policy,
    policyVersion: input.policyVersion,
    model: model && score ? { name: model.name, version: model.version, sha256: model.sha256 } : null,
    score,
    fallbackReason: score ? null : "replayed on rules",
    shadow: null,
    provenance: null,
    reps: [...traces.map((t) => t.facts), ...extra],
    account: recorded.account,
    territories: recorded.territories,
    snapshots,
    attempts,
    excludeReps: recorded.excluded ?? [],
    supersedes: decision.supersedes,
    trigger: recorded.trigger ?? null,
  };
  const plan = decide(context);
  const replayed = { outcome: plan.outcome, tier: plan.plan.tier.name, repId: plan.repId, probability: score?.probability ?? null };
  const original = { outcome: decision.outcome, tier: decision.tier, repId: decision.repId, probability: decision.probability };
  const differences = (Object.keys(original) as (keyof typeof original)[]).filter((k) =>
    k === "probability" ? Math.abs((original.probability ?? -1) - (replayed.probability ?? -1)) > 1e-9 : original[k] !== replayed[k],
  );
  const usedExtra = plan.repId !== null && !seen.has(plan.repId);
  return { original, replayed, same: differences.length === 0, differences, exact: !usedExtra };
}
