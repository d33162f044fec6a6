import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SETTLE_SLACK_MS, type RepCaps } from "../src/capacity/rep-capacity.ts";
import { DEMO_REPS } from "./seed.ts";
import { HOT_LEAD, postLead } from "./helpers.ts";

const caps: RepCaps = { maxOpen: 3, maxPerDay: 5, timezone: "America/New_York" };
const stub = (name: string) => env.REP_CAPACITY.getByName(name);

describe("RepCapacity", () => {
  it("refuses a reservation once the open cap is reached", async () => {
    const rep = stub("cap-open");
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await rep.reserve(`lead-${i}`, caps, 60_000));
    expect(results.map((r) => r.ok)).toEqual([true, true, true, false, false]);
    expect(results[3]).toMatchObject({ ok: false, reason: "max_open" });
    expect((await rep.snapshot(caps)).held).toBe(3);
  });

  it("never exceeds the cap under 50 concurrent reservations", async () => {
    const rep = stub("cap-race");
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => rep.reserve(`lead-${i}`, { ...caps, maxPerDay: 100 }, 60_000)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(caps.maxOpen);
    const snap = await rep.snapshot(caps);
    expect(snap.open + snap.held).toBe(caps.maxOpen);
  });

  it("keeps its counts equal to its rows under concurrent reservations and releases", async () => {
    const rep = stub("cap-counts");
    const wide = { ...caps, maxOpen: 40, maxPerDay: 100 };
    await Promise.all([
      ...Array.from({ length: 60 }, (_, i) => rep.reserve(`lead-${i}`, wide, 60_000)),
      ...Array.from({ length: 30 }, (_, i) => rep.release(`lead-${i * 2}`, i % 3 === 0)),
    ]);
    const rows = await runInDurableObject(rep, (_i, state) =>
      state.storage.sql.exec<{ open: number; held: number }>("SELECT coalesce(sum(status = 'open'), 0) AS open, coalesce(sum(status = 'held'), 0) AS held FROM reservations").one(),
    );
    const snap = await rep.snapshot(wide);
    expect({ open: snap.open, held: snap.held }).toEqual(rows);
    expect(snap.held).toBeGreaterThan(0);
    expect(snap.held).toBeLessThanOrEqual(40);
  });

  it("is idempotent per lead", async () => {
    const rep = stub("cap-idem");
    await rep.reserve("lead-a", caps, 60_000);
    await rep.reserve("lead-a", caps, 60_000);
    expect((await rep.snapshot(caps)).held).toBe(1);
    expect((await rep.snapshot(caps)).today).toBe(1);
  });

  it("enforces the daily cap even after open work is released", async () => {
    const rep = stub("cap-daily");
    const daily = { ...caps, maxPerDay: 2 };
    for (const id of ["a", "b"]) {
      expect((await rep.reserve(id, daily, 60_000)).ok).toBe(true);
      // Its decision was written (the alarm has not settled the hold yet): an assignment that ended.
      expect(await rep.release(id, true)).toBe(true);
    }
    expect(await rep.reserve("c", daily, 60_000)).toMatchObject({ ok: false, reason: "max_per_day" });
  });

  it("gives the slot and the daily count back when a hold is released unconfirmed", async () => {
    const rep = stub("cap-release");
    await rep.reserve("a", caps, 60_000);
    expect(await rep.release("a")).toBe(true);
    expect(await rep.snapshot(caps)).toMatchObject({ open: 0, held: 0, today: 0 });
  });

  it("releases expired holds by alarm (no decision names the rep here), keeping unexpired ones", async () => {
    const rep = stub("cap-alarm");
    await rep.reserve("expiring", caps, 20);
    await rep.reserve("fresh", caps, 60_000);
    await new Promise((r) => setTimeout(r, 50));
    await runDurableObjectAlarm(rep);
    expect(await rep.snapshot(caps)).toMatchObject({ open: 0, held: 1, today: 1 });
    expect(await runInDurableObject(rep, async (_i, state) => state.storage.getAlarm())).toBeGreaterThan(Date.now() + 50_000);
  });

  it("settles holds due close together with one alarm: set once, SETTLE_SLACK_MS after the first", async () => {
    const rep = stub("cap-slack");
    const t0 = Date.now();
    await rep.reserve("first", caps, 1_000);
    const alarm = () => runInDurableObject(rep, async (_i, state) => state.storage.getAlarm());
    const set = (await alarm())!;
    expect(set).toBeGreaterThanOrEqual(t0 + 1_000 + SETTLE_SLACK_MS);
    expect(set).toBeLessThanOrEqual(Date.now() + 1_000 + SETTLE_SLACK_MS);
    // Due later but within the slack: the alarm stays where it is and settles both.
    await rep.reserve("second", caps, 5_000);
    expect(await alarm()).toBe(set);
    await runInDurableObject(rep, (_i, state) => void state.storage.sql.exec("UPDATE reservations SET expires_at = ?", Date.now() - 1));
    expect(await runDurableObjectAlarm(rep)).toBe(true);
    expect(await rep.snapshot(caps)).toMatchObject({ open: 0, held: 0, today: 0 });
    expect(await alarm()).toBeNull();
  });

  it("counts the day in the rep's timezone", async () => {
    const rep = stub("cap-tz");
    const day = await runInDurableObject(rep, (instance) => instance.snapshot({ ...caps, timezone: "Pacific/Kiritimati" }).day);
    const expected = new Intl.DateTimeFormat("en-CA", { timeZone: "Pacific/Kiritimati" }).format(Date.now());
    expect(day).toBe(expected);
  });

  it("settles an expired hold from D1: kept (open) if the current decision names the rep, else freed", async () => {
    const res = await postLead({ ...HOT_LEAD, email: "lost-confirm@bigcorp.example" });
    const { lead, decision } = await res.json<{ lead: { id: string }; decision: { repId: string } }>();
    const rep = stub(decision.repId);
    // The rep's own timezone: "today" is the rep's day, which is not UTC's for hours each night.
    const timezone = DEMO_REPS.find((r) => r.id === decision.repId)?.timezone ?? "UTC";
    const repCaps = { maxOpen: 1000, maxPerDay: 1000, timezone };
    // The lead path leaves its hold to the alarm (one call to the rep's object per lead).
    expect(await rep.snapshot(repCaps)).toMatchObject({ open: 0, held: 1 });
    await rep.reserve("lead_never_written", repCaps, 60_000);
    // Both past their TTL: the lead's decision was written, the other's never was.
    await runInDurableObject(rep, (_i, state) => {
      state.storage.sql.exec("UPDATE reservations SET expires_at = ?", Date.now() - 1);
    });
    expect(await rep.snapshot(repCaps)).toMatchObject({ open: 0, held: 2, today: 2 });
    await runDurableObjectAlarm(rep);
    expect(await rep.snapshot(repCaps)).toMatchObject({ open: 1, held: 0, today: 1 });
    const kept = await runInDurableObject(rep, (_i, state) => state.storage.sql.exec<{ lead_id: string }>("SELECT lead_id FROM reservations").toArray());
    expect(kept.map((r) => r.lead_id)).toEqual([lead.id]);
  });
});
