import type { CapacitySnapshot } from "../capacity/rep-capacity.ts";
import type { NewDecision, NewLineage } from "../db/decisions.ts";
import type { Reason } from "../scoring/score.ts";
import { planInput, type DecisionContext } from "./decision-context.ts";
import { planRoute, type PlannedCandidate, type RepFacts, type RoutePlan } from "./plan.ts";
import { tierForProbability } from "./policy.ts";
import { reviewReasons } from "./review.ts";

/** One rep considered for a lead, as recorded in lineage (enough to replay the decision). */
export type CandidateTrace = PlannedCandidate & {
  facts: RepFacts;
  snapshot: CapacitySnapshot | null;
  /** What happened when the router got to this rep. */
  result: "reserved" | "max_open" | "max_per_day" | "not_tried" | "skipped" | "error";
  detail?: string;
};

export type Outcome = "assigned" | "queued" | "nurture";

/** What `decide` returns: the whole decision as data, ready to reserve and commit. */
export type DecisionPlan = {
  plan: RoutePlan;
  outcome: Outcome;
  /** The rep the lead goes to: reserved already, or the one to reserve next (see `reserveNext`). */
  repId: string | null;
  /** The rep whose Durable Object must be asked next before this plan can be committed, if any. */
  reserveNext: string | null;
  /** Why a manager must look at the decision first (nothing is reserved then). */
  held: string[];
  reason: string;
  candidates: CandidateTrace[];
  decision: NewDecision;
  lineage: NewLineage;
  reviewHold: { decisionId: string; leadId: string; teamId: string; proposedRepId: string | null; why: string[] } | null;
};

/** What the API returns about a decision. */
export type DecisionSummary = {
  id: string;
  outcome: Outcome;
  tier: string;
  repId: string | null;
  queue: "team" | "global" | "review" | null;
  mode: "model" | "rules";
  probability: number | null;
  model: { name: string; version: string; sha256: string } | null;
  policyVersion: number;
  reasons: Reason[];
  reason: string;
  /** Milliseconds per stage before the write: context (model, policy, facts, guards), score, reserve. */
  timings: Record<string, number>;
};

const REFUSED = new Set(["max_open", "max_per_day", "error"]);

/**
 * The decision, from its context alone: the plan (tier, candidates in order), the review hold, the rep
 * (the first available candidate whose object did not refuse), the outcome, the reason, and the decision
 * and lineage rows. Pure: live routing, replay and simulation call it, and this is the only place the
 * outcome rule is written. On the live path a candidate not yet asked is `reserveNext`; the caller reserves
 * it, records the answer in `context.attempts` and decides again.
 */
export function decide(context: DecisionContext): DecisionPlan {
  const { policy, score, attempts } = context;
  const probability = score?.probability ?? null;
  const plan = planRoute(planInput(context));
  // A high-impact decision waits for a manager: nothing is reserved, the rep the plan would pick is proposed.
  const held = plan.tier.pool ? reviewReasons(policy.review, { probability, dealValue: plan.dealValue, strategicAccount: context.account?.strategic ? context.account.domain : null }) : [];
  const usable = plan.candidates.filter((c) => c.available && !REFUSED.has(attempts.get(c.repId)?.result ?? ""));
  const pick = held.length > 0 ? undefined : usable[0];
  const outcome: Outcome = !plan.tier.pool ? "nurture" : pick ? "assigned" : "queued";
  const repId = pick?.repId ?? null;
  const reserveNext = pick && attempts.get(pick.repId)?.result !== "reserved" ? pick.repId : null;

  const factsById = new Map(context.reps.map((r) => [r.id, r]));
  const candidates: CandidateTrace[] = plan.candidates.map((c) => {
    const attempt = attempts.get(c.repId);
    return {
      ...c,
      facts: factsById.get(c.repId)!,
      snapshot: context.snapshots.get(c.repId) ?? null,
      result: attempt?.result ?? (c.available ? "not_tried" : "skipped"),
      ...(attempt?.detail ? { detail: attempt.detail } : {}),
    };
  });

  const why =
    held.length > 0 ? `held for review (${held.join("; ")})`
    : outcome === "nurture" ? "nurture: no rep works this tier"
    : pick ? `${pick.stage} stage, best expected value with room`
    : plan.candidates.length === 0 ? "no rep serves this tier" : "every candidate is at capacity or unavailable";
  const reason = `${context.trigger ? `${context.trigger}: ` : ""}${score ? `p=${score.probability.toFixed(4)}` : "rules only"}${plan.escalated ? `, escalated (${plan.escalated})` : ""}${plan.consentOverride ? `, ${plan.consentOverride}` : ""} → tier ${plan.tier.name}: ${why}`;
  const model = context.model;
  const decision: NewDecision = {
    id: context.decisionId,
    leadId: context.lead.id,
    teamId: context.lead.teamId,
    outcome,
    repId,
    tier: plan.tier.name,
    queue: outcome === "queued" ? (held.length > 0 ? "review" : plan.queue) : null,
    mode: score ? "model" : "rules",
    probability,
    modelName: model?.name ?? null,
    modelVersion: model?.version ?? null,
    modelSha256: model?.sha256 ?? null,
    policyVersion: context.policyVersion,
    reason,
    supersedes: context.supersedes,
  };
  const lineage: NewLineage = {
    inputHash: context.lead.inputHash,
    // Named values are the vector under the model's feature columns: kept once, as the vector (the API and
    // the drift check name them from the manifest), so lineage does not store every value twice.
    features: {},
    vector: score?.vector ?? [],
    reasons: score?.reasons ?? [],
    candidates,
    dealValue: plan.dealValue,
    context: { now: context.now, account: context.account, territories: context.territories, escalated: plan.escalated, segment: plan.segment, excluded: context.excludeReps, trigger: context.trigger },
    provenance: context.provenance,
    fallbackReason: context.fallbackReason,
    shadow: context.shadow ? { ...context.shadow, tier: tierForProbability(policy, context.shadow.probability).name } : null,
    timings: {},
  };
  const reviewHold =
    held.length > 0
      ? { decisionId: decision.id, leadId: context.lead.id, teamId: context.lead.teamId, proposedRepId: plan.candidates.find((c) => c.available)?.repId ?? null, why: held }
      : null;
  return { plan, outcome, repId, reserveNext, held, reason, candidates, decision, lineage, reviewHold };
}

/** The API's view of a decided plan. */
export function summarise(p: DecisionPlan, context: DecisionContext, timings: Record<string, number>): DecisionSummary {
  return {
    id: p.decision.id,
    outcome: p.outcome,
    tier: p.plan.tier.name,
    repId: p.repId,
    queue: p.decision.queue ?? null,
    mode: p.decision.mode,
    probability: p.decision.probability ?? null,
    model: context.model ? { name: context.model.name, version: context.model.version, sha256: context.model.sha256 } : null,
    policyVersion: context.policyVersion,
    reasons: context.score?.reasons ?? [],
    reason: p.reason,
    timings,
  };
}
