import type { CapacitySnapshot } from "../capacity/rep-capacity.ts";
import { canonicalJson, sha256Hex } from "../lib/hashing.ts";
import { availabilityOf } from "./availability.ts";
import type { CandidateTrace } from "./decide.ts";
import type { RepFacts } from "./plan.ts";
import { loadRatio } from "./rank.ts";

/**
 * Lineage candidates, stored so they grow with leads, not leads × reps. The rep facts the candidates had
 * (role, weight, timezone, hours, territories…) are one content-addressed row per distinct set
 * (`rep_facts_versions`, keyed by the sha256 of their canonical JSON), written once and referenced by hash;
 * per candidate only what changes per lead is kept, as a tuple:
 *
 *   [rep index in the facts set, stage, expected value (cents), snapshot | 0, result, why?, detail?]
 *   snapshot = [open, held, today, index into `caps`, index into `days`] (trailing zero indexes left out)
 *
 * `available` and `loadRatio` are recomputed from the snapshot; `why` is stored only when it differs from
 * what availability and the snapshot say (so decoding is exact); expected value is rounded to cents (it is
 * shown, never replayed: replay re-plans from facts and snapshots).
 */
export type CompactCandidates = { v: 2; facts: string; days: string[]; caps: [number, number][]; c: CompactCandidate[] };
type CompactSnapshot = number[];
type CompactCandidate = [number, number, number, CompactSnapshot | 0, number, (string | 0)?, string?];

const STAGES = ["owner", "territory", "pool"] as const;
const RESULTS = ["reserved", "max_open", "max_per_day", "not_tried", "skipped", "error"] as const;

/** What a candidate's `why` is when nothing special happened: derived from its facts, the clock and its snapshot. */
function derivedWhy(facts: RepFacts, now: number, snapshot: CapacitySnapshot | null, available: boolean): string | undefined {
  if (available) return undefined;
  const a = availabilityOf(facts, now);
  if (!snapshot) return a.available ? "capacity unknown" : a.why;
  return a.available ? "at capacity" : a.why;
}

type FactsVersion = { hash: string; json: string };
// The facts sets this isolate hashed lately, by their reps' ids: a lead whose candidates are the very same
// facts objects (repFacts gives one per cached row) reuses the JSON and hash instead of making them again.
const recentVersions = new Map<string, { facts: readonly RepFacts[]; version: FactsVersion }>();
const RECENT_VERSIONS = 64;

/** A facts set's canonical JSON and its hash; `sorted`: its facts in rep id order. */
async function factsVersion(sorted: readonly RepFacts[]): Promise<FactsVersion> {
  const key = sorted.map((f) => f.id).join("\n");
  const seen = recentVersions.get(key);
  if (seen && seen.facts.length === sorted.length && seen.facts.every((f, i) => f === sorted[i])) return seen.version;
  const json = canonicalJson(sorted);
  const version = { hash: await sha256Hex(json), json };
  recentVersions.delete(key);
  recentVersions.set(key, { facts: sorted, version });
  if (recentVersions.size > RECENT_VERSIONS) recentVersions.delete(recentVersions.keys().next().value!);
  return version;
}

/** Compacts a decision's candidates; returns them and the facts set they reference. */
export async function encodeCandidates(candidates: readonly CandidateTrace[], now: number): Promise<{ compact: CompactCandidates; facts: { hash: string; json: string } }> {
  const unique = new Map(candidates.map((c) => [c.facts.id, c.facts]));
  const sorted = [...unique.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const facts = await factsVersion(sorted);
  const index = new Map(sorted.map((f, i) => [f.id, i]));
  const days: string[] = [];
  const caps: [number, number][] = [];
  const c = candidates.map((t): CompactCandidate => {
    let snap: CompactSnapshot | 0 = 0;
    if (t.snapshot) {
      const s = t.snapshot;
      let d = days.indexOf(s.day);
      if (d < 0) d = days.push(s.day) - 1;
      let k = caps.findIndex(([o, p]) => o === s.maxOpen && p === s.maxPerDay);
      if (k < 0) k = caps.push([s.maxOpen, s.maxPerDay]) - 1;
      snap = [s.open, s.held, s.today, k, d];
      while (snap.length > 3 && snap[snap.length - 1] === 0) snap.pop();
    }
    const row: CompactCandidate = [index.get(t.repId)!, STAGES.indexOf(t.stage), Math.round(t.expectedValue * 100), snap, RESULTS.indexOf(t.result)];
    const why = t.why === derivedWhy(t.facts, now, t.snapshot, t.available) ? 0 : (t.why ?? "");
    if (why !== 0 || t.detail !== undefined) row.push(why);
    if (t.detail !== undefined) row.push(t.detail);
    return row;
  });
  return { compact: { v: 2, facts: facts.hash, days, caps, c }, facts };
}

/** True when stored candidates are the compact form (older rows hold the full list). */
export function isCompact(stored: unknown): stored is CompactCandidates {
  return typeof stored === "object" && stored !== null && (stored as { v?: unknown }).v === 2;
}


/** Expands stored candidates back to the full traces (older full lists pass through). */
export function decodeCandidates(stored: unknown, factsJson: string | null, now: number): CandidateTrace[] {
  if (!isCompact(stored)) return stored as CandidateTrace[];
  if (factsJson === null) throw new Error(`rep facts version ${stored.facts} is missing`);
  const facts = JSON.parse(factsJson) as RepFacts[];
  return stored.c.map(([i, stage, cents, snap, result, why, detail]) => {
    const f = facts[i]!;
    const [maxOpen, maxPerDay] = snap === 0 ? [0, 0] : stored.caps[snap[3] ?? 0]!;
    const snapshot: CapacitySnapshot | null = snap === 0 ? null : { open: snap[0]!, held: snap[1]!, today: snap[2]!, day: stored.days[snap[4] ?? 0]!, maxOpen, maxPerDay };
    const res = RESULTS[result]!;
    const available = res !== "skipped";
    const w = why === undefined || why === 0 ? derivedWhy(f, now, snapshot, available) : why === "" ? undefined : why;
    return {
      repId: f.id,
      stage: STAGES[stage]!,
      expectedValue: cents / 100,
      loadRatio: snapshot ? loadRatio(snapshot) : 0,
      available,
      ...(w !== undefined ? { why: w } : {}),
      facts: f,
      snapshot,
      result: res,
      ...(detail !== undefined ? { detail } : {}),
    };
  });
}
