import type { RepRow } from "../db/routing-facts.ts";
import { localDay } from "../lib/time.ts";
import { registerCache } from "../lib/ttl-cache.ts";
import { hasRoom } from "../routing/rank.ts";
import type { CapacitySnapshot, FairTag, RepCaps, ReserveResult } from "./rep-capacity.ts";

/**
 * The one door to the reps' Durable Objects. It also keeps, per isolate, the counters each object last
 * reported (a hint at most HINT_TTL_MS old, moved along by this isolate's own reservations), so ranking a
 * lead does not cost a round trip per candidate. The object still decides every reservation, and a hint
 * that shows no room is read again before a rep is passed over: a stale hint can reorder reps that have
 * room, never queue a lead that one of them could take.
 */
export const HINT_TTL_MS = 1_000;
/**
 * With a `background` runner, a hint with room up to this old still stands in for the read (its rep is read
 * again after the answer), so a lead does not wait on a Durable Object round trip before its reservation.
 */
export const STALE_HINT_MS = 30_000;

type Counters = Pick<CapacitySnapshot, "open" | "held" | "today" | "day" | "vtime">;
const hints = new Map<string, { at: number; counters: Counters }>();

/** Forgets every hint (tests, and after bulk changes made outside this isolate). */
export function forgetCapacityHints(): void {
  hints.clear();
}
registerCache({ invalidate: forgetCapacityHints });

export function capsOf(rep: Pick<RepRow, "maxOpen" | "maxPerDay" | "timezone">): RepCaps {
  return { maxOpen: rep.maxOpen, maxPerDay: rep.maxPerDay, timezone: rep.timezone };
}

const stub = (env: Env, repId: string) => env.REP_CAPACITY.getByName(repId);

function note(repId: string, s: Counters): void {
  hints.set(repId, { at: Date.now(), counters: { open: s.open, held: s.held, today: s.today, day: s.day, vtime: s.vtime ?? 0 } });
}

/** A hint at most `maxAgeMs` old as a snapshot against the rep's current caps, if there is one with room. */
function hinted(rep: RepRow, now: number, maxAgeMs = HINT_TTL_MS): CapacitySnapshot | undefined {
  const hint = hints.get(rep.id);
  if (!hint || now - hint.at > maxAgeMs || hint.counters.day !== localDay(now, rep.timezone)) return undefined;
  const snapshot = { ...hint.counters, maxOpen: rep.maxOpen, maxPerDay: rep.maxPerDay };
  return hasRoom(snapshot) ? snapshot : undefined;
}

/**
 * Of `reps`, those this isolate holds no hint of that a lead could use (none, older than STALE_HINT_MS, or of
 * another day): a lead would read them from their objects. A rep whose recent hint shows no room is not among
 * them (it is read again only when a plan wants it).
 */
export function withoutHints(reps: readonly RepRow[], now = Date.now()): RepRow[] {
  return reps.filter((r) => {
    const hint = hints.get(r.id);
    return !hint || now - hint.at > STALE_HINT_MS || hint.counters.day !== localDay(now, r.timezone);
  });
}

/**
 * The counters of the given reps, read from their objects in parallel; a rep whose object fails is left
 * out (and named in `failed`). With `hints`, a fresh hint with room stands in for the read; with a
 * `background` runner too (ExecutionContext.waitUntil), so does a stale one with room, and its rep is read
 * again after the answer.
 */
export async function readSnapshots(
  env: Env,
  reps: readonly RepRow[],
  options: { hints?: boolean; background?: (work: Promise<unknown>) => void } = {},
): Promise<{ snapshots: Map<string, CapacitySnapshot>; failed: Map<string, string> }> {
  const now = Date.now();
  const snapshots = new Map<string, CapacitySnapshot>();
  const failed = new Map<string, string>();
  const stale: RepRow[] = [];
  const toRead = reps.filter((r) => {
    let s = options.hints ? hinted(r, now) : undefined;
    if (!s && options.hints && options.background) {
      s = hinted(r, now, STALE_HINT_MS);
      if (s) stale.push(r);
    }
    if (s) snapshots.set(r.id, s);
    return !s;
  });
  if (stale.length > 0) {
    options.background!(Promise.allSettled(stale.map(async (r) => note(r.id, await stub(env, r.id).snapshot(capsOf(r))))));
  }
  const results = await Promise.allSettled(toRead.map((r) => stub(env, r.id).snapshot(capsOf(r))));
  results.forEach((res, i) => {
    const id = toRead[i]!.id;
    if (res.status === "rejected") return failed.set(id, String(res.reason));
    snapshots.set(id, res.value);
    note(id, res.value);
  });
  return { snapshots, failed };
}

/** Holds a slot on the rep's object (see RepCapacity.reserve; `written`: the decision being written meanwhile). */
export async function reserveSlot(env: Env, repId: string, leadId: string, caps: RepCaps, ttlMs: number, fair?: FairTag, written?: { decisionId: string }): Promise<ReserveResult> {
  try {
    const res = await stub(env, repId).reserve(leadId, caps, ttlMs, fair, written);
    note(repId, res.after);
    return res;
  } catch (err) {
    // Its hint no longer stands in for a read: the next lead reads the object (and leaves it out if it fails).
    hints.delete(repId);
    throw err;
  }
}

/**
 * Frees the lead's slot (a hold or an open assignment); false when it held none. `assigned`: its decision
 * naming the rep was written (an assignment ends), so the day's count stays (see RepCapacity.release).
 */
export async function releaseSlot(env: Env, repId: string, leadId: string, options: { assigned?: boolean } = {}): Promise<boolean> {
  hints.delete(repId);
  try {
    return await stub(env, repId).release(leadId, options.assigned ?? false);
  } finally {
    hints.delete(repId);
  }
}
