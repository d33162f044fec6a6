/**
 * Sales KPIs over a cohort of leads (those received in the report window). Pure: the endpoint, the dashboard
 * and the tests feed it rows and get the same numbers.
 */

export type KpiLead = { id: string; receivedAt: number; status: "pending" | "decided" | "review" | "discarded" };
export type KpiDecision = {
  leadId: string;
  outcome: "assigned" | "queued" | "nurture";
  repId: string | null;
  tier: string;
  queue: string | null;
  isCurrent: boolean;
  createdAt: number;
  crmAcceptedAt: number | null;
};
export type KpiOutcome = { leadId: string; type: "contacted" | "opportunity_created" | "won" | "lost"; amount: number | null; occurredAt: number };

const MINUTE = 60_000;
const DAY = 86_400_000;
const CONTACTED = new Set(["contacted", "opportunity_created", "won"]);
const CONVERTED = new Set(["opportunity_created", "won"]);

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;
const rate = (n: number, d: number) => (d === 0 ? null : round(n / d));

/** The q-quantile of sorted values, linearly interpolated (q in [0, 1]). */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

type Group = { leads: number; converted: number; rate: number | null };

export function computeKpis(leads: readonly KpiLead[], decisions: readonly KpiDecision[], outcomes: readonly KpiOutcome[]) {
  const byLead = <T extends { leadId: string }>(rows: readonly T[]) => {
    const m = new Map<string, T[]>();
    for (const r of rows) m.set(r.leadId, [...(m.get(r.leadId) ?? []), r]);
    return m;
  };
  const decisionsOf = byLead([...decisions].sort((a, b) => a.createdAt - b.createdAt));
  const outcomesOf = byLead([...outcomes].sort((a, b) => a.occurredAt - b.occurredAt));

  // Time to first action: from a lead's first assignment to the CRM accepting it or the first contact.
  const firstAction: number[] = [];
  let assignedLeads = 0;
  let contacted = 0;
  const tiers = new Map<string, Group>();
  const reps = new Map<string, Group>();
  const unassigned: Record<string, number> = {};
  const bump = (m: Map<string, Group>, key: string, converted: boolean) => {
    const g = m.get(key) ?? { leads: 0, converted: 0, rate: null };
    g.leads++;
    if (converted) g.converted++;
    m.set(key, g);
  };

  for (const lead of leads) {
    const ds = decisionsOf.get(lead.id) ?? [];
    const os = outcomesOf.get(lead.id) ?? [];
    const current = ds.find((d) => d.isCurrent) ?? ds.at(-1);
    const converted = os.some((o) => CONVERTED.has(o.type));
    const firstAssigned = ds.find((d) => d.outcome === "assigned");
    if (firstAssigned) {
      assignedLeads++;
      if (os.some((o) => CONTACTED.has(o.type))) contacted++;
      const actions = [
        ...ds.map((d) => d.crmAcceptedAt).filter((t): t is number => t !== null),
        ...os.filter((o) => CONTACTED.has(o.type)).map((o) => o.occurredAt),
      ].filter((t) => t >= firstAssigned.createdAt);
      if (actions.length > 0) firstAction.push((Math.min(...actions) - firstAssigned.createdAt) / MINUTE);
    }
    if (current) bump(tiers, current.tier, converted);
    const rep = [...ds].reverse().find((d) => d.outcome === "assigned")?.repId;
    if (rep) bump(reps, rep, converted);

    // Why a lead is not with a rep right now.
    const why =
      !current ? (lead.status === "pending" ? "pending" : lead.status === "review" ? "suspicious" : lead.status === "discarded" ? "discarded" : "no_decision")
      : current.outcome === "assigned" ? null
      : current.outcome === "nurture" ? "nurture"
      : current.queue === "review" ? "held_for_review"
      : current.queue === "global" ? "no_rep_serves_tier"
      : "reps_at_capacity_or_away";
    if (why) unassigned[why] = (unassigned[why] ?? 0) + 1;
  }
  const finish = (m: Map<string, Group>) => Object.fromEntries([...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, g]) => [k, { ...g, rate: rate(g.converted, g.leads) }]));

  // Pipeline velocity = opportunities × win rate × average won deal ÷ average cycle (days), per day.
  const opportunities = leads.filter((l) => (outcomesOf.get(l.id) ?? []).some((o) => CONVERTED.has(o.type)));
  const closed = opportunities
    .map((l) => ({ lead: l, close: (outcomesOf.get(l.id) ?? []).find((o) => o.type === "won" || o.type === "lost") }))
    .filter((x): x is { lead: KpiLead; close: KpiOutcome } => x.close !== undefined);
  const won = closed.filter((x) => x.close.type === "won");
  const winRate = rate(won.length, closed.length);
  const amounts = won.map((x) => x.close.amount).filter((a): a is number => a !== null);
  const avgDeal = amounts.length ? amounts.reduce((a, b) => a + b, 0) / amounts.length : null;
  const cycle = closed.length ? closed.reduce((s, x) => s + (x.close.occurredAt - x.lead.receivedAt) / DAY, 0) / closed.length : null;
  const velocity = winRate !== null && avgDeal !== null && cycle !== null && cycle > 0 ? round((opportunities.length * winRate * avgDeal) / cycle, 2) : null;

  const sorted = firstAction.sort((a, b) => a - b);
  return {
    leads: leads.length,
    timeToFirstActionMinutes: { n: sorted.length, waiting: assignedLeads - sorted.length, median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9) },
    contactRate: { assigned: assignedLeads, contacted, rate: rate(contacted, assignedLeads) },
    conversionByTier: finish(tiers),
    conversionByRep: finish(reps),
    pipelineVelocity: { opportunities: opportunities.length, winRate, averageWonDeal: avgDeal === null ? null : round(avgDeal, 2), averageCycleDays: cycle === null ? null : round(cycle), perDay: velocity },
    unassigned: { total: Object.values(unassigned).reduce((a, b) => a + b, 0), byReason: unassigned },
  };
}
export type Kpis = ReturnType<typeof computeKpis>;
