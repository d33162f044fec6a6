import { sigmoid } from "../scoring/calibration.ts";
import { emailDomain, FREE_MAIL_DOMAINS, seniorityOf } from "../scoring/features.ts";
import { gaussian, mulberry32 } from "./rng.ts";

/**
 * Synthetic leads for a default B2B web form, drawn from a documented ground truth
 * (model-artifacts/default/GROUND_TRUTH.md). Bump the version whenever the draw or the truth changes:
 * it is part of a trained model's data lineage.
 */
export const GENERATOR_VERSION = "synthetic-b2b-leads/3";

export const INDUSTRIES = ["software", "finance", "healthcare", "manufacturing", "retail", "education", "other"] as const;
/** ISO 3166-1 alpha-2 codes with their own effect; leads also come from a tail of other countries. */
export const COUNTRIES = ["US", "GB", "DE", "FR", "IN", "BR", "AU", "CA"] as const;
export const SOURCES = ["organic", "paid_search", "referral", "event", "partner", "outbound"] as const;

/** The effects that make up a lead's true conversion log-odds (documented in GROUND_TRUTH.md). */
export const GROUND_TRUTH = {
  intercept: -4.6,
  demoRequested: 2.0,
  /** Per unit of ln(1 + employees); a lead without a usable employee count counts as 10 employees. */
  perLogEmployee: 0.3,
  missingEmployees: 10,
  freeMail: -1.2,
  perLogPageViewed: 0.5,
  seniority: { c_level: 1.0, vp: 0.9, director: 0.6, manager: 0.3, individual: 0, unknown: -0.3 } as Record<string, number>,
  source: { organic: 0, paid_search: -0.2, referral: 0.8, event: 0.5, partner: 0.6, outbound: -0.5 } as Record<string, number>,
  industry: { software: 0.5, finance: 0.3, healthcare: 0.1, manufacturing: 0.2, retail: -0.2, education: -0.6, other: -0.1 } as Record<string, number>,
  /** Countries not listed (and a missing country) add 0. */
  country: { US: 0.15, GB: 0.1, DE: 0, FR: -0.1, IN: -0.3, BR: -0.2, AU: 0.05, CA: 0.1 } as Record<string, number>,
  /**
   * Signal aggregates as of the decision (src/signals/aggregates.ts): per demo request in the last 7 days
   * (at most `demoRequestCap` count), per unit of ln(1 + page views in 30 days), per email click in 30
   * days (at most `emailClickCap`). A lead without events has 0 of each.
   */
  signals: { demoRequest7d: 1.5, demoRequestCap: 2, perLogPageViews30d: 0.25, emailClick30d: 0.3, emailClickCap: 3 },
  /** Per-lead N(0, noiseSd) on the log-odds: what no form field explains. */
  noiseSd: 0.5,
};

/** The signal aggregates a synthetic lead had when it was scored, nested as live scoring reads them. */
export type SyntheticSignals = { events: Record<string, { count_7d?: number; count_30d?: number }> };

/**
 * `payload` is the form as posted; `signals` the engagement seen by the time it was scored. `featureInput`
 * of a synthetic lead is `{ ...payload, events: signals.events }`, what live scoring computes features from.
 */
export type SyntheticLead = { payload: Record<string, unknown>; signals: SyntheticSignals; label: 0 | 1; trueProbability: number };

type Weighted<T> = readonly (readonly [T, number])[];
const FIRST = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana", "Ivan", "Jo", "Kofi", "Lena", "Mateo", "Nia", "Omar", "Priya"];
const LAST = ["Smith", "Garcia", "Müller", "Dubois", "Patel", "Silva", "Kim", "Okafor", "Novak", "Rossi", "Tanaka", "Brown"];
const COMPANY_A = ["North", "Blue", "Iron", "Bright", "Swift", "Green", "Atlas", "Nova", "Pine", "Summit"];
const COMPANY_B = ["wind", "stone", "leaf", "path", "forge", "wave", "bridge", "field", "works", "labs"];
const FREE: Weighted<string> = [["gmail.com", 6], ["yahoo.com", 2], ["hotmail.com", 2], ["outlook.com", 2], ["icloud.com", 1]];
const TITLES: Weighted<string> = [
  ["CEO", 2], ["CTO", 2], ["Founder", 2], ["VP Sales", 2], ["VP Engineering", 1.5], ["Director of IT", 3],
  ["Head of Marketing", 2], ["Marketing Manager", 6], ["Sales Manager", 5], ["Engineering Lead", 3],
  ["Engineer", 10], ["Software Developer", 6], ["Analyst", 7], ["Consultant", 5], ["Student", 5], ["", 6],
];
const TAIL_COUNTRIES = ["NL", "SE", "ES", "IT", "JP", "MX", "SG", "ZA", "PL", "NG"];
const COUNTRY_MIX: Weighted<string> = [["US", 35], ["GB", 10], ["DE", 8], ["FR", 6], ["IN", 10], ["BR", 5], ["AU", 4], ["CA", 5], ["tail", 14], ["", 3]];
const SOURCE_MIX: Weighted<string> = [["organic", 30], ["paid_search", 25], ["referral", 10], ["event", 8], ["partner", 8], ["outbound", 19]];
const INDUSTRY_MIX: Weighted<string> = [["software", 25], ["finance", 12], ["healthcare", 10], ["manufacturing", 12], ["retail", 10], ["education", 11], ["other", 20]];

const pick = <T>(items: readonly T[], rand: () => number): T => items[Math.floor(rand() * items.length)]!;
function pickWeighted<T>(items: Weighted<T>, rand: () => number): T {
  let u = rand() * items.reduce((s, [, w]) => s + w, 0);
  for (const [item, w] of items) if ((u -= w) < 0) return item;
  return items[items.length - 1]![0];
}

/** True conversion log-odds of a payload (and its signals) under the ground truth, without the noise term. */
export function trueLogOdds(p: Record<string, unknown>, signals: SyntheticSignals = { events: {} }): number {
  const g = GROUND_TRUTH;
  const e = signals.events;
  const employees = Number(p.employees ?? Number.NaN);
  const size = Number.isFinite(employees) && String(p.employees).trim() !== "" ? Math.max(0, employees) : g.missingEmployees;
  const pages = Number(p.pages_viewed ?? 0);
  return (
    g.intercept +
    (p.demo_requested === true ? g.demoRequested : 0) +
    g.perLogEmployee * Math.log1p(size) +
    (FREE_MAIL_DOMAINS.has(emailDomain(String(p.email ?? ""))) ? g.freeMail : 0) +
    g.perLogPageViewed * Math.log1p(Number.isFinite(pages) ? Math.max(0, pages) : 0) +
    (g.seniority[seniorityOf(String(p.job_title ?? ""))] ?? 0) +
    (g.source[String(p.source ?? "").toLowerCase()] ?? 0) +
    (g.industry[String(p.industry ?? "").toLowerCase()] ?? 0) +
    (g.country[String(p.country ?? "")] ?? 0) +
    g.signals.demoRequest7d * Math.min(g.signals.demoRequestCap, e.demo_request?.count_7d ?? 0) +
    g.signals.perLogPageViews30d * Math.log1p(e.page_view?.count_30d ?? 0) +
    g.signals.emailClick30d * Math.min(g.signals.emailClickCap, e.email_click?.count_30d ?? 0)
  );
}

/** One form submission, as a website would post it (some fields missing or typed loosely). */
function drawPayload(i: number, rand: () => number): Record<string, unknown> {
  const first = pick(FIRST, rand);
  const last = pick(LAST, rand);
  const company = `${pick(COMPANY_A, rand)}${pick(COMPANY_B, rand)} ${Math.floor(rand() * 900) + 100}`;
  const free = rand() < 0.25;
  const domain = free ? pickWeighted(FREE, rand) : `${company.toLowerCase().replace(/\s+/g, "-")}.example`;
  // Long-tailed company size: log-normal, median about 50, clamped to the form's 1..50,000.
  const employees = Math.max(1, Math.min(50_000, Math.round(Math.exp(3.9 + 1.7 * gaussian(rand)))));
  const pages = Math.min(60, Math.floor(-Math.log(Math.max(rand(), 1e-9)) * 5));
  const country = pickWeighted(COUNTRY_MIX, rand);
  const industry = pickWeighted(INDUSTRY_MIX, rand);
  const payload: Record<string, unknown> = {
    email: `${first.toLowerCase()}.${last.toLowerCase()}${i % 97}@${domain}`.normalize("NFKD").replace(/[^\x20-\x7e]/g, ""),
    name: `${first} ${last}`,
    company,
    employees: rand() < 0.05 ? String(employees) : employees,
    // Forms post industries as picked from a select, sometimes capitalised.
    industry: rand() < 0.1 ? industry[0]!.toUpperCase() + industry.slice(1) : industry,
    country: country === "tail" ? pick(TAIL_COUNTRIES, rand) : country,
    job_title: pickWeighted(TITLES, rand),
    source: pickWeighted(SOURCE_MIX, rand),
    pages_viewed: pages,
    // Readers who browse more ask for demos more.
    demo_requested: rand() < (pages >= 8 ? 0.3 : 0.12),
  };
  if (rand() < 0.5) payload.deal_value = Math.round(1500 * employees ** 0.35 * Math.exp(0.4 * gaussian(rand)));
  if (rand() < 0.08) delete payload.employees;
  if (payload.country === "") delete payload.country;
  return payload;
}

/**
 * Engagement before the decision: demo requests in the last week (more likely after a form demo request),
 * page views and email clicks in the last month. Drawn from its own stream, so the form payloads are the
 * same as generator version 2 drew.
 */
function drawSignals(payload: Record<string, unknown>, rand: () => number): SyntheticSignals {
  const events: SyntheticSignals["events"] = {};
  if (rand() < (payload.demo_requested === true ? 0.35 : 0.06)) events.demo_request = { count_7d: rand() < 0.8 ? 1 : 2, count_30d: 2 };
  if (rand() < 0.5) events.page_view = { count_30d: 1 + Math.floor(-Math.log(Math.max(rand(), 1e-9)) * 4) };
  if (rand() < 0.25) events.email_click = { count_30d: 1 + Math.floor(rand() * 3) };
  return { events };
}

/** `count` labelled leads, reproducible from `seed` on every machine. */
export function generateLeads(count: number, seed: number): SyntheticLead[] {
  const rand = mulberry32(seed);
  const signalRand = mulberry32(seed ^ 0x5eed);
  const out: SyntheticLead[] = [];
  for (let i = 0; i < count; i++) {
    const payload = drawPayload(i, rand);
    const signals = drawSignals(payload, signalRand);
    const p = sigmoid(trueLogOdds(payload, signals) + GROUND_TRUTH.noiseSd * gaussian(rand));
    out.push({ payload, signals, label: rand() < p ? 1 : 0, trueProbability: p });
  }
  return out;
}
