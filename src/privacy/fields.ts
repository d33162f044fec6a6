/**
 * Lead fields that say nothing about who the person is: kept when a lead's personal fields are masked, so
 * reports (segments, tiers, fairness by country, size and source) and counts keep their meaning. Every
 * other field — email, name, phone, company, website, job title, message, and any extra form field — is
 * taken as personal and dropped.
 */
export const NON_PERSONAL_FIELDS = ["employees", "industry", "country", "source", "pages_viewed", "demo_requested", "deal_value"] as const;

/** What is left of a payload once its personal fields are masked: the non-personal fields and a marker. */
export function maskPayload(payload: unknown): Record<string, unknown> {
  const p = payload && typeof payload === "object" ? (payload as Record<string, unknown>) : {};
  const kept = Object.fromEntries(NON_PERSONAL_FIELDS.filter((f) => p[f] !== undefined).map((f) => [f, p[f]]));
  return { ...kept, masked: true };
}

/** The email as stored (lower-cased, trimmed): erasure finds a person's leads by it. */
export const normaliseEmail = (email: string) => email.trim().toLowerCase();

/** The personal text values of a payload (every string field but the non-personal ones): what a copy of it quotes. */
export function personalValues(payload: unknown): string[] {
  const p = payload && typeof payload === "object" ? (payload as Record<string, unknown>) : {};
  return Object.entries(p)
    .filter(([k, v]) => !(NON_PERSONAL_FIELDS as readonly string[]).includes(k) && typeof v === "string" && v.trim().length >= 3)
    .map(([, v]) => v as string);
}
