/**
 * `compute(epochMs, timezone)` remembered per zone for the UTC minute last asked. For what a zone's wall clock
 * says down to the minute (its day, weekday, hour, minute): every zone's offset is whole minutes in the years
 * a router sees, so that never changes inside a UTC minute, and formatting in a timezone (ICU) is costly next
 * to a map lookup (a lead asks it for each candidate rep, more than once).
 */
export function perZoneMinute<T>(compute: (epochMs: number, timezone: string) => T): (epochMs: number, timezone: string) => T {
  const last = new Map<string, { minute: number; value: T }>();
  return (epochMs, timezone) => {
    const minute = Math.floor(epochMs / 60_000);
    const seen = last.get(timezone);
    if (seen?.minute === minute) return seen.value;
    const value = compute(epochMs, timezone);
    last.set(timezone, { minute, value });
    return value;
  };
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar day (YYYY-MM-DD) of `epochMs` in an IANA timezone, DST included. */
export const localDay = perZoneMinute((epochMs, timezone) => {
  let fmt = dayFormats.get(timezone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat("en-CA", { timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit" });
    dayFormats.set(timezone, fmt);
  }
  return fmt.format(epochMs);
});

/** True when `timezone` names a zone the runtime knows. */
export function isValidTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}
