import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { skewReason, type Guardrail } from "../src/routing/guardrail.ts";
import { DEFAULT_POLICY } from "../src/routing/policy.ts";
import { call, HOT_LEAD, postLead, uniqueEmail } from "./helpers.ts";
import { TOKENS } from "./setup.ts";
import { json } from "./signal-helpers.ts";

const RULES: Guardrail = { windowMinutes: 15, minDecisions: 10, maxRepShare: 0.6, maxTierShare: 0.7 };
// Score about 0.42 (SDR tier) and well under 0.25 (nurture) with the default model.
const MID_LEAD = { employees: 300, job_title: "Head of Marketing", pages_viewed: 12, source: "referral", industry: "finance", demo_requested: false };
const COLD_LEAD = { employees: 3, job_title: "Student", pages_viewed: 0, demo_requested: false };

type Decision = { outcome: string; tier: string; mode: string; repId: string | null };
const decide = async (body: Record<string, unknown>) => ((await (await postLead({ ...body, email: uniqueEmail() })).json()) as { decision: Decision }).decision;
const useGuardrail = async (guardrail: Guardrail) => {
  const res = await call("/v1/policies", { method: "POST", headers: json(TOKENS.admin), body: JSON.stringify({ policy: { ...DEFAULT_POLICY, guardrail }, reason: "guardrail on" }) });
  expect(res.status).toBe(201);
};
const skewAlerts = async () => (await env.DB.prepare("SELECT subject, message FROM alerts WHERE kind = 'routing_skew' AND resolved_at IS NULL").all<{ subject: string; message: string }>()).results;

describe("skew detection (pure)", () => {
  it("judges nothing below the minimum number of decisions", () => {
    expect(skewReason(RULES, [{ tier: "ae", repId: "a", n: 9 }])).toBeNull();
  });

  it("flags a rep taking more than its bound of the assignments", () => {
    const counts = [{ tier: "ae", repId: "a", n: 7 }, { tier: "sdr", repId: "b", n: 3 }, { tier: "nurture", repId: null, n: 3 }];
    expect(skewReason(RULES, counts)).toBe("guardrail: rep a got 70% of 10 model decisions in 15 min (bound 60%)");
  });

  it("flags a tier taking more than its bound of the decisions, and passes an even spread", () => {
    expect(skewReason(RULES, [{ tier: "nurture", repId: null, n: 8 }, { tier: "ae", repId: "a", n: 1 }, { tier: "sdr", repId: "b", n: 1 }])).toMatch(/^guardrail: tier nurture got 80%/);
    const even = [{ tier: "ae", repId: "a", n: 3 }, { tier: "ae", repId: "b", n: 3 }, { tier: "sdr", repId: "c", n: 3 }, { tier: "sdr", repId: "d", n: 3 }, { tier: "nurture", repId: null, n: 4 }];
    expect(skewReason(RULES, even)).toBeNull();
  });
});

describe("the guardrail on live routing", () => {
  it("does not fire on a normal mix of leads", async () => {
    await useGuardrail(RULES);
    const decisions: Decision[] = [];
    for (let i = 0; i < 15; i++) decisions.push(await decide([HOT_LEAD, MID_LEAD, COLD_LEAD][i % 3]!));
    expect(decisions.every((d) => d.mode === "model")).toBe(true);
    expect(new Set(decisions.map((d) => d.tier))).toEqual(new Set(["ae", "sdr", "nurture"]));
    expect(await skewAlerts()).toEqual([]);
  });

  it("falls back to rule-only routing and raises an alert when one tier takes the stream", async () => {
    await env.DB.prepare("UPDATE reps SET max_open = 100, max_per_day = 100").run();
    await useGuardrail(RULES);
    const decisions: Decision[] = [];
    for (let i = 0; i < 14; i++) decisions.push(await decide(HOT_LEAD));
    // The first ten model decisions fill the window; from then on the tier share (100%) is past 70%.
    expect(decisions.slice(0, 10).every((d) => d.mode === "model")).toBe(true);
    expect(decisions.slice(10).every((d) => d.mode === "rules")).toBe(true);
    const [alert] = await skewAlerts();
    expect(alert).toMatchObject({ subject: "team:demo" });
    expect(alert!.message).toMatch(/^guardrail: (tier ae|rep rep_\w+) got \d+% of 10 model decisions/);
    const fallback = await env.DB.prepare("SELECT l.fallback_reason AS f FROM decisions d JOIN lineage l ON l.decision_id = d.id WHERE d.mode = 'rules' LIMIT 1").first<{ f: string }>();
    expect(fallback!.f).toMatch(/^guardrail: /);
  });

  it("fires on one rep taking the assignments", async () => {
    await env.DB.prepare("UPDATE reps SET status = 'away' WHERE id IN ('rep_grace', 'rep_katherine', 'rep_linus')").run();
    await env.DB.prepare("UPDATE reps SET max_open = 100, max_per_day = 100").run();
    // Tiers alternate (no tier skew), but every AE lead goes to Ada and every SDR lead to Alan: 50% each.
    await useGuardrail({ ...RULES, maxRepShare: 0.45, maxTierShare: 1 });
    const decisions: Decision[] = [];
    for (let i = 0; i < 12; i++) decisions.push(await decide(i % 2 ? HOT_LEAD : MID_LEAD));
    expect(decisions.slice(0, 10).every((d) => d.mode === "model")).toBe(true);
    expect(decisions.slice(10).every((d) => d.mode === "rules")).toBe(true);
    expect((await skewAlerts())[0]!.message).toMatch(/^guardrail: rep rep_(ada|alan) got 50% of 10/);
  });
});
