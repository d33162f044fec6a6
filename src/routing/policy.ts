import { z } from "zod";
import { DEFAULT_DRIFT_SETTINGS, DriftSettingsSchema } from "../monitoring/drift-settings.ts";
import { readPath } from "../scoring/features.ts";
import { GuardrailSchema } from "./guardrail.ts";
import { DEFAULT_FAIRNESS } from "./rank.ts";
import { ReviewRulesSchema } from "./review.ts";

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

/** Company-size segments: by employees, each with a default deal value. */
const Segment = z.object({
  name: z.string().min(1).max(32),
  minEmployees: z.number().int().min(0),
  defaultDealValue: z.number().nonnegative(),
});

/** Strategic leads skip the probability tiers: listed domains, strategic accounts, or big companies. */
const Escalation = z.object({
  tier: z.string().min(1),
  domains: z.array(z.string().min(3).max(253)).default([]),
  strategicAccounts: z.boolean().default(true),
  minEmployees: z.number().int().positive().nullable().default(null),
});

/** A routing policy: versioned JSON in D1. */
export const PolicySchema = z
  .object({
    tiers: z.array(Tier).min(1),
    segments: z.array(Segment).default([]),
    escalation: Escalation.nullable().default(null),
    /** The account owner gets a matched lead first (if available and under cap). */
    ownerFirst: z.boolean().default(true),
    /** Minutes the CRM has to accept an assignment before it is re-routed. */
    slaMinutes: z.number().int().min(1).max(10_080).default(60),
    rules: z.array(Rule).default([]),
    /** Tier for a lead no rule matches when routing on rules only. */
    ruleOnlyTier: z.string().min(1),
    /** Deal value used when the lead carries none. */
    defaultDealValue: z.number().nonnegative(),
    /** Expected value is scaled by (1 - loadPenalty × load ratio): busy reps rank lower. */
    loadPenalty: z.number().min(0).max(1),
    /** Drift monitoring thresholds and guard (see src/monitoring/drift-settings.ts). */
    drift: DriftSettingsSchema.default(DEFAULT_DRIFT_SETTINGS),
    /** High-impact decisions a manager approves first (see ./review.ts); null holds nothing. */
    review: ReviewRulesSchema.nullable().default(null),
    /** Falls back to rule-only routing when one rep or tier gets too large a share (see ./guardrail.ts); null is off. */
    guardrail: GuardrailSchema.nullable().default(null),
    /**
     * A lead whose site's consent field said no never enters a nurture sequence: when its tier has no reps
     * (nurture), it goes to this tier instead (e.g. an SDR tier: a person follows up). null is off.
     */
    withoutConsentTier: z.string().min(1).nullable().default(null),
    /** Who counts as equals, among whom leads go in proportion to the reps' weights (see ./rank.ts). */
    fairness: z.object({ evBand: z.number().min(0).max(1) }).default(DEFAULT_FAIRNESS),
  })
  .superRefine((p, ctx) => {
    const names = new Set(p.tiers.map((t) => t.name));
    if (names.size !== p.tiers.length) ctx.addIssue({ code: "custom", message: "tier names must be unique" });
    if (!p.tiers.some((t) => t.minProbability === 0))
      ctx.addIssue({ code: "custom", message: "one tier must have minProbability 0, so every lead has a tier" });
    for (const name of [p.ruleOnlyTier, ...p.rules.map((r) => r.tier), ...(p.escalation ? [p.escalation.tier] : []), ...(p.withoutConsentTier ? [p.withoutConsentTier] : [])])
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
  segments: [
    { name: "smb", minEmployees: 0, defaultDealValue: 5_000 },
    { name: "mid_market", minEmployees: 100, defaultDealValue: 25_000 },
    { name: "enterprise", minEmployees: 1_000, defaultDealValue: 120_000 },
  ],
  escalation: { tier: "ae", domains: [], strategicAccounts: true, minEmployees: 20_000 },
  ownerFirst: true,
  slaMinutes: 60,
  rules: [{ path: "demo_requested", equals: true, tier: "ae" }],
  ruleOnlyTier: "sdr",
  defaultDealValue: 10_000,
  loadPenalty: 0.5,
  drift: DEFAULT_DRIFT_SETTINGS,
  review: null,
  guardrail: null,
  withoutConsentTier: null,
  fairness: DEFAULT_FAIRNESS,
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

/** The segment of a lead by its employee count (the largest segment whose minimum it reaches). */
export function segmentOf(policy: Policy, employees: number | null): Policy["segments"][number] | null {
  if (employees === null) return null;
  return [...policy.segments].sort((a, b) => b.minEmployees - a.minEmployees).find((s) => employees >= s.minEmployees) ?? null;
}
