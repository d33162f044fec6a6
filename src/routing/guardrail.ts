import { z } from "zod";

/**
 * Routing guardrail: when, within a short window, one rep gets too large a share of the model's assignments
 * or one tier too large a share of its decisions, the model is kept out of routing (rule-only) until the
 * window no longer shows the skew, and an alert is raised.
 */
export const GuardrailSchema = z.object({
  windowMinutes: z.number().int().min(1).max(1_440).default(15),
  /** Below this many model decisions in the window, no share is judged. */
  minDecisions: z.number().int().min(1).max(100_000).default(20),
  /** Largest share of the window's model assignments one rep may get. */
  maxRepShare: z.number().gt(0).max(1).default(0.6),
  /** Largest share of the window's model decisions one tier may get. */
  maxTierShare: z.number().gt(0).max(1).default(0.9),
});
export type Guardrail = z.infer<typeof GuardrailSchema>;

/** Model decisions in the window, grouped by tier and rep (rep null when not assigned). */
export type WindowCount = { tier: string; repId: string | null; n: number };

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** Why routing must fall back to rules, or null when the window looks normal. Pure. */
export function skewReason(rules: Guardrail, counts: readonly WindowCount[]): string | null {
  const sum = (pick: (c: WindowCount) => string | null) => {
    const by = new Map<string, number>();
    for (const c of counts) {
      const k = pick(c);
      if (k !== null) by.set(k, (by.get(k) ?? 0) + c.n);
    }
    return by;
  };
  const check = (kind: string, by: Map<string, number>, bound: number): string | null => {
    const total = [...by.values()].reduce((a, b) => a + b, 0);
    if (total < rules.minDecisions) return null;
    const [top, n] = [...by.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]!;
    return n / total > bound ? `guardrail: ${kind} ${top} got ${pct(n / total)} of ${total} model decisions in ${rules.windowMinutes} min (bound ${pct(bound)})` : null;
  };
  return check("rep", sum((c) => c.repId), rules.maxRepShare) ?? check("tier", sum((c) => c.tier), rules.maxTierShare);
}
