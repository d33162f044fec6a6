import type { Db } from "../db/client.ts";
import { getDb } from "../db/client.ts";
import { rulesOnlySwitches } from "../db/schema-trust.ts";
import { registerCache, ttlCache } from "../lib/ttl-cache.ts";

export type RulesOnlySwitch = typeof rulesOnlySwitches.$inferSelect;

/** How long an isolate trusts its view of the switches (as for the active policy): a flip reaches new leads within it. */
export const RULES_ONLY_TTL_MS = 5_000;

const switches = ttlCache<"on", Map<string, RulesOnlySwitch>>(RULES_ONLY_TTL_MS);
// The last view read, kept past its TTL: when the switches cannot be read, it stands.
let lastSeen: Map<string, RulesOnlySwitch> | undefined;

export function invalidateRulesOnly(): void {
  switches.invalidate();
  lastSeen = undefined;
}
registerCache({ invalidate: invalidateRulesOnly });

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
  let byTeam: Map<string, RulesOnlySwitch> | undefined;
  try {
    byTeam = await switches.get("on", async () => new Map((await rulesOnlySwitchesOn(getDb(env.DB))).map((r) => [r.teamId, r])));
    lastSeen = byTeam;
  } catch (err) {
    // Never fails the lead: the last view stands (none yet: off) and the next lead reads again.
    console.error("rules-only switches unreadable", err);
    byTeam = lastSeen;
  }
  const on = byTeam?.get(teamId);
  return on ? `rules-only switch: on since ${new Date(on.setAt).toISOString()} by ${on.setBy} (${on.reason}); routing on rules` : null;
}
