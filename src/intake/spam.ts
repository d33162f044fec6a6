import { emailDomain } from "../scoring/features.ts";

/** Form fields the router reads for itself and never stores as lead data. */
export const CONTROL_FIELDS = ["site_key", "cf-turnstile-response", "_hp", "_ts"] as const;

/** Throwaway-mail domains: a lead from one goes to review, not to a rep. */
const DISPOSABLE_DOMAINS = new Set([
  "mailinator.com", "guerrillamail.com", "10minutemail.com", "tempmail.com", "temp-mail.org", "yopmail.com",
  "trashmail.com", "sharklasers.com", "getnada.com", "dispostable.com", "maildrop.cc", "throwawaymail.com",
]);

/** A human needs a moment to fill a form: faster than this after render is a bot. */
const MIN_FILL_MS = 1_500;

/**
 * Why a submission looks like spam, or null. Suspicious leads are stored but held for review, so a flood of
 * junk never drains rep capacity — and a false positive is never lost.
 */
export function suspicionOf(fields: Record<string, unknown>, email: string, nowMs: number): string | null {
  const honeypot = fields._hp;
  if (typeof honeypot === "string" && honeypot.trim() !== "") return "honeypot field filled";
  const rendered = Number(fields._ts);
  if (Number.isFinite(rendered) && rendered > 0 && nowMs - rendered < MIN_FILL_MS) return "form submitted faster than a person can";
  if (DISPOSABLE_DOMAINS.has(emailDomain(email))) return "disposable email domain";
  const text = Object.values(fields).filter((v): v is string => typeof v === "string").join(" ");
  if ((text.match(/https?:\/\//g) ?? []).length > 3) return "too many links";
  return null;
}
