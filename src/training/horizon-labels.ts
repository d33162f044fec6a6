/**
 * Conversion labels with a horizon, so leads nobody worked still count. A lead is labelled from the
 * moment its decision scored it (`decidedAt`):
 * - 1 when an opportunity or a win is dated within the horizon after it (`converted_in_horizon`);
 * - 0 once the horizon has passed without one, whatever was or was not reported (`horizon_passed`;
 *   counted apart when nothing at all was reported: `horizon_passed_unworked`), a conversion dated
 *   after the horizon included (`converted_after_horizon`);
 * - left out (censored) while the horizon is still open and no conversion came yet (`censored`).
 * Without the horizon only leads that got an outcome would be rows, and a model would learn only from
 * leads someone worked.
 */

export const DEFAULT_HORIZON_DAYS = 90;
const DAY = 86_400_000;
const POSITIVE = new Set(["opportunity_created", "won"]);

export type LabelRule = "converted_in_horizon" | "horizon_passed" | "horizon_passed_unworked" | "converted_after_horizon" | "censored";
export const LABEL_RULES: readonly LabelRule[] = ["converted_in_horizon", "horizon_passed", "horizon_passed_unworked", "converted_after_horizon", "censored"];

export type HorizonLabel = { label: 0 | 1 | null; rule: LabelRule; horizonEndsAt: number };

/** Labels one lead; `outcomes` are its reported outcomes (any order). Outcomes dated before the decision count as within it (CRM clocks drift). */
export function horizonLabel(decidedAt: number, outcomes: readonly { type: string; occurredAt: number }[], horizonDays: number, now: number): HorizonLabel {
  const horizonEndsAt = decidedAt + horizonDays * DAY;
  const conversions = outcomes.filter((o) => POSITIVE.has(o.type));
  if (conversions.some((o) => o.occurredAt <= horizonEndsAt)) return { label: 1, rule: "converted_in_horizon", horizonEndsAt };
  if (now < horizonEndsAt) return { label: null, rule: "censored", horizonEndsAt };
  if (conversions.length > 0) return { label: 0, rule: "converted_after_horizon", horizonEndsAt };
  return { label: 0, rule: outcomes.length > 0 ? "horizon_passed" : "horizon_passed_unworked", horizonEndsAt };
}

/** Rows per rule, every rule present (zeros included), for export pages and reports. */
export function countRules(labels: readonly HorizonLabel[]): Record<LabelRule, number> {
  const counts = Object.fromEntries(LABEL_RULES.map((r) => [r, 0])) as Record<LabelRule, number>;
  for (const l of labels) counts[l.rule]++;
  return counts;
}
