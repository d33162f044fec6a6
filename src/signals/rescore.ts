import { and, eq, inArray, like, ne, or } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import { decisions, leads } from "../db/schema.ts";
import type { NewSignalEvent } from "../db/signals.ts";
import { decideLead } from "../routing/decide-lead.ts";

/** Leads re-scored per events request at most; the rest wait for their next signal or the queue drain. */
export const MAX_RESCORES = 100;

export type Rescore = { leadId: string; from: string; outcome: "assigned" | "queued" | "nurture" | "unchanged" | "failed"; decisionId: string | null };

/**
 * A new signal re-scores the leads it concerns that are waiting — in nurture, or in a team or global queue
 * (never a review hold: a manager has it). A nurture lead that now crosses a threshold is routed at once
 * ("nurture-forward"); a queued lead is re-decided only if a rep takes it. The new decision supersedes
 * the old one, so lineage links them.
 */
export async function rescoreSubjects(env: Env, teamId: string, events: readonly NewSignalEvent[]): Promise<Rescore[]> {
  const emails = [...new Set(events.filter((e) => e.subjectType === "email").map((e) => e.subject))];
  const domains = [...new Set(events.map((e) => e.domain).filter((d): d is string => !!d))];
  if (emails.length === 0 && domains.length === 0) return [];
  const db = getDb(env.DB);
  const found = new Map<string, { decision: typeof decisions.$inferSelect; lead: typeof leads.$inferSelect }>();
  // Small groups keep each statement under D1's 100 bound parameters.
  const groups: ReturnType<typeof or>[] = [];
  for (let i = 0; i < emails.length; i += 80) groups.push(inArray(leads.email, emails.slice(i, i + 80)));
  for (let i = 0; i < domains.length; i += 40) groups.push(or(...domains.slice(i, i + 40).flatMap((d) => [like(leads.email, `%@${d}`), like(leads.email, `%.${d}`)])));
  for (const match of groups) {
    const rows = await db
      .select({ decision: decisions, lead: leads })
      .from(decisions)
      .innerJoin(leads, eq(leads.id, decisions.leadId))
      .where(and(eq(decisions.teamId, teamId), eq(decisions.isCurrent, true), inArray(decisions.outcome, ["nurture", "queued"]), or(ne(decisions.queue, "review"), eq(decisions.outcome, "nurture")), match))
      .limit(MAX_RESCORES);
    for (const r of rows) found.set(r.lead.id, r);
  }
  const out: Rescore[] = [];
  for (const { decision, lead } of [...found.values()].slice(0, MAX_RESCORES)) {
    const nurture = decision.outcome === "nurture";
    try {
      const next = nurture
        ? await decideLead(env, lead, { supersedes: decision.id, onlyIfRouted: true, trigger: "nurture-forward" })
        : await decideLead(env, lead, { supersedes: decision.id, onlyIfAssigned: true, trigger: "signal re-score" });
      out.push({ leadId: lead.id, from: decision.id, outcome: next?.outcome ?? "unchanged", decisionId: next?.id ?? null });
    } catch (err) {
      console.error("re-score failed", lead.id, err);
      out.push({ leadId: lead.id, from: decision.id, outcome: "failed", decisionId: null });
    }
  }
  return out;
}
