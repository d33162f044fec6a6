import { z } from "zod";
import { readPath } from "../scoring/features.ts";

const Tier = z.object({
  name: z.string().min(1).max(32),
  /** Lowest calibrated probability that lands in this tier. */
  minProbability: z.number().min(0).max(1),
  /** Which reps serve the tier; `null` sends the lead to nurture (no rep). */
  pool: z.enum(["ae", "sdr"]).nullable(),
});

/** A deterministic rule used when no model can score: the first match picks the tier. */
const Rule = z.object({
  path: z.string().min(1),
  equals: z.union([z.string(), z.number(), z.boolean()]),
  tier: z.string().min(1),
});

/** A routing policy: versioned JSON in D1. */
export const PolicySchema = z
  .object({
    tiers: z.array(Tier).min(1),
    rules: z.array(Rule).default([]),
    /** Tier for a lead no rule matches when routing on rules only. */
    ruleOnlyTier: z.string().min(1),
    /** Deal value used when the lead carries none. */
    defaultDealValue: z.number().nonnegative(),
    /** Expected value is scaled by (1 - loadPenalty × load ratio): busy reps rank lower. */
    loadPenalty: z.number().min(0).max(1),
  })
  .superRefine((p, ctx) => {
    const names = new Set(p.tiers.map((t) => t.name));
    if (names.size !== p.tiers.length) ctx.addIssue({ code: "custom", message: "tier names must be unique" });
    if (!p.tiers.some((t) => t.minProbability === 0))
      ctx.addIssue({ code: "custom", message: "one tier must have minProbability 0, so every lead has a tier" });
    for (const name of [p.ruleOnlyTier, ...p.rules.map((r) => r.tier)])
      if (!names.has(name)) ctx.addIssue({ code: "custom", message: `unknown tier ${name}` });
  });
export type Policy = z.infer<typeof PolicySchema>;
export type PolicyTier = Policy["tiers"][number];

/** The policy the router ships with (version 1). */
export const DEFAULT_POLICY: Policy = {
  tiers: [
    { name: "ae", minProbability: 0.6, pool: "ae" },
    { name: "sdr", minProbability: 0.25, pool: "sdr" },
    { name: "nurture", minProbability: 0, pool: null },
  ],
  rules: [{ path: "demo_requested", equals: true, tier: "ae" }],
  ruleOnlyTier: "sdr",
  defaultDealValue: 10_000,
  loadPenalty: 0.5,
};

/** The tier of a scored lead: the highest threshold its probability reaches. */
export function tierForProbability(policy: Policy, probability: number): PolicyTier {
  const sorted = [...policy.tiers].sort((a, b) => b.minProbability - a.minProbability);
  return sorted.find((t) => probability >= t.minProbability) ?? sorted[sorted.length - 1]!;
}

/** The tier of a lead routed on rules only (no usable model). */
export function tierForRules(policy: Policy, payload: unknown): PolicyTier {
  const byName = (name: string) => policy.tiers.find((t) => t.name === name)!;
  for (const rule of policy.rules) {
    const v = readPath(payload, rule.path);
    if (v === rule.equals || (typeof v === "string" && String(rule.equals) === v.trim().toLowerCase()))
      return byName(rule.tier);
  }
  return byName(policy.ruleOnlyTier);
}
