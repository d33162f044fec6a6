import { and, count, eq, gt } from "drizzle-orm";
import { raiseAlert } from "./alerts.ts";
import type { Db } from "./client.ts";
import { decisions } from "./schema.ts";
import { skewReason, type Guardrail } from "../routing/guardrail.ts";

/**
 * Checks the team's recent model decisions against the policy's guardrail; when they are skewed, raises
 * (or bumps) a `routing_skew` alert and returns the reason routing falls back to rules. Only model-mode
 * decisions count, so once the guard holds, the skew ages out of the window and the model comes back.
 */
export async function skewGuardReason(db: Db, rules: Guardrail | null, teamId: string, now = Date.now()): Promise<string | null> {
  if (!rules) return null;
  const counts = await db
    .select({ tier: decisions.tier, repId: decisions.repId, n: count() })
    .from(decisions)
    .where(and(eq(decisions.teamId, teamId), eq(decisions.mode, "model"), gt(decisions.createdAt, now - rules.windowMinutes * 60_000)))
    .groupBy(decisions.tier, decisions.repId);
  const reason = skewReason(rules, counts);
  if (reason) await raiseAlert(db, { kind: "routing_skew", subject: `team:${teamId}`, severity: "alert", message: reason }, now).catch((err) => console.error("alert failed", err));
  return reason;
}
