import { DurableObject } from "cloudflare:workers";
import { localDay } from "../lib/time.ts";

/** The caps a reservation is checked against; D1's rep row is their source of truth. */
export type RepCaps = { maxOpen: number; maxPerDay: number; timezone: string };

/** What a rep's counters look like at one instant. Recorded in lineage for replay. */
export type CapacitySnapshot = {
  open: number;
  held: number;
  today: number;
  day: string;
  maxOpen: number;
  maxPerDay: number;
};

export type ReserveResult =
  | { ok: true; snapshot: CapacitySnapshot }
  | { ok: false; reason: "max_open" | "max_per_day"; snapshot: CapacitySnapshot };

/**
 * One per rep: serialises that rep's counters so caps hold under any concurrency. A reservation is
 * first `held` (with a TTL, released by the alarm if the Worker never confirms it), then `open` once the
 * decision is written, until the lead is closed or rejected.
 *
 * Every method is synchronous against in-process SQLite between awaits, so a check and its increment
 * can never interleave with another request's.
 */
export class RepCapacity extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(`CREATE TABLE IF NOT EXISTS reservations (
        lead_id TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('held', 'open')),
        expires_at INTEGER,
        day TEXT NOT NULL,
        created_at INTEGER NOT NULL)`);
      this.sql.exec(`CREATE TABLE IF NOT EXISTS daily (day TEXT PRIMARY KEY, count INTEGER NOT NULL)`);
    });
  }

  /** Holds a slot for `leadId` if the rep is under both caps. Idempotent per lead. */
  reserve(leadId: string, caps: RepCaps, ttlMs: number): ReserveResult {
    const now = Date.now();
    const existing = this.sql.exec("SELECT status FROM reservations WHERE lead_id = ?", leadId).toArray();
    if (existing.length > 0) return { ok: true, snapshot: this.snapshot(caps) };
    const before = this.snapshot(caps);
    if (before.open + before.held >= caps.maxOpen) return { ok: false, reason: "max_open", snapshot: before };
    if (before.today >= caps.maxPerDay) return { ok: false, reason: "max_per_day", snapshot: before };
    this.sql.exec(
      "INSERT INTO reservations (lead_id, status, expires_at, day, created_at) VALUES (?, 'held', ?, ?, ?)",
      leadId,
      now + ttlMs,
      before.day,
      now,
    );
    this.sql.exec(
      "INSERT INTO daily (day, count) VALUES (?, 1) ON CONFLICT (day) DO UPDATE SET count = count + 1",
      before.day,
    );
    this.scheduleAlarm();
    return { ok: true, snapshot: before };
  }

  /** Turns a hold into an open assignment (no expiry). False if the hold is gone (expired). */
  confirm(leadId: string): boolean {
    const cur = this.sql.exec(
      "UPDATE reservations SET status = 'open', expires_at = NULL WHERE lead_id = ? RETURNING lead_id",
      leadId,
    );
    return cur.toArray().length > 0;
  }

  /**
   * Frees the slot of `leadId`. A hold that never became an assignment also gives back its daily
   * count; an open assignment that is closed or rejected still counted as a lead received today.
   */
  release(leadId: string): boolean {
    const rows = this.sql
      .exec<{ status: string; day: string }>("DELETE FROM reservations WHERE lead_id = ? RETURNING status, day", leadId)
      .toArray();
    const row = rows[0];
    if (!row) return false;
    if (row.status === "held") {
      this.sql.exec("UPDATE daily SET count = max(0, count - 1) WHERE day = ?", row.day);
    }
    return true;
  }

  /** Current counters against the given caps (the caps are echoed so a snapshot is self-contained). */
  snapshot(caps: RepCaps): CapacitySnapshot {
    const day = localDay(Date.now(), caps.timezone);
    const counts = this.sql
      .exec<{ open: number; held: number }>(
        `SELECT coalesce(sum(status = 'open'), 0) AS open, coalesce(sum(status = 'held'), 0) AS held
         FROM reservations`,
      )
      .one();
    const today = this.sql.exec<{ count: number }>("SELECT count FROM daily WHERE day = ?", day).toArray()[0];
    return {
      open: counts.open,
      held: counts.held,
      today: today?.count ?? 0,
      day,
      maxOpen: caps.maxOpen,
      maxPerDay: caps.maxPerDay,
    };
  }

  /** Releases expired holds; runs when the earliest hold expires. */
  override async alarm(): Promise<void> {
    const expired = this.sql
      .exec<{ lead_id: string }>(
        "SELECT lead_id FROM reservations WHERE status = 'held' AND expires_at <= ?",
        Date.now(),
      )
      .toArray();
    for (const { lead_id } of expired) this.release(lead_id);
    // Keep the daily table small: a week of history is plenty for a snapshot.
    this.sql.exec("DELETE FROM daily WHERE day < ?", localDay(Date.now() - 7 * 86_400_000, "UTC"));
    this.scheduleAlarm();
  }

  private scheduleAlarm(): void {
    const next = this.sql
      .exec<{ at: number | null }>("SELECT min(expires_at) AS at FROM reservations WHERE status = 'held'")
      .one().at;
    if (next !== null) void this.ctx.storage.setAlarm(next);
  }
}
