import { z } from "zod";
import { perZoneMinute } from "../lib/time.ts";

/** Weekly working hours in the rep's own timezone. */
export const WorkingHoursSchema = z.object({
  /** ISO weekdays the rep works: 1 = Monday … 7 = Sunday. */
  days: z.array(z.number().int().min(1).max(7)).min(1),
  start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/),
  end: z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/),
});
export type WorkingHours = z.infer<typeof WorkingHoursSchema>;

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const formats = new Map<string, Intl.DateTimeFormat>();

/** Weekday and minute of the day at `epochMs` in an IANA timezone (Intl applies DST). */
export const localClock = perZoneMinute((epochMs, timezone): { weekday: number; minute: number } => {
  let fmt = formats.get(timezone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat("en-US", { timeZone: timezone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    formats.set(timezone, fmt);
  }
  const parts = Object.fromEntries(fmt.formatToParts(epochMs).map((p) => [p.type, p.value]));
  return Object.freeze({ weekday: WEEKDAYS[parts.weekday!]!, minute: Number(parts.hour) * 60 + Number(parts.minute) });
});

const toMinute = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

/** True when `epochMs` falls inside the rep's working hours (null hours: always working). Overnight shifts wrap. */
export function isWorking(hours: WorkingHours | null, timezone: string, epochMs: number): boolean {
  if (!hours) return true;
  const { weekday, minute } = localClock(epochMs, timezone);
  const start = toMinute(hours.start);
  const end = toMinute(hours.end);
  if (start <= end) return hours.days.includes(weekday) && minute >= start && minute < end;
  // An overnight shift belongs to the day it starts on.
  const yesterday = weekday === 1 ? 7 : weekday - 1;
  return (hours.days.includes(weekday) && minute >= start) || (hours.days.includes(yesterday) && minute < end);
}

export type Availability = { available: true } | { available: false; why: string };

/** Whether a rep can take a lead now: status, out-of-office window, working hours. */
export function availabilityOf(
  rep: { status: string; outOfOfficeUntil: number | null; workingHours: WorkingHours | null; timezone: string },
  epochMs: number,
): Availability {
  if (rep.status === "away") return { available: false, why: "away" };
  if (rep.status === "out_of_office" && (rep.outOfOfficeUntil === null || rep.outOfOfficeUntil > epochMs)) {
    return { available: false, why: "out of office" };
  }
  if (!isWorking(rep.workingHours, rep.timezone, epochMs)) return { available: false, why: "outside working hours" };
  return { available: true };
}
