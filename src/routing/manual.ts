import { and, eq, isNull } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { auditRow } from "../db/audit.ts";
import type { Db } from "../db/client.ts";
import { getDecisionWithLineage, recordDecision, type DecisionRow, type NewDecision } from "../db/decisions.ts";
import { repFacts } from "./plan.ts";
import { reps } from "../db/schema.ts";
import { ApiError } from "../lib/errors.ts";
import { newId } from "../lib/hashing.ts";
import { capsOf, releaseSlot, reserveSlot } from "../capacity/capacity-client.ts";
import { enqueueManualDecisionEvent } from "../webhooks/emit.ts";
import type { CandidateTrace } from "./decide.ts";

/** Who did what by hand, and why: kept in the decision's reason, its lineage and the audit log. */
export type ManualAct = {
  actor: string;
  action: "review.approve" | "review.override" | "review.send_back" | "lead.reassign";
  reason: string;
};

export type ManualResult = { id: string; leadId: string; outcome: DecisionRow["outcome"]; repId: string | null; supersedes: string; reason: string };

/** Extra statements for the decision's batch, given the new decision's id. */
type Extra = (decisionId: string) => BatchItem<"sqlite">[];

/** Writes a hand-made decision that replaces `current`, carrying over its score, features and provenance. */
async function writeManual(db: Db, current: DecisionRow, next: Pick<NewDecision, "outcome" | "repId" | "queue">, act: ManualAct, candidates: CandidateTrace[], extra: Extra): Promise<ManualResult> {
  const found = await getDecisionWithLineage(db, current.id);
  if (!found) throw new ApiError("conflict", "the current decision has no lineage");
  const { lineage } = found;
  const decision: NewDecision = {
    id: newId("dec"),
    leadId: current.leadId,
    teamId: current.teamId,
    ...next,
    tier: current.tier,
    mode: current.mode,
    probability: current.probability,
    modelName: current.modelName,
    modelVersion: current.modelVersion,
    modelSha256: current.modelSha256,
    policyVersion: current.policyVersion,
    reason: `${act.action} by ${act.actor}: ${act.reason}`,
    supersedes: current.id,
  };
  const { decisionId: _, createdAt: __, ...trail } = lineage;
  await recordDecision(
    db,
    decision,
    { ...trail, candidates, context: { ...(lineage.context as object), now: Date.now(), manual: { ...act, previous: current.id } } },
    [
      auditRow(db, {
        actor: act.actor,
        action: act.action,
        entityType: "lead",
        entityId: current.leadId,
        before: { decisionId: current.id, outcome: current.outcome, repId: current.repId },
        after: { decisionId: decision.id, outcome: decision.outcome, repId: decision.repId ?? null },
        reason: act.reason,
      }),
      ...extra(decision.id),
    ],
  );
  return { id: decision.id, leadId: current.leadId, outcome: decision.outcome, repId: decision.repId ?? null, supersedes: current.id, reason: decision.reason };
}

/**
 * Assigns a lead to a named rep of its team by hand (a manager's approval or override, an admin's
 * reassignment). The rep's caps still hold: a full rep answers 409. The previous rep's slot is freed.
 */
export async function assignByHand(env: Env, db: Db, current: DecisionRow, repId: string, act: ManualAct, extra: Extra = () => []): Promise<ManualResult> {
  const rep = await db.select().from(reps).where(and(eq(reps.id, repId), eq(reps.teamId, current.teamId), isNull(reps.deletedAt))).get();
  if (!rep) throw new ApiError("validation_failed", `repId: no rep ${repId} in team ${current.teamId}`);
  if (current.outcome === "assigned" && current.repId === repId) throw new ApiError("conflict", `the lead is already assigned to ${repId}`);
  const held = await reserveSlot(env, repId, current.leadId, capsOf(rep), Number(env.RESERVATION_TTL_SECONDS) * 1000);
  if (!held.ok) throw new ApiError("conflict", `${repId} has no room (${held.reason})`);
  const trace: CandidateTrace = { repId, stage: "pool", expectedValue: 0, loadRatio: 0, available: true, facts: repFacts(rep), snapshot: held.snapshot, result: "reserved", detail: act.action };
  let result: ManualResult;
  try {
    result = await writeManual(db, current, { outcome: "assigned", repId, queue: null }, act, [trace], extra);
  } catch (err) {
    await releaseSlot(env, repId, current.leadId).catch(() => undefined);
    throw err;
  }
  if (current.outcome === "assigned" && current.repId) await releaseSlot(env, current.repId, current.leadId, { assigned: true }).catch(() => undefined);
  await enqueueManualDecisionEvent(env, current, result);
  return result;
}

/** Sends a lead back to nurture by hand (a manager's "not yet"); re-scoring can bring it forward again. */
export async function sendToNurture(env: Env, db: Db, current: DecisionRow, act: ManualAct, extra: Extra = () => []): Promise<ManualResult> {
  const result = await writeManual(db, current, { outcome: "nurture", repId: null, queue: null }, act, [], extra);
  if (current.outcome === "assigned" && current.repId) await releaseSlot(env, current.repId, current.leadId, { assigned: true }).catch(() => undefined);
  await enqueueManualDecisionEvent(env, current, result);
  return result;
}
