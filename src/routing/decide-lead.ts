import { getDb } from "../db/client.ts";
import type { LeadRow } from "../db/leads.ts";
import { commitDecision, reserveForPlan } from "./commit-decision.ts";
import { summarise, type DecisionSummary } from "./decide.ts";
import { loadDecisionContext, type ContextOptions } from "./decision-context.ts";
import { enqueueDecisionEvent } from "../webhooks/emit.ts";

export type DecideOptions = ContextOptions & {
  /** Write nothing unless the lead gets a rep (draining a queue must not churn decisions). */
  onlyIfAssigned?: boolean;
  /** Write nothing if the lead still lands in nurture (a re-score that did not cross a threshold). */
  onlyIfRouted?: boolean;
};

/**
 * Decides a lead that is already stored (the cron's retries, a CRM reject, an SLA re-route, a re-score, an
 * admin's re-run): load the context, decide and reserve, commit. Returns null only with `onlyIfAssigned` /
 * `onlyIfRouted` when the condition did not hold (nothing written, nothing held). Throws when the decision
 * could not be written; the lead then stays pending (any hold released) and the cron trigger retries it.
 * New leads take the intake's path (src/routes/leads.ts), which stores lead and decision in one batch.
 */
export async function decideLead(env: Env, lead: LeadRow, options: DecideOptions & ({ onlyIfAssigned: true } | { onlyIfRouted: true })): Promise<DecisionSummary | null>;
export async function decideLead(env: Env, lead: LeadRow, options?: Omit<DecideOptions, "onlyIfAssigned" | "onlyIfRouted">): Promise<DecisionSummary>;
export async function decideLead(env: Env, lead: LeadRow, options: DecideOptions = {}): Promise<DecisionSummary | null> {
  const loaded = await loadDecisionContext(env, { ...lead, payload: lead.payload as Record<string, unknown> }, options);
  const t2 = performance.now();
  const { context, plan } = await reserveForPlan(env, loaded.context, loaded.caps);
  if (options.onlyIfAssigned && plan.outcome !== "assigned") return null;
  if (options.onlyIfRouted && plan.outcome === "nurture") return null;
  const timings = { context: loaded.stages.context, score: loaded.stages.score, reserve: loaded.stages.snapshots + performance.now() - t2 };
  const t3 = performance.now();
  await commitDecision(env, getDb(env.DB), context, plan, timings);
  await enqueueDecisionEvent(env, lead, plan.decision, context.score?.reasons ?? [], options);
  return summarise(plan, context, { ...timings, write: performance.now() - t3 });
}
