import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CapacitySnapshot } from "../src/capacity/rep-capacity.ts";
import { localDay } from "../src/lib/time.ts";
import { availabilityOf, isWorking, localClock } from "../src/routing/availability.ts";
import { accountDomainCandidates, normaliseDomain } from "../src/routing/domains.ts";
import { planRoute, type RepFacts } from "../src/routing/plan.ts";
import { DEFAULT_POLICY } from "../src/routing/policy.ts";
import { hasRoom } from "../src/routing/rank.ts";

const nineToFive = { days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" };
const at = (iso: string) => Date.parse(iso);

describe("working hours in the rep's timezone", () => {
  it("follows New York across the 2026 DST change (8 March)", () => {
    // Friday 6 March, EST (UTC-5): 14:00 UTC is 09:00 local, 13:30 UTC is 08:30.
    expect(isWorking(nineToFive, "America/New_York", at("2026-03-06T14:00:00Z"))).toBe(true);
    expect(isWorking(nineToFive, "America/New_York", at("2026-03-06T13:30:00Z"))).toBe(false);
    // Monday 9 March, EDT (UTC-4): 13:30 UTC is now 09:30 local.
    expect(isWorking(nineToFive, "America/New_York", at("2026-03-09T13:30:00Z"))).toBe(true);
    expect(isWorking(nineToFive, "America/New_York", at("2026-03-09T21:00:00Z"))).toBe(false);
  });

  it("follows London across its DST change (29 March) and skips weekends", () => {
    expect(isWorking(nineToFive, "Europe/London", at("2026-03-27T08:30:00Z"))).toBe(false); // 08:30 GMT
    expect(isWorking(nineToFive, "Europe/London", at("2026-03-30T08:30:00Z"))).toBe(true); // 09:30 BST
    expect(isWorking(nineToFive, "Europe/London", at("2026-03-28T12:00:00Z"))).toBe(false); // Saturday
  });

  it("places one instant in different local days across timezones", () => {
    const instant = at("2026-11-25T23:30:00Z"); // Wednesday in UTC, Thursday in Tokyo
    expect(isWorking({ days: [4], start: "08:00", end: "09:00" }, "Asia/Tokyo", instant)).toBe(true);
    expect(isWorking({ days: [4], start: "08:00", end: "09:00" }, "UTC", instant)).toBe(false);
  });

  it("handles overnight shifts", () => {
    const night = { days: [1], start: "22:00", end: "06:00" };
    expect(isWorking(night, "UTC", at("2026-11-23T23:00:00Z"))).toBe(true); // Monday 23:00
    expect(isWorking(night, "UTC", at("2026-11-24T05:00:00Z"))).toBe(true); // Tuesday 05:00, Monday's shift
    expect(isWorking(night, "UTC", at("2026-11-24T23:00:00Z"))).toBe(false); // Tuesday 23:00
  });

  it("skips away reps, and out-of-office reps until they are back", () => {
    const rep = { status: "out_of_office", outOfOfficeUntil: at("2026-12-01T00:00:00Z"), workingHours: null, timezone: "UTC" };
    expect(availabilityOf(rep, at("2026-11-30T12:00:00Z"))).toEqual({ available: false, why: "out of office" });
    expect(availabilityOf(rep, at("2026-12-01T12:00:00Z"))).toEqual({ available: true });
    expect(availabilityOf({ ...rep, status: "away" }, at("2026-12-02T00:00:00Z")).available).toBe(false);
  });
});

describe("account domain matching", () => {
  it("normalises case, www. and a trailing dot", () => {
    expect(normaliseDomain(" WWW.Acme.COM. ")).toBe("acme.com");
  });

  it("walks up subdomains, most specific first", () => {
    expect(accountDomainCandidates("Bob@EU.Sales.Acme.com")).toEqual(["eu.sales.acme.com", "sales.acme.com", "acme.com"]);
    expect(accountDomainCandidates("a@www.acme.com")).toEqual(["acme.com"]);
  });

  it("never matches free-mail or malformed addresses", () => {
    expect(accountDomainCandidates("someone@gmail.com")).toEqual([]);
    expect(accountDomainCandidates("someone@Outlook.com")).toEqual([]);
    expect(accountDomainCandidates("no-at-sign")).toEqual([]);
    expect(accountDomainCandidates("a@localhost")).toEqual([]);
  });
});

describe("planRoute properties", () => {
  const repArb = fc.record({
    id: fc.stringMatching(/^rep_[a-z]{1,5}$/),
    role: fc.constantFrom("ae" as const, "sdr" as const),
    weight: fc.double({ min: 0.5, max: 3, noNaN: true }),
    winRateFactor: fc.double({ min: 0.5, max: 2, noNaN: true }),
    timezone: fc.constantFrom("UTC", "America/New_York", "Asia/Tokyo"),
    status: fc.constantFrom("active", "active", "away", "out_of_office"),
    outOfOfficeUntil: fc.constant(null),
    workingHours: fc.option(fc.constant(nineToFive), { nil: null }),
    territoryIds: fc.subarray(["emea", "amer"]),
    segments: fc.constant([] as string[]),
  }) as fc.Arbitrary<RepFacts>;
  const reps = fc.uniqueArray(repArb, { selector: (r) => r.id, maxLength: 10 });
  const snap = fc.record({ open: fc.integer({ min: 0, max: 5 }), today: fc.integer({ min: 0, max: 8 }) }).map(
    ({ open, today }): CapacitySnapshot => ({ open, held: 0, today, day: "d", maxOpen: 4, maxPerDay: 6 }),
  );
  const input = fc.record({ reps, snaps: fc.array(snap, { minLength: 10, maxLength: 10 }), p: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }), ownerIdx: fc.integer({ min: -1, max: 9 }), excludeIdx: fc.integer({ min: -1, max: 9 }), now: fc.integer({ min: at("2026-01-01T00:00:00Z"), max: at("2026-12-31T00:00:00Z") }), country: fc.constantFrom("DE", "US", "JP") });
  type In = typeof input extends fc.Arbitrary<infer T> ? T : never;
  const build = (x: In) => {
    const snapshots = new Map(x.reps.map((r, i) => [r.id, x.snaps[i]!]));
    const owner = x.reps[x.ownerIdx]?.id ?? null;
    return {
      payload: { email: "a@acme.example", country: x.country, employees: 500 },
      probability: x.p,
      policy: DEFAULT_POLICY,
      reps: x.reps,
      account: owner ? { domain: "acme.example", ownerRepId: owner, strategic: false } : null,
      territories: [{ id: "emea", countries: ["DE"], industries: [], minEmployees: null, maxEmployees: null }],
      snapshots,
      excludeReps: new Set<string>(x.reps[x.excludeIdx] ? [x.reps[x.excludeIdx]!.id] : []),
      now: x.now,
    };
  };

  it("offers only available reps with room, never an excluded one, the owner first when free", () => {
    fc.assert(
      fc.property(input, (x) => {
        const plan = planRoute(build(x));
        const byId = new Map(x.reps.map((r) => [r.id, r]));
        const excluded = build(x).excludeReps;
        for (const c of plan.candidates) {
          expect(excluded.has(c.repId)).toBe(false);
          if (c.available) {
            expect(availabilityOf(byId.get(c.repId)!, x.now).available).toBe(true);
            expect(hasRoom(build(x).snapshots.get(c.repId)!)).toBe(true);
          }
        }
        const flags = plan.candidates.map((c) => c.available);
        expect(flags).toEqual([...flags].sort((a, b) => Number(b) - Number(a)));
        const owner = plan.candidates.find((c) => c.stage === "owner");
        if (owner?.available) expect(plan.candidates[0]!.repId).toBe(owner.repId);
      }),
    );
  });

  it("is deterministic and ignores the order reps are listed in", () => {
    fc.assert(
      fc.property(input, (x) => {
        const a = planRoute(build(x));
        const b = planRoute({ ...build(x), reps: [...x.reps].reverse() });
        expect(b).toEqual(a);
      }),
    );
  });
});

describe("a rep's local day and clock", () => {
  it("are the zone's calendar day, weekday and minute at every moment around local midnight and DST changes, asked over and over (memoized per minute)", () => {
    const zones = ["UTC", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Chatham", "America/St_Johns"];
    // Around the UTC instants of local midnights and DST changes of 2026 (every 20 s over 4 minutes each side).
    const anchors = ["2026-03-08T05:00:00Z", "2026-03-08T07:00:00Z", "2026-04-04T15:00:00Z", "2026-04-04T13:30:00Z", "2026-09-26T11:15:00Z", "2026-11-01T06:00:00Z", "2026-12-31T18:30:00Z", "2026-12-31T18:15:00Z", "2026-11-01T03:30:00Z", "2026-06-01T00:00:00Z"];
    for (const zone of zones) {
      const fresh = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" });
      const clock = new Intl.DateTimeFormat("en-US", { timeZone: zone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
      const freshClock = (t: number) => {
        const p = Object.fromEntries(clock.formatToParts(t).map((x) => [x.type, x.value]));
        return { weekday: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(p.weekday!) + 1, minute: Number(p.hour) * 60 + Number(p.minute) };
      };
      for (const anchor of anchors) {
        for (let t = Date.parse(anchor) - 240_000; t <= Date.parse(anchor) + 240_000; t += 20_000) {
          expect(localDay(t, zone), `${zone} ${new Date(t).toISOString()}`).toBe(fresh.format(t));
          expect(localDay(t, zone)).toBe(fresh.format(t));
          expect(localClock(t, zone), `${zone} ${new Date(t).toISOString()}`).toEqual(freshClock(t));
        }
      }
    }
  });
});
