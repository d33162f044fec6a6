import { and, count, eq, gt } from "drizzle-orm";
import { raiseAlert } from "../db/alerts.ts";
import type { Db } from "../db/client.ts";
import { decisions } from "../db/schema.ts";
import { ttlCache } from "../lib/ttl-cache.ts";
import { skewReason, type Guardrail } from "./guardrail.ts";

type Counts = { tier: string; repId: string | null; n: number }[];
type Window = { windowMinutes: number; counts: Counts; alerted: boolean };

/**
 * How long an isolate trusts its count of a team's recent model decisions. Within it, the decisions this
 * isolate commits are counted in as they happen (noteModelDecision), so its own stream trips the guard at
 * once; other isolates' decisions are seen at the next read.
 */
export const SKEW_TTL_MS = 2_000;
// Past its TTL a window answers one more TTL while it reloads after the answer.
const windows = ttlCache<string, Window>(SKEW_TTL_MS, 200, SKEW_TTL_MS);

async function readWindow(db: Db, rules: Guardrail, teamId: string, now: number): Promise<Window> {
  const counts = await db
    .select({ tier: decisions.tier, repId: decisions.repId, n: count() })
    .from(decisions)
    .where(and(eq(decisions.teamId, teamId), eq(decisions.mode, "model"), gt(decisions.createdAt, now - rules.windowMinutes * 60_000)))
    .groupBy(decisions.tier, decisions.repId);
  return { windowMinutes: rules.windowMinutes, counts, alerted: false };
}

/** Reads the team's window into this isolate's cache unless it is there, so a later skewGuardReason need not wait for it. */
export async function prefetchSkewWindow(db: Db, rules: Guardrail, teamId: string, now = Date.now()): Promise<void> {
  await windows.get(teamId, () => readWindow(db, rules, teamId, now));
}

/**
 * Checks the team's recent model decisions against the policy's guardrail; when they are skewed, raises
 * (or bumps) a `routing_skew` alert and returns the reason routing falls back to rules. Only model-mode
 * decisions count, so once the guard holds, the skew ages out of the window and the model comes back.
 */
export async function skewGuardReason(db: Db, rules: Guardrail | null, teamId: string, now = Date.now()): Promise<string | null> {
  if (!rules) return null;
  let window = await windows.get(teamId, () => readWindow(db, rules, teamId, now));
  if (window.windowMinutes !== rules.windowMinutes) {
    window = await readWindow(db, rules, teamId, now);
    windows.invalidate(teamId);
    await windows.get(teamId, async () => window);
  }
  const reason = skewReason(rules, window.counts);
  // Once per read of the window: the alert is a write, and the lead path makes only one.
  if (reason && !window.alerted) {
    window.alerted = true;
    await raiseAlert(db, { kind: "routing_skew", subject: `team:${teamId}`, severity: "alert", message: reason }, now).catch((err) => console.error("alert failed", err));
  }
  return reason;
}

/** Counts a model decision this isolate just committed into its view of the team's window. */
export function noteModelDecision(teamId: string, tier: string, repId: string | null): void {
  const window = windows.peek(teamId);
  if (!window) return;
  const row = window.counts.find((r) => r.tier === tier && r.repId === repId);
  if (row) row.n += 1;
  else window.counts.push({ tier, repId, n: 1 });
}
