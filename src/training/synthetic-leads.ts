import { emailDomain, FREE_MAIL_DOMAINS, seniorityOf } from "../scoring/features.ts";
import { sigmoid } from "../scoring/calibration.ts";
import { gaussian, mulberry32 } from "./rng.ts";

/** Version of the generator below: part of a trained model's data lineage. */
export const GENERATOR_VERSION = "synthetic-b2b-leads/1";

export const INDUSTRIES = ["software", "finance", "healthcare", "manufacturing", "retail", "education", "other"] as const;
export const COUNTRIES = ["US", "GB", "DE", "FR", "IN", "BR", "AU", "CA", "other"] as const;
export const SOURCES = ["organic", "paid_search", "referral", "event", "partner", "outbound"] as const;
const TITLES = ["CEO", "CTO", "Founder", "VP Sales", "VP Engineering", "Director of IT", "Head of Marketing", "Marketing Manager", "Sales Manager", "Engineer", "Analyst", "Consultant", "Student", ""];
const FREE = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com"];

/**
 * The documented ground truth (model-artifacts/default/GROUND_TRUTH.md): the log-odds of conversion is
 * the sum of these effects plus N(0, 0.5) noise.
 */
export const GROUND_TRUTH = {
  intercept: -4.2,
  demoRequested: 2.1,
  perLogEmployee: 0.28,
  freeMail: -1.1,
  perLogPageViewed: 0.45,
  seniority: { c_level: 1.0, vp: 0.9, director: 0.6, manager: 0.25, individual: 0, unknown: -0.3 } as Record<string, number>,
  source: { organic: 0, paid_search: -0.2, referral: 0.8, event: 0.5, partner: 0.6, outbound: -0.4 } as Record<string, number>,
  industry: { software: 0.5, finance: 0.3, healthcare: 0.1, manufacturing: 0.2, retail: -0.2, education: -0.6, other: -0.1 } as Record<string, number>,
  noiseSd: 0.5,
};

export type SyntheticLead = { payload: Record<string, unknown>; label: 0 | 1; trueProbability: number };

const pick = <T>(items: readonly T[], rand: () => number): T => items[Math.floor(rand() * items.length)]!;

/** True conversion log-odds of a payload under the ground truth, without noise. */
export function trueLogOdds(p: Record<string, unknown>): number {
  const g = GROUND_TRUTH;
  const domain = emailDomain(String(p.email ?? ""));
  return (
    g.intercept +
    (p.demo_requested === true ? g.demoRequested : 0) +
    g.perLogEmployee * Math.log1p(Number(p.employees ?? 0)) +
    (FREE_MAIL_DOMAINS.has(domain) ? g.freeMail : 0) +
    g.perLogPageViewed * Math.log1p(Number(p.pages_viewed ?? 0)) +
    (g.seniority[seniorityOf(String(p.job_title ?? ""))] ?? 0) +
    (g.source[String(p.source)] ?? 0) +
    (g.industry[String(p.industry)] ?? 0)
  );
}

/** `count` labelled leads for a default B2B web form, reproducible from `seed`. */
export function generateLeads(count: number, seed: number): SyntheticLead[] {
  const rand = mulberry32(seed);
  const out: SyntheticLead[] = [];
  for (let i = 0; i < count; i++) {
    const free = rand() < 0.25;
    const company = `company${Math.floor(rand() * 5000)}`;
    const payload: Record<string, unknown> = {
      email: `lead${i}@${free ? pick(FREE, rand) : `${company}.example`}`,
      company,
      employees: Math.max(1, Math.min(50_000, Math.round(Math.exp(gaussian(rand) * 1.6 + 3.8)))),
      industry: pick(INDUSTRIES, rand),
      country: pick(COUNTRIES, rand),
      job_title: pick(TITLES, rand),
      source: pick(SOURCES, rand),
      pages_viewed: Math.min(60, Math.floor(-Math.log(Math.max(rand(), 1e-9)) * 6)),
      demo_requested: rand() < 0.18,
    };
    if (rand() < 0.1) delete payload.employees;
    const p = sigmoid(trueLogOdds(payload) + GROUND_TRUTH.noiseSd * gaussian(rand));
    out.push({ payload, label: rand() < p ? 1 : 0, trueProbability: p });
  }
  return out;
}
