import { z } from "zod";

/** Which decisions a manager must see before they go out. Any matching condition holds the decision. */
export const ReviewRulesSchema = z.object({
  /** Leads of accounts marked strategic. */
  strategicAccounts: z.boolean().default(false),
  /** Leads scored at or above this calibrated probability. */
  minProbability: z.number().min(0).max(1).nullable().default(null),
  /** Leads whose deal value (declared, or the segment's default) is at or above this. */
  minDealValue: z.number().nonnegative().nullable().default(null),
});
export type ReviewRules = z.infer<typeof ReviewRulesSchema>;

/** Why a decision must wait for a manager; empty when it may go out at once. Pure, so replay and tests agree. */
export function reviewReasons(rules: ReviewRules | null, lead: { probability: number | null; dealValue: number; strategicAccount: string | null }): string[] {
  if (!rules) return [];
  const why: string[] = [];
  if (rules.strategicAccounts && lead.strategicAccount) why.push(`strategic account ${lead.strategicAccount}`);
  if (rules.minProbability !== null && lead.probability !== null && lead.probability >= rules.minProbability) why.push(`probability ${lead.probability.toFixed(4)} ≥ ${rules.minProbability}`);
  if (rules.minDealValue !== null && lead.dealValue >= rules.minDealValue) why.push(`deal value ${lead.dealValue} ≥ ${rules.minDealValue}`);
  return why;
}
