import { getDb } from "../db/client.ts";
import { recordDecision, type NewDecision } from "../db/decisions.ts";
import type { LeadRow } from "../db/leads.ts";
import { repFacts, routingFacts } from "../db/routing-facts.ts";
import { newId } from "../lib/hashing.ts";
import { featureColumns } from "../scoring/features.ts";
import { getLiveModels, type LoadedModel } from "../scoring/model-store.ts";
import { scorePayloads, type Reason, type Score } from "../scoring/score.ts";
import { availabilityOf } from "./availability.ts";
import { planRoute, type PlanInput } from "./plan.ts";
import { tierForProbability } from "./policy.ts";
import { getActivePolicy } from "./policy-store.ts";
import { capacityStub, executePlan, readSnapshots } from "./route.ts";

/** What the API returns about a decision. */
export type DecisionSummary = {
  id: string;
  outcome: "assigned" | "queued" | "nurture";
  tier: string;
  repId: string | null;
  queue: "team" | "global" | null;
  mode: "model" | "rules";
  probability: number | null;
  model: { name: string; version: string; sha256: string } | null;
  policyVersion: number;
  reasons: Reason[];
  reason: string;
  /**
   * Milliseconds per stage: context (model, policy, reps and account), score (features and inference),
   * reserve (capacity snapshots and the hold), write (the D1 batch). workerd's clock ticks in 1 ms steps.
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
export async function decideLead(env: Env, lead: LeadRow, options: DecideOptions & { onlyIfAssigned: true }): Promise<DecisionSummary | null>;
export async function decideLead(env: Env, lead: LeadRow, options?: Omit<DecideOptions, "onlyIfAssigned">): Promise<DecisionSummary>;
export async function decideLead(env: Env, lead: LeadRow, options: DecideOptions = {}): Promise<DecisionSummary | null> {
  const t0 = performance.now();
  const db = getDb(env.DB);
  const payload = lead.payload as Record<string, unknown>;
  const [models, { version: policyVersion, policy }, facts] = await Promise.all([
    getLiveModels(env, env.MODEL_NAME),
    getActivePolicy(env),
    routingFacts(db, lead.teamId, lead.email),
  ]);
  const t1 = performance.now();
  const [scored, shadow] = await Promise.all([
    scoreOrError(models.active, payload),
    models.shadow ? scoreOrError(models.shadow, payload) : Promise.resolve(undefined),
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
  };
  // Only reps the plan could use, and that are at work, are worth a round trip to their Durable Object.
  const wanted = planRoute(base).candidates.map((c) => repsById.get(c.repId)!).filter((r) => availabilityOf(repFacts(r), now).available);
  const { snapshots } = await readSnapshots(env, wanted);
  const plan = planRoute({ ...base, snapshots });
  const executed = await executePlan(env, lead.id, plan, repsById, factsById, snapshots, Number(env.RESERVATION_TTL_SECONDS) * 1000);
  const repId = executed.repId;
  const outcome: DecisionSummary["outcome"] = !plan.tier.pool ? "nurture" : repId ? "assigned" : "queued";
  if (options.onlyIfAssigned && outcome !== "assigned") return null;
  const t3 = performance.now();

  const why =
    outcome === "nurture" ? "nurture: no rep works this tier"
    : repId ? `${executed.candidates.find((c) => c.repId === repId)!.stage} stage, best expected value with room`
    : plan.candidates.length === 0 ? "no rep serves this tier" : "every candidate is at capacity or unavailable";
  const reason = `${score ? `p=${score.probability.toFixed(4)}` : "rules only"}${plan.escalated ? `, escalated (${plan.escalated})` : ""} → tier ${plan.tier.name}: ${why}`;
  const model = score && models.active ? models.active : null;
  const decision: NewDecision = {
    id: newId("dec"),
    leadId: lead.id,
    teamId: lead.teamId,
    outcome,
    repId,
    tier: plan.tier.name,
    queue: outcome === "queued" ? plan.queue : null,
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
      context: { now, account: facts.account, territories: facts.territories, escalated: plan.escalated, segment: plan.segment, excluded: options.excludeReps ?? [] },
      fallbackReason: score ? null : (models.error ?? (scored as string)),
      shadow:
        shadow && typeof shadow !== "string" && models.shadow
          ? { version: models.shadow.version, sha256: models.shadow.sha256, probability: shadow.probability, tier: tierForProbability(policy, shadow.probability).name }
          : null,
      timings: { context: t1 - t0, score: t2 - t1, reserve: t3 - t2 },
    });
  } catch (err) {
    if (repId) await capacityStub(env, repId).release(lead.id).catch(() => undefined);
    throw err;
  }
  // The hold becomes an open assignment. If this call is lost, the hold's alarm frees the slot.
  if (repId) await capacityStub(env, repId).confirm(lead.id).catch(() => undefined);
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
