import type { BatchItem } from "drizzle-orm/batch";
import { releaseSlot, reserveSlot } from "../capacity/capacity-client.ts";
import type { RepCaps } from "../capacity/rep-capacity.ts";
import type { Db } from "../db/client.ts";
import { recordDecision, type NewLineage } from "../db/decisions.ts";
import { repFactsVersions } from "../db/schema.ts";
import { reviewHolds } from "../db/schema-signals.ts";
import { registerCache } from "../lib/ttl-cache.ts";
import type { Attempt, DecisionContext } from "./decision-context.ts";
import { newId } from "../lib/hashing.ts";
import { decide, type DecisionPlan } from "./decide.ts";
import { encodeCandidates } from "./lineage-codec.ts";
import { noteModelDecision } from "./skew-guard.ts";

/**
 * Asks the rep's Durable Object for a slot for the plan's lead and says what it answered (never rejects).
 * `written`: the decision naming this rep is being written meanwhile (see speculativePlan).
 */
export async function askRep(env: Env, plan: DecisionPlan, repId: string, caps: ReadonlyMap<string, RepCaps>, written?: { decisionId: string }): Promise<Attempt> {
  try {
    // The fair-share tag moves the rep's clock on by 1 / weight (see ./rank.ts).
    const pick = plan.candidates.find((c) => c.repId === repId)!;
    const ttlMs = Number(env.RESERVATION_TTL_SECONDS) * 1000;
    const res = await reserveSlot(env, repId, plan.decision.leadId, caps.get(repId)!, ttlMs, { weight: pick.facts.weight, floor: pick.fairFloor }, written);
    return res.ok ? { result: "reserved" } : { result: res.reason };
  } catch (err) {
    return { result: "error", detail: String(err) };
  }
}

const withAttempt = (context: DecisionContext, repId: string, attempt: Attempt): DecisionContext => ({ ...context, attempts: new Map(context.attempts).set(repId, attempt) });

/**
 * Asks the reps' Durable Objects in the plan's order until one holds a slot: decide, reserve the pick, record
 * its answer in the context, decide again. The object, not the snapshot, decides: a rep that filled up
 * since its snapshot refuses and the next is tried. Returns the final context and plan (its `reserveNext`
 * is null). Nothing is reserved for a plan held for review or with no rep.
 */
export async function reserveForPlan(env: Env, start: DecisionContext, caps: ReadonlyMap<string, RepCaps>): Promise<{ context: DecisionContext; plan: DecisionPlan }> {
  let context = start;
  for (;;) {
    const plan = decide(context);
    const repId = plan.reserveNext;
    if (!repId) return { context, plan };
    context = withAttempt(context, repId, await askRep(env, plan, repId, caps));
  }
}

/** Free slots (open and today's) a rep's snapshot must show for the live path to write while it asks. */
export const SPECULATE_MIN_ROOM = 2;

/**
 * The plan the live path may write while it asks the pick's object, so the write and the reservation take
 * one round trip between them: the plan as decided if the rep it must ask agrees. Null when that guess is
 * not safe enough to make: the pick's snapshot shows fewer than SPECULATE_MIN_ROOM free slots (reserve
 * first then, reserveForPlan). `ask` is the rep to ask (null: no rep to ask; the plan is final).
 */
export function speculativePlan(context: DecisionContext): { context: DecisionContext; plan: DecisionPlan; ask: string | null } | null {
  const plan = decide(context);
  const ask = plan.reserveNext;
  if (!ask) return { context, plan, ask: null };
  const s = context.snapshots.get(ask);
  if (!s || Math.min(s.maxOpen - s.open - s.held, s.maxPerDay - s.today) < SPECULATE_MIN_ROOM) return null;
  const assumed = withAttempt(context, ask, { result: "reserved" });
  return { context: assumed, plan: decide(assumed), ask };
}

/**
 * When the rep refused (or failed) after the speculative plan was written: the same context with that answer,
 * as a new decision that supersedes the written one. Reserve it (reserveForPlan) and commit it (commitDecision).
 */
export function afterRefusal(start: DecisionContext, written: DecisionPlan, repId: string, attempt: Attempt): DecisionContext {
  return { ...withAttempt(start, repId, attempt), decisionId: newId("dec"), supersedes: written.decision.id, trigger: "reservation-refused" };
}

// Facts sets this isolate has seen committed: their row exists, so a decision need not send it again.
const writtenFacts = new Set<string>();
registerCache({ invalidate: () => writtenFacts.clear() });

/**
 * After a decision's batch committed: this isolate notes what it learned (its facts set is stored; a model
 * decision counts in its view of the team's skew window). The rep's hold is not confirmed by a second call:
 * its object's alarm settles it from D1 with the other holds due (RepCapacity.alarm), so a lead costs its
 * rep's object one call.
 */
export function afterCommit(plan: DecisionPlan, factsHash: string): void {
  writtenFacts.add(factsHash);
  if (plan.decision.mode === "model") noteModelDecision(plan.decision.teamId, plan.decision.tier, plan.decision.repId ?? null);
}

/**
 * The lineage row to store for a plan (candidates compacted, see lineage-codec.ts), the statements that
 * join its batch (the facts set unless already stored, the review hold) and the facts hash to note once
 * the batch commits.
 */
export async function lineageWrite(db: Db, plan: DecisionPlan, now: number, timings: Record<string, number>): Promise<{ lineage: NewLineage; extra: BatchItem<"sqlite">[]; factsHash: string }> {
  const { compact, facts } = await encodeCandidates(plan.candidates, now);
  const extra: BatchItem<"sqlite">[] = [];
  if (!writtenFacts.has(facts.hash)) extra.push(db.insert(repFactsVersions).values({ hash: facts.hash, facts: facts.json }).onConflictDoNothing());
  if (plan.reviewHold) extra.push(db.insert(reviewHolds).values(plan.reviewHold));
  return { lineage: { ...plan.lineage, candidates: compact, timings }, extra, factsHash: facts.hash };
}

/**
 * Commits the decision of an already stored lead: one D1 batch supersedes its current decision, writes the
 * new one with its lineage (and review hold), and marks the lead decided. If that fails the hold is freed
 * and the error thrown (the lead stays pending for the cron); the hold of one that commits is settled by its
 * rep's alarm (see afterCommit). `also` joins the batch.
 */
export async function commitDecision(env: Env, db: Db, context: DecisionContext, plan: DecisionPlan, timings: Record<string, number>, also: BatchItem<"sqlite">[] = []): Promise<void> {
  let factsHash: string;
  try {
    const write = await lineageWrite(db, plan, context.now, timings);
    await recordDecision(db, plan.decision, write.lineage, [...write.extra, ...also]);
    factsHash = write.factsHash;
  } catch (err) {
    if (plan.repId) await releaseSlot(env, plan.repId, context.lead.id).catch(() => undefined);
    throw err;
  }
  afterCommit(plan, factsHash);
}
