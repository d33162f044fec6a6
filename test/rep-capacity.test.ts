import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { RepCaps } from "../src/capacity/rep-capacity.ts";
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
      expect(await rep.confirm(id)).toBe(true);
      expect(await rep.release(id)).toBe(true);
    }
    expect(await rep.reserve("c", daily, 60_000)).toMatchObject({ ok: false, reason: "max_per_day" });
  });

  it("gives the slot and the daily count back when a hold is released unconfirmed", async () => {
    const rep = stub("cap-release");
    await rep.reserve("a", caps, 60_000);
    expect(await rep.release("a")).toBe(true);
    expect(await rep.snapshot(caps)).toMatchObject({ open: 0, held: 0, today: 0 });
  });

  it("releases expired holds by alarm, keeping confirmed and unexpired ones", async () => {
    const rep = stub("cap-alarm");
    await rep.reserve("expiring", caps, 20);
    await rep.reserve("kept", caps, 20);
    await rep.confirm("kept");
    await rep.reserve("fresh", caps, 60_000);
    // The alarm is scheduled for the first expiry and fires by itself; run it too in case it has not yet.
    await new Promise((r) => setTimeout(r, 50));
    await runDurableObjectAlarm(rep);
    expect(await rep.snapshot(caps)).toMatchObject({ open: 1, held: 1, today: 2 });
    expect(await runInDurableObject(rep, async (_i, state) => state.storage.getAlarm())).toBeGreaterThan(Date.now() + 50_000);
  });

  it("counts the day in the rep's timezone", async () => {
    const rep = stub("cap-tz");
    const day = await runInDurableObject(rep, (instance) => instance.snapshot({ ...caps, timezone: "Pacific/Kiritimati" }).day);
    const expected = new Intl.DateTimeFormat("en-CA", { timeZone: "Pacific/Kiritimati" }).format(Date.now());
    expect(day).toBe(expected);
  });

  it("settles an expired hold from D1 when its confirm was lost: kept if the decision names the rep, else freed", async () => {
    const res = await postLead({ ...HOT_LEAD, email: "lost-confirm@bigcorp.example" });
    const { lead, decision } = await res.json<{ lead: { id: string }; decision: { repId: string } }>();
    const rep = stub(decision.repId);
    // The rep's own timezone: "today" is the rep's day, which is not UTC's for hours each night.
    const timezone = DEMO_REPS.find((r) => r.id === decision.repId)?.timezone ?? "UTC";
    const repCaps = { maxOpen: 1000, maxPerDay: 1000, timezone };
    // The lead's confirm ran after the answer (`postLead` waits for it): its slot is open.
    expect(await rep.snapshot(repCaps)).toMatchObject({ open: 1, held: 0 });
    await rep.reserve("lead_never_written", repCaps, 60_000);
    // As if neither confirm had arrived: both are holds, both expired.
    await runInDurableObject(rep, (_i, state) => {
      state.storage.sql.exec("UPDATE reservations SET status = 'held', expires_at = ?", Date.now() - 1);
    });
    expect(await rep.snapshot(repCaps)).toMatchObject({ open: 0, held: 2, today: 2 });
    await runDurableObjectAlarm(rep);
    expect(await rep.snapshot(repCaps)).toMatchObject({ open: 1, held: 0, today: 1 });
    const kept = await runInDurableObject(rep, (_i, state) => state.storage.sql.exec<{ lead_id: string }>("SELECT lead_id FROM reservations").toArray());
    expect(kept.map((r) => r.lead_id)).toEqual([lead.id]);
  });
});
