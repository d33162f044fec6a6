import type { NewDecision } from "../db/decisions.ts";
import type { LeadRow } from "../db/leads.ts";
import type { Reason } from "../scoring/score.ts";

/** Every event a subscription may ask for. */
export const EVENT_TYPES = [
  "decision.assigned",
  "decision.queued",
  "decision.nurtured",
  "decision.rerouted",
  "review.held",
  "alert.opened",
  "alert.resolved",
  "model.activated",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** A decision as a webhook tells it: what a rep or a channel needs to act, and ids to look up the rest. */
export type DecisionEventData = {
  decision: {
    id: string;
    outcome: "assigned" | "queued" | "nurture";
    tier: string;
    repId: string | null;
    queue: string | null;
    mode: "model" | "rules";
    probability: number | null;
    model: { name: string; version: string } | null;
    policyVersion: number;
    reason: string;
    /** The top reason codes (feature contributions), largest first. */
    reasons: Reason[];
    supersedes: string | null;
  };
  lead: { id: string; email: string; company: string | null };
};

export type AlertEventData = { alert: { kind: string; subject: string; severity: string; message: string } };
export type ModelEventData = { model: { name: string; version: string } };

/**
 * One thing that happened, as it rides the queue. `teamId` null means it concerns every team (a model
 * activation, a monitoring alert not tied to one team).
 */
export type WebhookEvent = { id: string; type: EventType; teamId: string | null; occurredAt: number; data: DecisionEventData | AlertEventData | ModelEventData };

/** How many reason codes an event carries. */
const TOP_REASONS = 3;

/**
 * Which event a recorded decision is: a proposal held for a manager is `review.held`; a new rep after an
 * SLA breach or a rejection (a superseded decision with reps excluded) is `decision.rerouted`.
 */
export function decisionEventType(decision: Pick<NewDecision, "outcome" | "queue" | "supersedes">, excludedReps: number): EventType {
  if (decision.outcome === "queued" && decision.queue === "review") return "review.held";
  if (decision.outcome === "assigned" && decision.supersedes && excludedReps > 0) return "decision.rerouted";
  if (decision.outcome === "assigned") return "decision.assigned";
  if (decision.outcome === "queued") return "decision.queued";
  return "decision.nurtured";
}

/** The event for a decision just committed. Pure: the id and time are passed in. */
export function decisionEvent(
  id: string,
  lead: Pick<LeadRow, "id" | "teamId" | "email" | "payload">,
  decision: NewDecision,
  reasons: readonly Reason[],
  excludedReps: number,
  now: number,
): WebhookEvent {
  const company = (lead.payload as Record<string, unknown> | null)?.company;
  return {
    id,
    type: decisionEventType(decision, excludedReps),
    teamId: lead.teamId,
    occurredAt: now,
    data: {
      decision: {
        id: decision.id,
        outcome: decision.outcome,
        tier: decision.tier,
        repId: decision.repId ?? null,
        queue: decision.queue ?? null,
        mode: decision.mode,
        probability: decision.probability ?? null,
        model: decision.modelName && decision.modelVersion ? { name: decision.modelName, version: decision.modelVersion } : null,
        policyVersion: decision.policyVersion,
        reason: decision.reason,
        reasons: [...reasons].sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution)).slice(0, TOP_REASONS),
        supersedes: decision.supersedes ?? null,
      },
      lead: { id: lead.id, email: lead.email, company: typeof company === "string" ? company : null },
    },
  };
}

/** Alerts whose subject names a team (`team:<id>`) go to that team only; the rest concern everyone. */
export function alertTeam(subject: string): string | null {
  return subject.startsWith("team:") ? subject.slice("team:".length) : null;
}
