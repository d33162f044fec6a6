import { and, asc, eq, inArray, lt, ne } from "drizzle-orm";
import { getDb } from "./db/client.ts";
import { setCrmStatus } from "./db/decisions.ts";
import { markAttemptFailed, pendingLeads } from "./db/leads.ts";
import { decisions, leads, policies } from "./db/schema.ts";
import { forgetOldSignatures } from "./intake/replay.ts";
import { runMonitoring } from "./monitoring/checks.ts";
import { applyRetention } from "./privacy/retention.ts";
import { decideLead } from "./routing/decide-lead.ts";
import { PolicySchema } from "./routing/policy.ts";
import { getActivePolicy } from "./routing/policy-store.ts";
import { releaseSlot } from "./capacity/capacity-client.ts";
import { reconcileAssignments } from "./capacity/reconcile.ts";
import { publishAlertChanges } from "./webhooks/alert-events.ts";
import { requeueStuckDeliveries } from "./webhooks/sweep.ts";

/** Leads younger than this are still in their first request's hands. */
const RETRY_AFTER_MS = 30_000;
const BATCH = 50;

/** Decides leads left pending by a failed request (scoring, routing or D1 trouble). */
export async function retryPendingLeads(env: Env, olderThanMs = RETRY_AFTER_MS): Promise<{ retried: number; decided: number }> {
  const db = getDb(env.DB);
  const pending = await pendingLeads(db, olderThanMs, BATCH);
  let decided = 0;
  for (const lead of pending) {
    try {
      await decideLead(env, lead);
      decided++;
    } catch (err) {
      await markAttemptFailed(db, lead.id, String(err));
    }
  }
  return { retried: pending.length, decided };
}

/**
 * SLA: an assignment the CRM has not accepted within its team's policy's SLA goes to another rep. The old
 * decision stays in the history (crm_status `rejected`, note `sla breach`) and its slot is freed.
 */
export async function rerouteSlaBreaches(env: Env, now = Date.now()): Promise<{ breached: number; rerouted: number }> {
  const db = getDb(env.DB);
  // The shortest SLA of any active policy bounds the query; each decision is then held to its own team's.
  const active = await db.select({ body: policies.body }).from(policies).where(eq(policies.status, "active"));
  const shortest = Math.min((await getActivePolicy(env)).policy.slaMinutes, ...active.map((p) => PolicySchema.parse(p.body).slaMinutes));
  const candidates = await db
    .select()
    .from(decisions)
    .where(and(eq(decisions.isCurrent, true), eq(decisions.outcome, "assigned"), inArray(decisions.crmStatus, ["new", "acked"]), lt(decisions.createdAt, now - shortest * 60_000)))
    .orderBy(asc(decisions.seq))
    // Room for assignments past the shortest SLA but inside their own team's longer one.
    .limit(BATCH * 4);
  const late = [];
  for (const d of candidates) if (late.length < BATCH && d.createdAt < now - (await getActivePolicy(env, d.teamId)).policy.slaMinutes * 60_000) late.push(d);
  let rerouted = 0;
  for (const d of late) {
    if (!(await setCrmStatus(db, d.id, "rejected", ["new", "acked"], "sla breach"))) continue;
    if (d.repId) await releaseSlot(env, d.repId, d.leadId, { assigned: true });
    const lead = (await db.select().from(leads).where(eq(leads.id, d.leadId)).get())!;
    try {
      await decideLead(env, lead, { excludeReps: d.repId ? [d.repId] : [], supersedes: d.id });
      rerouted++;
    } catch (err) {
      console.error("SLA re-route failed", d.id, err);
    }
  }
  return { breached: late.length, rerouted };
}

/** Queued leads get a rep as soon as one frees up: oldest first, nothing written while still nobody can. */
export async function drainQueues(env: Env): Promise<{ queued: number; assigned: number }> {
  const db = getDb(env.DB);
  const queued = await db
    .select({ decision: decisions, lead: leads })
    .from(decisions)
    .innerJoin(leads, eq(leads.id, decisions.leadId))
    // A lead held for review waits for its manager, not for a free rep.
    .where(and(eq(decisions.isCurrent, true), eq(decisions.outcome, "queued"), ne(decisions.queue, "review")))
    .orderBy(asc(decisions.seq))
    .limit(BATCH);
  let assigned = 0;
  for (const { decision, lead } of queued) {
    const next = await decideLead(env, lead, { supersedes: decision.id, onlyIfAssigned: true }).catch(() => null);
    if (next) assigned++;
  }
  return { queued: queued.length, assigned };
}

export const scheduled: ExportedHandlerScheduledHandler<Env> = async (_controller, env, ctx) => {
  ctx.waitUntil(
    (async () => {
      // Assignments whose rep's object holds no slot go back to pending first, so this run decides them again.
      await reconcileAssignments(env).catch((err) => console.error("reconciling assignments failed", err));
      await retryPendingLeads(env);
      await rerouteSlaBreaches(env);
      await drainQueues(env);
    })(),
  );
  // Retention: personal fields of leads older than their team's setting are masked.
  ctx.waitUntil(
    applyRetention(env).catch((err) => {
      console.error("retention failed", err);
    }),
  );
  // Signatures past twice the tolerance window can no longer be replayed (the timestamp check refuses them).
  ctx.waitUntil(forgetOldSignatures(getDb(env.DB)).catch((err) => console.error("forgetting old signatures failed", err)));
  // Alerts opened or resolved since the last run go out to webhook subscribers.
  ctx.waitUntil(publishAlertChanges(env).catch((err) => console.error("alert webhooks failed", err)));
  // Deliveries whose queue message was lost are queued again.
  ctx.waitUntil(requeueStuckDeliveries(env).catch((err) => console.error("sweeping webhook deliveries failed", err)));
  // Monitoring (drift, calibration, operations) runs beside the routing chores, not after them.
  ctx.waitUntil(
    runMonitoring(env).catch((err) => {
      console.error("monitoring failed", err);
    }),
  );
};
