import { DurableObject } from "cloudflare:workers";
import { and, eq, inArray } from "drizzle-orm";
import { chunks, selectInChunks } from "../db/chunks.ts";
import { getDb } from "../db/client.ts";
import { returnToPending } from "../db/decisions.ts";
import { decisions } from "../db/schema.ts";
import { localDay } from "../lib/time.ts";

/** Holds (and refusals) due within this long after the first one due are settled by the same alarm. */
export const SETTLE_SLACK_MS = 10_000;

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
  /**
   * The rep's virtual finish time in weighted fair queueing (leads per unit of weight, lifted when the rep
   * rejoins; see src/routing/rank.ts). Absent in snapshots recorded before it existed: read as 0.
   */
  vtime?: number;
};

/** What a reservation does to the rep's fair-share clock: vtime ← max(vtime, floor) + 1 / weight. */
export type FairTag = { weight: number; floor?: number | undefined };

/** `snapshot` is what the reservation was checked against; `after`, the counters it left behind. */
export type ReserveResult =
  | { ok: true; snapshot: CapacitySnapshot; after: CapacitySnapshot }
  | { ok: false; reason: "max_open" | "max_per_day"; snapshot: CapacitySnapshot; after: CapacitySnapshot };

/**
 * One per rep: serialises that rep's counters so caps hold under any concurrency. A reservation is
 * first `held` (with a TTL) while the Worker writes the decision; once the TTL is past, the alarm reads D1
 * and makes it `open` if the decision naming this rep is current, else frees it (see `alarm`). It stays
 * open until the lead is closed, rejected or moved. Held or open, it takes a slot.
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
      this.sql.exec(`CREATE TABLE IF NOT EXISTS fair (id INTEGER PRIMARY KEY CHECK (id = 1), vtime REAL NOT NULL)`);
      // Leads refused while the Worker was writing their decision to this rep (a speculative reserve): checked later.
      this.sql.exec(`CREATE TABLE IF NOT EXISTS refusals (decision_id TEXT PRIMARY KEY, lead_id TEXT NOT NULL, check_at INTEGER NOT NULL)`);
      // The holds by expiry, for the alarm; and the open and held counts kept beside the rows (a snapshot
      // reads one row, not every assignment), filled from the rows once for an object that had none.
      this.sql.exec(`CREATE INDEX IF NOT EXISTS holds_by_expiry ON reservations (expires_at) WHERE status = 'held'`);
      this.sql.exec(`CREATE TABLE IF NOT EXISTS counts (id INTEGER PRIMARY KEY CHECK (id = 1), open INTEGER NOT NULL, held INTEGER NOT NULL)`);
      this.sql.exec(`INSERT OR IGNORE INTO counts (id, open, held)
        SELECT 1, coalesce(sum(status = 'open'), 0), coalesce(sum(status = 'held'), 0) FROM reservations
        WHERE NOT EXISTS (SELECT 1 FROM counts)`);
    });
  }

  /** When the alarm is set for, as far as this instance knows (undefined: not known since it started). */
  private alarmAt: number | undefined;

  /**
   * Holds a slot for `leadId` if the rep is under both caps. Idempotent per lead. With `fair`, the rep's
   * fair-share clock moves on in the same synchronous step (no extra storage round trip).
   *
   * `written`: the Worker is writing this decision (naming this rep) while it asks. A refusal is then
   * remembered: should the Worker die before it moves the lead elsewhere, the alarm finds that decision still
   * current in D1 after `ttlMs` and sends the lead back to pending (see `alarm`): this rep never keeps a lead
   * it refused.
   */
  reserve(leadId: string, caps: RepCaps, ttlMs: number, fair?: FairTag, written?: { decisionId: string }): ReserveResult {
    const now = Date.now();
    const existing = this.sql.exec("SELECT status FROM reservations WHERE lead_id = ?", leadId).toArray();
    if (existing.length > 0) {
      const current = this.snapshot(caps);
      return { ok: true, snapshot: current, after: current };
    }
    const before = this.snapshot(caps);
    const refused = before.open + before.held >= caps.maxOpen ? "max_open" : before.today >= caps.maxPerDay ? "max_per_day" : null;
    if (refused) {
      if (written) {
        this.sql.exec("INSERT OR REPLACE INTO refusals (decision_id, lead_id, check_at) VALUES (?, ?, ?)", written.decisionId, leadId, now + ttlMs);
        this.scheduleAlarm();
      }
      return { ok: false, reason: refused, snapshot: before, after: before };
    }
    this.sql.exec(
      "INSERT INTO reservations (lead_id, status, expires_at, day, created_at) VALUES (?, 'held', ?, ?, ?)",
      leadId,
      now + ttlMs,
      before.day,
      now,
    );
    this.sql.exec("UPDATE counts SET held = held + 1 WHERE id = 1");
    this.sql.exec(
      "INSERT INTO daily (day, count) VALUES (?, 1) ON CONFLICT (day) DO UPDATE SET count = count + 1",
      before.day,
    );
    const vtime = fair ? Math.max(before.vtime ?? 0, fair.floor ?? -Infinity) + 1 / fair.weight : (before.vtime ?? 0);
    if (fair) this.sql.exec("INSERT INTO fair (id, vtime) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET vtime = excluded.vtime", vtime);
    this.scheduleAlarm();
    return { ok: true, snapshot: before, after: { ...before, held: before.held + 1, today: before.today + 1, vtime } };
  }

  /** Turns a hold into an open assignment (no expiry). */
  private confirm(leadId: string): void {
    const confirmed = this.sql.exec("UPDATE reservations SET status = 'open', expires_at = NULL WHERE lead_id = ? AND status = 'held' RETURNING lead_id", leadId).toArray().length > 0;
    if (confirmed) this.sql.exec("UPDATE counts SET held = held - 1, open = open + 1 WHERE id = 1");
  }

  /**
   * Frees the slot of `leadId`. A hold that never became an assignment also gives back its daily
   * count; an assignment that is closed, rejected or moved still counted as a lead received today.
   * `assigned`: the lead's decision naming this rep was written, so even a hold the alarm has not settled
   * yet (the lead path leaves them to it) was an assignment.
   */
  release(leadId: string, assigned = false): boolean {
    const rows = this.sql
      .exec<{ status: string; day: string }>("DELETE FROM reservations WHERE lead_id = ? RETURNING status, day", leadId)
      .toArray();
    const row = rows[0];
    if (!row) return false;
    this.sql.exec(row.status === "held" ? "UPDATE counts SET held = held - 1 WHERE id = 1" : "UPDATE counts SET open = open - 1 WHERE id = 1");
    if (row.status === "held" && !assigned) {
      this.sql.exec("UPDATE daily SET count = max(0, count - 1) WHERE day = ?", row.day);
    }
    return true;
  }

  /** Which of these leads this rep holds a slot for (held or open). */
  holding(leadIds: string[]): string[] {
    // One key lookup per lead asked about, not a read of every assignment the rep has.
    return leadIds.filter((id) => this.sql.exec("SELECT 1 FROM reservations WHERE lead_id = ?", id).toArray().length > 0);
  }

  /** Current counters against the given caps (the caps are echoed so a snapshot is self-contained). */
  snapshot(caps: RepCaps): CapacitySnapshot {
    const day = localDay(Date.now(), caps.timezone);
    const counts = this.sql.exec<{ open: number; held: number }>("SELECT open, held FROM counts WHERE id = 1").one();
    const today = this.sql.exec<{ count: number }>("SELECT count FROM daily WHERE day = ?", day).toArray()[0];
    const fair = this.sql.exec<{ vtime: number }>("SELECT vtime FROM fair WHERE id = 1").toArray()[0];
    return {
      open: counts.open,
      held: counts.held,
      today: today?.count ?? 0,
      day,
      maxOpen: caps.maxOpen,
      maxPerDay: caps.maxPerDay,
      vtime: fair?.vtime ?? 0,
    };
  }

  /**
   * Settles the holds past their TTL (the Worker has written their decisions by then, or never will): one
   * D1 read says which leads' current decision names this rep; those keep their slot (open), the others are
   * freed. Runs SETTLE_SLACK_MS after the first due, so holds due together cost one read. Refusals `reserve`
   * remembered are settled here too, once due: a decision still current that names this rep goes back to pending.
   */
  override async alarm(): Promise<void> {
    this.alarmAt = undefined;
    const expired = this.sql
      .exec<{ lead_id: string }>("SELECT lead_id FROM reservations WHERE status = 'held' AND expires_at <= ?", Date.now())
      .toArray()
      .map((r) => r.lead_id);
    // A decision written while this rep refused it, still current: its Worker died before moving the lead.
    const refused = this.sql.exec<{ decision_id: string }>("SELECT decision_id FROM refusals WHERE check_at <= ?", Date.now()).toArray().map((r) => r.decision_id);
    for (const part of chunks(refused)) await this.unassign(part);
    for (const id of refused) this.sql.exec("DELETE FROM refusals WHERE decision_id = ?", id);
    const assigned = await this.assignedHere(expired);
    for (const leadId of expired) {
      // Requests ran while D1 answered: settle only what is still a hold.
      const still = this.sql.exec("SELECT 1 FROM reservations WHERE lead_id = ? AND status = 'held'", leadId).toArray().length > 0;
      if (!still) continue;
      if (assigned.has(leadId)) this.confirm(leadId);
      else this.release(leadId);
    }
    // Keep the daily table small: a week of history is plenty for a snapshot.
    this.sql.exec("DELETE FROM daily WHERE day < ?", localDay(Date.now() - 7 * 86_400_000, "UTC"));
    this.scheduleAlarm();
  }

  /** Which of these leads D1 shows as currently assigned to this rep (the object's name is the rep id). */
  private async assignedHere(leadIds: string[]): Promise<Set<string>> {
    const repId = this.ctx.id.name;
    if (leadIds.length === 0 || !repId) return new Set();
    const db = getDb(this.env.DB);
    const rows = await selectInChunks(leadIds, (part) =>
      db.select({ leadId: decisions.leadId }).from(decisions).where(and(eq(decisions.isCurrent, true), eq(decisions.repId, repId), inArray(decisions.leadId, part))),
    );
    return new Set(rows.map((r) => r.leadId));
  }

  /**
   * Sends the leads of these decisions back to pending, for the cron trigger to decide again, when the
   * decision is still current (one D1 batch; a decision the Worker already replaced is left alone).
   */
  private async unassign(decisionIds: string[]): Promise<void> {
    const repId = this.ctx.id.name;
    if (decisionIds.length === 0 || !repId) return;
    await returnToPending(getDb(this.env.DB), decisionIds, {
      note: "the rep's capacity refused the reservation",
      error: `rep ${repId} refused the reservation after its decision was written`,
      also: eq(decisions.repId, repId),
    });
  }

  /**
   * Sets the alarm for the first hold or refusal due, plus SETTLE_SLACK_MS so the ones due soon after are
   * settled with it (one D1 read for them all). Left alone when it is already set no later.
   */
  private scheduleAlarm(): void {
    const first = this.sql
      .exec<{ at: number | null }>("SELECT min(at) AS at FROM (SELECT min(expires_at) AS at FROM reservations WHERE status = 'held' UNION ALL SELECT min(check_at) FROM refusals)")
      .one().at;
    if (first === null) return;
    const at = first + SETTLE_SLACK_MS;
    if (this.alarmAt !== undefined && this.alarmAt <= at) return;
    this.alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }
}
