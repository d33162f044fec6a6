import type { Db } from "../db/client.ts";
import { getDb } from "../db/client.ts";
import { rulesOnlySwitches } from "../db/schema-trust.ts";

export type RulesOnlySwitch = typeof rulesOnlySwitches.$inferSelect;

/** How long an isolate trusts its view of the switches (as for the active policy): a flip reaches new leads within it. */
export const RULES_ONLY_TTL_MS = 5_000;

// Resolved rows only, never a pending query: another request must not await this one's I/O.
let cached: { at: number; byTeam: Map<string, RulesOnlySwitch> } | undefined;

export function invalidateRulesOnly(): void {
  cached = undefined;
}

/** Every team's switch that is on (a handful of rows at most). */
export async function rulesOnlySwitchesOn(db: Db): Promise<RulesOnlySwitch[]> {
  return db.select().from(rulesOnlySwitches);
}

/**
 * Why the team routes on rules alone right now, or null: sales ops turned its rules-only switch on (with
 * a reason) and have not turned it off. The decision then records `mode: "rules"` with this as its
 * fallback reason. Each isolate reads the switches at most every few seconds. Never rejects.
 */
export async function rulesOnlyReason(env: Env, teamId: string): Promise<string | null> {
  if (!cached || Date.now() - cached.at > RULES_ONLY_TTL_MS) {
    try {
      const rows = await rulesOnlySwitchesOn(getDb(env.DB));
      cached = { at: Date.now(), byTeam: new Map(rows.map((r) => [r.teamId, r])) };
    } catch (err) {
      // Never fails the lead: the last view stands (none yet: off) and the next lead reads again.
      console.error("rules-only switches unreadable", err);
      if (!cached) return null;
    }
  }
  const on = cached.byTeam.get(teamId);
  return on ? `rules-only switch: on since ${new Date(on.setAt).toISOString()} by ${on.setBy} (${on.reason}); routing on rules` : null;
}
