import { emailDomain, FREE_MAIL_DOMAINS } from "../scoring/features.ts";

/** Lower-cased, trimmed, without `www.` or a trailing dot: how account domains are stored and compared. */
export function normaliseDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.$/, "").replace(/^www\./, "");
}

/**
 * The domains an email could belong to, most specific first: `a@eu.sales.acme.com` gives
 * `eu.sales.acme.com`, `sales.acme.com`, `acme.com`. Free-mail addresses give none: a gmail address is a
 * person, never an account.
 */
export function accountDomainCandidates(email: string): string[] {
  const domain = normaliseDomain(emailDomain(email));
  if (!domain.includes(".") || FREE_MAIL_DOMAINS.has(domain)) return [];
  const labels = domain.split(".");
  const out: string[] = [];
  for (let i = 0; i <= labels.length - 2; i++) out.push(labels.slice(i).join("."));
  return out;
}
