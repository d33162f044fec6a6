import { confirmSlot, readSnapshots, releaseSlot } from "../capacity/capacity-client.ts";
import { getDb } from "../db/client.ts";
import { recordDecision, type NewDecision } from "../db/decisions.ts";
import type { LeadRow } from "../db/leads.ts";
import { skewGuardReason } from "../db/guardrail-window.ts";
import { repFacts, routingFacts, type RoutingFacts } from "../db/routing-facts.ts";
import { reviewHolds } from "../db/schema-signals.ts";
import { loadSignals } from "../db/signals.ts";
import { newId } from "../lib/hashing.ts";
import { driftGuardReason } from "../monitoring/drift-check.ts";
import { liveModelsForLead, policyForLead } from "../monitoring/experiments.ts";
import { featureColumns } from "../scoring/features.ts";
import type { LoadedModel } from "../scoring/model-store.ts";
import { scorePayloads, type Reason, type Score } from "../scoring/score.ts";
import type { Signals } from "../signals/aggregates.ts";
import { featureInput, featureProvenance, usesSignals } from "../signals/feature-input.ts";
import { availabilityOf } from "./availability.ts";
import { planRoute, type PlanInput } from "./plan.ts";
import { tierForProbability } from "./policy.ts";
import { reviewReasons } from "./review.ts";
import { rulesOnlyReason } from "./rules-only.ts";
import { executePlan } from "./route.ts";
import { enqueueDecisionEvent } from "../webhooks/emit.ts";

/** What the API returns about a decision. */
export type DecisionSummary = {
  id: string;
  outcome: "assigned" | "queued" | "nurture";
  tier: string;
  repId: string | null;
  queue: "team" | "global" | "review" | null;
  mode: "model" | "rules";
  probability: number | null;
  model: { name: string; version: string; sha256: string } | null;
  policyVersion: number;
  reasons: Reason[];
  reason: string;
  /**
   * Milliseconds per stage: context (model, policy, drift guard; reps and account unless the intake read
   * them with the lead), score (features and inference), reserve (capacity snapshots not covered by
   * hints, and the hold), write (the D1 batch). workerd's clock ticks in 1 ms steps.
   */
  timings: Record<string, number>;
};

export type DecideOptions = {
  /** Reps that may not get the lead (e.g. the rep who just rejected it). */
  excludeReps?: readonly string[];
  /** The decision this one replaces, kept in its lineage. */
  supersedes?: string;
  /** Write nothing unless the lead gets a rep (draining a queue must not churn decisions). */
  onlyIfAssigned?: boolean;
  /** Write nothing if the lead still lands in nurture (a re-score that did not cross a threshold). */
  onlyIfRouted?: boolean;
  /** What caused this decision (e.g. `nurture-forward`), kept in its reason and lineage. */
  trigger?: string;
  /** The lead's routing facts, when already read (the intake reads them in the batch that stores the lead). */
  facts?: RoutingFacts;
  /**
   * Takes work that may finish after the answer: the capacity confirm (ExecutionContext.waitUntil). Without
   * it the confirm is awaited. A lost confirm costs nothing: the hold's alarm finds the decision in D1.
   */
  waitUntil?: (work: Promise<unknown>) => void;
};

async function scoreOrError(model: LoadedModel | undefined, payload: unknown): Promise<Score | string> {
  if (!model) return "no model";
  try {
    return (await scorePayloads(model, [payload]))[0]!;
  } catch (err) {
    return `scoring failed: ${String(err)}`;
  }
}

/**
 * Scores, plans, routes and records one stored lead. Returns null only with `onlyIfAssigned` when nobody
 * could take it. Throws when the decision could not be written; the lead then stays pending (any hold
 * released) and the cron trigger retries it.
 */
export async function decideLead(env: Env, lead: LeadRow, options: DecideOptions & ({ onlyIfAssigned: true } | { onlyIfRouted: true })): Promise<DecisionSummary | null>;
export async function decideLead(env: Env, lead: LeadRow, options?: Omit<DecideOptions, "onlyIfAssigned" | "onlyIfRouted">): Promise<DecisionSummary>;
export async function decideLead(env: Env, lead: LeadRow, options: DecideOptions = {}): Promise<DecisionSummary | null> {
  const t0 = performance.now();
  const db = getDb(env.DB);
  const payload = lead.payload as Record<string, unknown>;
  const switchedToRules = rulesOnlyReason(env, lead.teamId); // a team's deliberate rules-only switch (see ./rules-only.ts)
  const [models, { version: policyVersion, policy }, facts] = await Promise.all([
    // A running experiment may put the lead under a challenger model or another policy version.
    liveModelsForLead(env, lead.id, lead.teamId),
    policyForLead(env, lead.id, lead.teamId),
    options.facts ?? routingFacts(db, lead.teamId, lead.email),
  ]);
  // Signal aggregates are read only when a live model's feature spec names them.
  const asOf = Date.now();
  const specs = [models.active, models.shadow].flatMap((m) => m?.manifest.features ?? []);
  let signals: Signals | null = null;
  let signalError: string | null = null;
  if (usesSignals(specs)) {
    try {
      signals = (await loadSignals(db, lead.teamId, [{ leadId: lead.id, teamId: lead.teamId, email: lead.email, receivedAt: lead.receivedAt, asOf }])).get(lead.id)!;
    } catch (err) {
      signalError = `signals unavailable: ${String(err)}`;
    }
  }
  const input = featureInput(payload, signals);
  // A drift alert under a `rule_only` guard keeps the model out of routing (it still scores in shadow).
  const driftGuard = await driftGuardReason(env, policy, models.active);
  // A skewed stream of recent model decisions (one rep or tier taking too much) also means rules only.
  const skewGuard = driftGuard || !models.active ? null : await skewGuardReason(db, policy.guardrail, lead.teamId);
  const t1 = performance.now();
  const [scored, shadow] = await Promise.all([
    (await switchedToRules) ?? signalError ?? driftGuard ?? skewGuard ?? scoreOrError(models.active, input),
    models.shadow && !signalError ? scoreOrError(models.shadow, input) : Promise.resolve(undefined),
  ]);
  const score = typeof scored === "string" ? null : scored;
  const t2 = performance.now();

  const now = Date.now();
  const repsById = new Map(facts.reps.map((r) => [r.id, r]));
  const factsById = new Map(facts.reps.map((r) => [r.id, repFacts(r)]));
  const base: PlanInput = {
    payload,
    probability: score?.probability ?? null,
    policy,
    reps: [...factsById.values()],
    account: facts.account,
    territories: facts.territories,
    snapshots: new Map(),
    excludeReps: new Set(options.excludeReps ?? []),
    now,
    consent: lead.consent ?? null,
  };
  // Only reps the plan could use, and that are at work, are worth a round trip to their Durable Object.
  const wanted = planRoute(base).candidates.map((c) => repsById.get(c.repId)!).filter((r) => availabilityOf(repFacts(r), now).available);
  const { snapshots } = await readSnapshots(env, wanted, { hints: true });
  const plan = planRoute({ ...base, snapshots });
  // A high-impact decision waits for a manager: nothing is reserved, the rep the plan would pick is proposed.
  const held = plan.tier.pool ? reviewReasons(policy.review, { probability: score?.probability ?? null, dealValue: plan.dealValue, strategicAccount: facts.account?.strategic ? facts.account.domain : null }) : [];
  const executed =
    held.length > 0
      ? { repId: null, candidates: plan.candidates.map((c) => ({ ...c, facts: factsById.get(c.repId)!, snapshot: snapshots.get(c.repId) ?? null, result: c.available ? ("not_tried" as const) : ("skipped" as const) })) }
      : await executePlan(env, lead.id, plan, repsById, factsById, snapshots, Number(env.RESERVATION_TTL_SECONDS) * 1000);
  const repId = executed.repId;
  const outcome: DecisionSummary["outcome"] = !plan.tier.pool ? "nurture" : repId ? "assigned" : "queued";
  if (options.onlyIfAssigned && outcome !== "assigned") return null;
  if (options.onlyIfRouted && outcome === "nurture") return null;
  const t3 = performance.now();

  const why =
    held.length > 0 ? `held for review (${held.join("; ")})`
    : outcome === "nurture" ? "nurture: no rep works this tier"
    : repId ? `${executed.candidates.find((c) => c.repId === repId)!.stage} stage, best expected value with room`
    : plan.candidates.length === 0 ? "no rep serves this tier" : "every candidate is at capacity or unavailable";
  const reason = `${options.trigger ? `${options.trigger}: ` : ""}${score ? `p=${score.probability.toFixed(4)}` : "rules only"}${plan.escalated ? `, escalated (${plan.escalated})` : ""}${plan.consentOverride ? `, ${plan.consentOverride}` : ""} → tier ${plan.tier.name}: ${why}`;
  const model = score && models.active ? models.active : null;
  const decision: NewDecision = {
    id: newId("dec"),
    leadId: lead.id,
    teamId: lead.teamId,
    outcome,
    repId,
    tier: plan.tier.name,
    queue: outcome === "queued" ? (held.length > 0 ? "review" : plan.queue) : null,
    mode: score ? "model" : "rules",
    probability: score?.probability ?? null,
    modelName: model?.name ?? null,
    modelVersion: model?.version ?? null,
    modelSha256: model?.sha256 ?? null,
    policyVersion,
    reason,
    supersedes: options.supersedes ?? null,
  };
  const columns = model ? featureColumns(model.manifest.features) : [];
  try {
    await recordDecision(db, decision, {
      inputHash: lead.inputHash,
      features: score ? Object.fromEntries(columns.map((c, i) => [c, score.vector[i]])) : {},
      vector: score?.vector ?? [],
      reasons: score?.reasons ?? [],
      candidates: executed.candidates,
      dealValue: plan.dealValue,
      context: { now, account: facts.account, territories: facts.territories, escalated: plan.escalated, segment: plan.segment, excluded: options.excludeReps ?? [], trigger: options.trigger ?? null },
      provenance: model ? { asOf, features: featureProvenance(model.manifest.features, input, signals) } : null,
      fallbackReason: score ? null : (models.error ?? (scored as string)),
      shadow:
        shadow && typeof shadow !== "string" && models.shadow
          ? { version: models.shadow.version, sha256: models.shadow.sha256, probability: shadow.probability, tier: tierForProbability(policy, shadow.probability).name }
          : null,
      timings: { context: t1 - t0, score: t2 - t1, reserve: t3 - t2 },
    }, held.length > 0 ? [db.insert(reviewHolds).values({ decisionId: decision.id, leadId: lead.id, teamId: lead.teamId, proposedRepId: plan.candidates.find((c) => c.available)?.repId ?? null, why: held })] : []);
  } catch (err) {
    if (repId) await releaseSlot(env, repId, lead.id).catch(() => undefined);
    throw err;
  }
  // The hold becomes an open assignment; should this call be lost, the hold's alarm settles it from D1.
  if (repId) {
    const confirmed = confirmSlot(env, repId, lead.id).catch((err) => console.error("confirm failed; the hold's alarm settles it", lead.id, err));
    if (options.waitUntil) options.waitUntil(confirmed);
    else await confirmed;
  }
  await enqueueDecisionEvent(env, lead, decision, score?.reasons ?? [], options);
  return {
    id: decision.id,
    outcome,
    tier: plan.tier.name,
    repId,
    queue: decision.queue ?? null,
    mode: decision.mode,
    probability: decision.probability ?? null,
    model: model ? { name: model.name, version: model.version, sha256: model.sha256 } : null,
    policyVersion,
    reasons: score?.reasons ?? [],
    reason,
    timings: { context: t1 - t0, score: t2 - t1, reserve: t3 - t2, write: performance.now() - t3 },
  };
}
