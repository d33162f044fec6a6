import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { quantile } from "../src/kpis/compute.ts";
import { call, crmGet, HOT_LEAD, postLead, uniqueEmail } from "./helpers.ts";
import { TOKENS } from "./setup.ts";

const T = Date.parse("2026-10-01T00:00:00Z");
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const WINDOW = `from=2026-10-01T00:00:00Z&to=2026-10-11T00:00:00Z`;

type D = { id: string; outcome: string; repId?: string; tier: string; queue?: string; current?: boolean; at: number; accepted?: number };
type O = { type: string; at: number; amount?: number };

async function seed(id: string, receivedAt: number, decisions: D[], outcomes: O[] = [], status = "decided", teamId = "demo") {
  const stmts = [
    env.DB.prepare("INSERT INTO leads (id, team_id, site_id, email, payload, input_hash, status, received_at) VALUES (?, ?, 'pk_demo', ?, '{}', 'h', ?, ?)").bind(id, teamId, `${id}@kpi.example`, status, receivedAt),
    ...decisions.map((d) =>
      env.DB.prepare("INSERT INTO decisions (id, lead_id, team_id, outcome, rep_id, tier, mode, policy_version, reason, queue, is_current, created_at, crm_accepted_at) VALUES (?, ?, ?, ?, ?, ?, 'model', 1, 'seeded', ?, ?, ?, ?)")
        .bind(d.id, id, teamId, d.outcome, d.repId ?? null, d.tier, d.queue ?? null, d.current === false ? 0 : 1, d.at, d.accepted ?? null),
    ),
    ...outcomes.map((o, i) => env.DB.prepare("INSERT INTO outcomes (id, lead_id, type, amount, occurred_at, team_id) VALUES (?, ?, ?, ?, ?, ?)").bind(`${id}-o${i}`, id, o.type, o.amount ?? null, o.at, teamId)),
  ];
  await env.DB.batch(stmts);
}

/** A small cohort whose every KPI can be worked out by hand (see the expectations). */
async function seedCohort() {
  await seed("l1", T, [{ id: "d1", outcome: "assigned", repId: "rep_ada", tier: "ae", at: T + MIN, accepted: T + 11 * MIN }], [
    { type: "contacted", at: T + 30 * MIN },
    { type: "opportunity_created", at: T + DAY },
    { type: "won", at: T + 10 * DAY, amount: 50_000 },
  ]);
  await seed("l2", T + HOUR, [{ id: "d2", outcome: "assigned", repId: "rep_grace", tier: "ae", at: T + HOUR + MIN }], [
    { type: "contacted", at: T + HOUR + 31 * MIN },
    { type: "opportunity_created", at: T + 2 * DAY },
    { type: "lost", at: T + HOUR + 4 * DAY },
  ]);
  await seed("l3", T + 2 * HOUR, [{ id: "d3", outcome: "assigned", repId: "rep_alan", tier: "sdr", at: T + 2 * HOUR, accepted: T + 2 * HOUR + 50 * MIN }]);
  await seed("l4", T + 3 * HOUR, [{ id: "d4", outcome: "nurture", tier: "nurture", at: T + 3 * HOUR }]);
  await seed("l5", T + 4 * HOUR, [
    { id: "d5a", outcome: "queued", tier: "sdr", queue: "team", current: false, at: T + 4 * HOUR },
    { id: "d5b", outcome: "assigned", repId: "rep_alan", tier: "sdr", at: T + 5 * HOUR },
  ]);
  await seed("l6", T + 5 * HOUR, [{ id: "d6", outcome: "queued", tier: "ae", queue: "review", at: T + 5 * HOUR }]);
  await seed("l7", T + 6 * HOUR, [], [], "pending");
  await seed("l8", T + 7 * HOUR, [], [], "review");
  // Outside the window, and another team's: never counted for the demo team.
  await seed("l9", T + 20 * DAY, [{ id: "d9", outcome: "assigned", repId: "rep_ada", tier: "ae", at: T + 20 * DAY }], [{ type: "won", at: T + 21 * DAY, amount: 1 }]);
  await seed("l10", T + HOUR, [{ id: "d10", outcome: "nurture", tier: "nurture", at: T + HOUR }], [], "decided", "other");
}

describe("KPIs on a known dataset", () => {
  it("computes every KPI of the cohort", async () => {
    await seedCohort();
    const res = await crmGet(`/v1/reports/kpis?${WINDOW}`);
    expect(res.status).toBe(200);
    const k = (await res.json()) as Record<string, unknown>;
    expect(k.leads).toBe(8);
    // First actions: l1 accepted after 10 min (before its contact at 29 min), l2 contacted after 30, l3 accepted after 50; l5 still waits.
    expect(k.timeToFirstActionMinutes).toEqual({ n: 3, waiting: 1, median: 30, p90: 46 });
    expect(k.contactRate).toEqual({ assigned: 4, contacted: 2, rate: 0.5 });
    expect(k.conversionByTier).toEqual({
      ae: { leads: 3, converted: 2, rate: 0.6667 },
      nurture: { leads: 1, converted: 0, rate: 0 },
      sdr: { leads: 2, converted: 0, rate: 0 },
    });
    expect(k.conversionByRep).toEqual({
      rep_ada: { leads: 1, converted: 1, rate: 1 },
      rep_alan: { leads: 2, converted: 0, rate: 0 },
      rep_grace: { leads: 1, converted: 1, rate: 1 },
    });
    // 2 opportunities × 50% won × 50,000 average won deal ÷ 7 days average cycle (10 and 4 days).
    expect(k.pipelineVelocity).toEqual({ opportunities: 2, winRate: 0.5, averageWonDeal: 50_000, averageCycleDays: 7, perDay: 7142.86 });
    expect(k.unassigned).toEqual({ total: 4, byReason: { nurture: 1, held_for_review: 1, pending: 1, suspicious: 1 } });
  });

  it("gives an admin every team, or the one it names, and keeps a CRM token to its own", async () => {
    await seedCohort();
    const admin = (q: string) => call(`/v1/reports/kpis?${q}`, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
    expect(((await (await admin(WINDOW)).json()) as { leads: number }).leads).toBe(9);
    expect(((await (await admin(`${WINDOW}&team=other`)).json()) as { leads: number }).leads).toBe(1);
    expect((await crmGet(`/v1/reports/kpis?${WINDOW}&team=other`)).status).toBe(403);
    expect((await crmGet(`/v1/reports/kpis?${WINDOW}`, TOKENS.otherTeam)).status).toBe(200);
  });

  it("answers an empty window with zeros and nulls, not errors", async () => {
    const k = (await (await crmGet(`/v1/reports/kpis?${WINDOW}`)).json()) as Record<string, unknown>;
    expect(k).toMatchObject({ leads: 0, timeToFirstActionMinutes: { n: 0, waiting: 0, median: null, p90: null }, contactRate: { rate: null }, pipelineVelocity: { perDay: null }, unassigned: { total: 0 } });
  });

  it("refuses a bad window with 422", async () => {
    expect((await crmGet("/v1/reports/kpis?from=2026-10-11T00:00:00Z&to=2026-10-01T00:00:00Z")).status).toBe(422);
    expect((await crmGet("/v1/reports/kpis?from=yesterday")).status).toBe(422);
    expect((await crmGet("/v1/reports/kpis?from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z")).status).toBe(422);
    expect((await call("/v1/reports/kpis")).status).toBe(401);
  });

  it("counts a CRM accept made through the API as the first action", async () => {
    const { decision } = (await (await postLead({ ...HOT_LEAD, email: uniqueEmail() })).json()) as { decision: { id: string } };
    await call(`/v1/assignments/${decision.id}/accept`, { method: "POST", headers: { authorization: `Bearer ${TOKENS.crm}` } });
    const k = (await (await crmGet("/v1/reports/kpis")).json()) as { timeToFirstActionMinutes: { n: number; waiting: number; median: number } };
    expect(k.timeToFirstActionMinutes).toMatchObject({ n: 1, waiting: 0 });
    expect(k.timeToFirstActionMinutes.median).toBeGreaterThanOrEqual(0);
  });

  it("interpolates quantiles", () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([10, 30, 50], 0.5)).toBe(30);
    expect(quantile([10, 30, 50], 0.9)).toBeCloseTo(46, 10);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
  });
});
