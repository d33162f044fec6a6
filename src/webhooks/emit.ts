import { and, eq, isNull } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import type { DecisionRow, NewDecision } from "../db/decisions.ts";
import type { LeadRow } from "../db/leads.ts";
import { leads } from "../db/schema.ts";
import { webhookSubscriptions } from "../db/schema-webhooks.ts";
import { newId } from "../lib/hashing.ts";
import { ttlCache } from "../lib/ttl-cache.ts";
import type { Reason } from "../scoring/score.ts";
import { decisionEvent, decisionEventType, type EventType, type WebhookEvent } from "./events.ts";

/** What rides the webhook queue: an event to fan out, or one subscription's delivery to POST. */
export type WebhookMessage = { kind: "event"; event: WebhookEvent } | { kind: "delivery"; deliveryId: string };

/** How long an isolate trusts its list of who subscribes to what (another isolate's change shows within it). */
const SUBSCRIBERS_TTL_MS = 10_000;
const subscribers = ttlCache<"all", Map<string, Set<string>>>(SUBSCRIBERS_TTL_MS);

/** Forgets the cached subscriber list (after a subscription changes). */
export function invalidateSubscribers(): void {
  subscribers.invalidate();
}

async function wanted(env: Env, teamId: string | null, type: EventType): Promise<boolean> {
  const byTeam = await subscribers.get("all", async () => {
    const rows = await getDb(env.DB)
      .select({ teamId: webhookSubscriptions.teamId, events: webhookSubscriptions.events })
      .from(webhookSubscriptions)
      .where(and(eq(webhookSubscriptions.enabled, true), isNull(webhookSubscriptions.deletedAt)));
    const map = new Map<string, Set<string>>();
    for (const r of rows) for (const e of r.events) map.set(r.teamId, (map.get(r.teamId) ?? new Set()).add(e));
    return map;
  });
  if (teamId !== null) return byTeam.get(teamId)?.has(type) ?? false;
  return [...byTeam.values()].some((types) => types.has(type));
}

/**
 * Puts an event on the webhook queue when some subscription wants it. Never throws: a webhook must not
 * fail the work that caused it (a lost send costs a notification; the CRM feed still has the lead).
 */
export function emitEvent(env: Env, event: WebhookEvent): Promise<void> {
  return emitIfWanted(env, event.teamId, event.type, () => event);
}

/** emitEvent, building the event only when some subscription wants its type (most leads: none). */
async function emitIfWanted(env: Env, teamId: string | null, type: EventType, build: () => WebhookEvent): Promise<void> {
  let event: WebhookEvent | undefined;
  try {
    if (!(await wanted(env, teamId, type))) return;
    event = build();
    await env.WEBHOOKS.send({ kind: "event", event } satisfies WebhookMessage, { contentType: "json" });
  } catch (err) {
    console.error("webhook event not enqueued", type, event?.id, err);
  }
}

/**
 * The lead path's one call, after a decision commits: enqueues its event. With `waitUntil` (a request's
 * ExecutionContext) the send happens after the answer; without it (cron, admin) it is awaited.
 */
export function enqueueDecisionEvent(
  env: Env,
  lead: Pick<LeadRow, "id" | "teamId" | "email" | "payload">,
  decision: NewDecision,
  reasons: readonly Reason[],
  options: { excludeReps?: readonly string[]; waitUntil?: (work: Promise<unknown>) => void },
): Promise<void> {
  const excluded = options.excludeReps?.length ?? 0;
  const sent = emitIfWanted(env, lead.teamId, decisionEventType(decision, excluded), () => decisionEvent(newId("evt"), lead, decision, reasons, excluded, Date.now()));
  if (!options.waitUntil) return sent;
  options.waitUntil(sent);
  return Promise.resolve();
}

/**
 * A decision made by hand (a manager's approval or override, an admin's reassignment, a send-back to
 * nurture) replacing `current`: its event, with the lead read here (an admin path, not the lead path).
 */
export async function enqueueManualDecisionEvent(env: Env, current: DecisionRow, made: { id: string; outcome: DecisionRow["outcome"]; repId: string | null; reason: string }): Promise<void> {
  try {
    const lead = await getDb(env.DB).select().from(leads).where(eq(leads.id, current.leadId)).get();
    if (!lead) return;
    const { seq: _s, isCurrent: _c, createdAt: _t, crmStatus: _m, crmNote: _n, ...base } = current;
    const decision: NewDecision = { ...base, id: made.id, outcome: made.outcome, repId: made.repId, queue: null, reason: made.reason, supersedes: current.id };
    // Taking a lead from one rep to give it to another is a re-route.
    await emitEvent(env, decisionEvent(newId("evt"), lead, decision, [], current.outcome === "assigned" && current.repId ? 1 : 0, Date.now()));
  } catch (err) {
    console.error("webhook event for a manual decision not enqueued", made.id, err);
  }
}

/** A model version became the active one (an activation or a rollback). */
export function enqueueModelActivated(env: Env, name: string, version: string): Promise<void> {
  return emitEvent(env, { id: newId("evt"), type: "model.activated", teamId: null, occurredAt: Date.now(), data: { model: { name, version } } });
}
