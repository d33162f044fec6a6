import { getDb } from "../db/client.ts";
import { recordDecision, type NewDecision } from "../db/decisions.ts";
import type { LeadRow } from "../db/leads.ts";
import { teamRepsForRole } from "../db/reps.ts";
import { newId } from "../lib/hashing.ts";
import { featureColumns, readPath } from "../scoring/features.ts";
import { getLiveModels, type LoadedModel } from "../scoring/model-store.ts";
import { scorePayloads, type Reason, type Score } from "../scoring/score.ts";
import { tierForProbability, tierForRules } from "./policy.ts";
import { getActivePolicy } from "./policy-store.ts";
import { capacityStub, routeToRep, type CandidateTrace } from "./route.ts";

/** What the API returns about a decision. */
export type DecisionSummary = {
  id: string;
  outcome: "assigned" | "queued" | "nurture";
  tier: string;
  repId: string | null;
  mode: "model" | "rules";
  probability: number | null;
  model: { name: string; version: string; sha256: string } | null;
  policyVersion: number;
  reasons: Reason[];
  reason: string;
  /** Milliseconds per stage (workerd's clock advances only across I/O, in 1 ms steps). */
  timings: Record<string, number>;
};

async function scoreOrNull(model: LoadedModel | undefined, payload: unknown): Promise<Score | string> {
  if (!model) return "no model";
  try {
    return (await scorePayloads(model, [payload]))[0]!;
  } catch (err) {
    return `scoring failed: ${String(err)}`;
  }
}

function dealValueOf(payload: unknown, fallback: number): number {
  const v = Number(readPath(payload, "deal_value"));
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

/**
 * Scores, routes and records one stored lead. Throws only when the decision could not be written; the
 * lead then stays pending (with any reservation released) and the cron trigger retries it.
 */
export type DecideOptions = {
  /** Reps that may not get the lead (e.g. the rep who just rejected it). */
  excludeReps?: readonly string[];
  /** The decision this one replaces, kept in its lineage. */
  supersedes?: string;
};

export async function decideLead(env: Env, lead: LeadRow, options: DecideOptions = {}): Promise<DecisionSummary> {
  const t0 = performance.now();
  const db = getDb(env.DB);
  const [models, { version: policyVersion, policy }] = await Promise.all([
    getLiveModels(env, env.MODEL_NAME),
    getActivePolicy(env),
  ]);
  const t1 = performance.now();
  const [scored, shadow] = await Promise.all([
    scoreOrNull(models.active, lead.payload),
    models.shadow ? scoreOrNull(models.shadow, lead.payload) : Promise.resolve(undefined),
  ]);
  const t2 = performance.now();

  const score = typeof scored === "string" ? null : scored;
  const fallbackReason = score ? null : (models.error ?? (scored as string));
  const tier = score ? tierForProbability(policy, score.probability) : tierForRules(policy, lead.payload);
  const dealValue = dealValueOf(lead.payload, policy.defaultDealValue);
  const ttlMs = Number(env.RESERVATION_TTL_SECONDS) * 1000;

  let outcome: DecisionSummary["outcome"] = "nurture";
  let repId: string | null = null;
  let candidates: CandidateTrace[] = [];
  let reason = `probability below every routed tier`;
  if (tier.pool) {
    const excluded = new Set(options.excludeReps ?? []);
    const reps = (await teamRepsForRole(db, lead.teamId, tier.pool)).filter((r) => !excluded.has(r.id));
    const routed = await routeToRep(env, lead.id, reps, score?.probability ?? 0, dealValue, policy.loadPenalty, ttlMs);
    ({ outcome, repId, candidates, reason } = routed);
  } else if (!score) {
    reason = "rules sent the lead to nurture";
  }
  reason = `${score ? `p=${score.probability.toFixed(4)}` : "rules only"} → tier ${tier.name}: ${reason}`;
  const t3 = performance.now();

  const model = score && models.active ? models.active : null;
  const decision: NewDecision = {
    id: newId("dec"),
    leadId: lead.id,
    teamId: lead.teamId,
    outcome,
    repId,
    tier: tier.name,
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
      candidates,
      dealValue,
      fallbackReason,
      shadow:
        shadow && typeof shadow !== "string" && models.shadow
          ? { version: models.shadow.version, sha256: models.shadow.sha256, probability: shadow.probability, tier: tierForProbability(policy, shadow.probability).name }
          : null,
      timings: { load: t1 - t0, score: t2 - t1, route: t3 - t2 },
    });
  } catch (err) {
    if (repId) await capacityStub(env, repId).release(lead.id).catch(() => undefined);
    throw err;
  }
  if (repId) {
    // The hold becomes an open assignment. If this call is lost, the cron trigger confirms it again.
    await capacityStub(env, repId).confirm(lead.id).catch(() => undefined);
  }
  return {
    id: decision.id,
    outcome,
    tier: tier.name,
    repId,
    mode: decision.mode,
    probability: decision.probability ?? null,
    model: model ? { name: model.name, version: model.version, sha256: model.sha256 } : null,
    policyVersion,
    reasons: score?.reasons ?? [],
    reason,
    timings: { load: t1 - t0, score: t2 - t1, route: t3 - t2, write: performance.now() - t3 },
  };
}
