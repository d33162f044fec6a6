const YES = new Set(["true", "on", "yes", "1", "y", "granted"]);

/**
 * The consent a lead carries, read from the field its site names: true only for an explicit yes (a
 * checked box, `true`, `yes`, `1`); an absent or any other value is no consent. null when the site asks
 * none, so leads of sites without a consent field are never treated as refusing.
 */
export function consentOf(consentField: string | null, fields: Record<string, unknown>): boolean | null {
  if (consentField === null) return null;
  const v = fields[consentField];
  if (v === true || v === 1) return true;
  return typeof v === "string" && YES.has(v.trim().toLowerCase());
}
