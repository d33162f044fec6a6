/**
 * A CRM export as a new user would bring one, to test the model workflow on data the trainer was never
 * tuned on: personal data (emails, names, phone numbers), ids, free-text notes, a timestamp, a leakage
 * column (the deal stage, known only after the lead is worked), dotted signal columns
 * (`events.demo_request.count_7d`), labels written `1.0` and `1`, and a trailing comma on every line
 * (an unnamed empty last column). Its conversion depends on a documented truth (TRUTH below) that
 * includes non-linear effects, so neither algorithm is the obvious winner. Reproducible from the seed.
 */
import { gaussian, mulberry32 } from "./rng.ts";
import { csvCell } from "./export-csv.ts";

export const CRM_EXPORT_TRUTH = {
  intercept: -3.2,
  /** Per demo request in the last 7 days, capped at 3. */
  demoRequest7d: 0.9,
  /** Per unit of ln(1 + page views in 30 days). */
  perLogPageViews30d: 0.45,
  /** Company size: best in the middle (50–2,000 employees). */
  midSize: 0.8,
  /** Industry effects. */
  industry: { saas: 0.6, fintech: 0.4, retail: -0.3, public_sector: -0.7, manufacturing: 0.1, other: 0 } as Record<string, number>,
  /** Lead source effects. */
  source: { webinar: 0.5, referral: 0.9, paid_social: -0.4, organic: 0, cold_list: -1.0 } as Record<string, number>,
  /** Budget answered "yes" on the form. */
  budget: 0.7,
  noiseSd: 0.6,
};

const FIRST = ["Ava", "Noah", "Mia", "Liam", "Zoe", "Ravi", "Ines", "Yuki", "Omar", "Lea", "Tom", "Sara"];
const LAST = ["Hughes", "Costa", "Nakamura", "Schmidt", "Ali", "Moreau", "Jensen", "Lopez", "Ivanova", "Reid"];
const INDUSTRIES = ["saas", "fintech", "retail", "public_sector", "manufacturing", "other"];
const SOURCES = ["webinar", "referral", "paid_social", "organic", "cold_list"];
const NOTES = ["Asked about pricing for the team plan", "Wants a call next week", "Came from the partner newsletter", "No reply yet", "Evaluating two other vendors", ""];


/** `rows` leads as CSV text (header first; every line ends with a comma, as some spreadsheet exports do). */
export function syntheticCrmExport(rows: number, seed: number): string {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const header = ["Lead ID", "email", "first_name", "last_name", "phone", "company_size", "industry", "lead_source", "has_budget", "events.demo_request.count_7d", "events.page_view.count_30d", "notes", "created_at", "deal_stage", "converted"];
  const lines = [`${header.join(",")},`];
  const t = CRM_EXPORT_TRUTH;
  for (let i = 0; i < rows; i++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const size = Math.max(1, Math.round(Math.exp(4 + 1.8 * gaussian(rand))));
    const industry = pick(INDUSTRIES);
    const source = pick(SOURCES);
    const budget = rand() < 0.35;
    const views = Math.floor(-Math.log(Math.max(rand(), 1e-9)) * 6);
    const demos = rand() < 0.2 ? 1 + Math.floor(rand() * 3) : 0;
    const z = t.intercept + t.demoRequest7d * Math.min(demos, 3) + t.perLogPageViews30d * Math.log1p(views) + (size >= 50 && size <= 2000 ? t.midSize : 0) +
      t.industry[industry]! + t.source[source]! + (budget ? t.budget : 0) + t.noiseSd * gaussian(rand);
    const converted = rand() < 1 / (1 + Math.exp(-z));
    const stage = converted ? pick(["negotiation", "closed_won", "proposal"]) : pick(["new", "contacted", "closed_lost", "new"]);
    const created = new Date(Date.UTC(2026, 0, 1) + Math.floor(rand() * 300 * 86_400_000)).toISOString();
    const cells = [
      `L-${100000 + i}`,
      `${first.toLowerCase()}.${last.toLowerCase()}${i}@${rand() < 0.3 ? "gmail.com" : `${pick(["acme", "globex", "initech", "umbrella", "hooli"])}${i % 50}.example`}`,
      first,
      last,
      `+44 20 ${String(1000 + Math.floor(rand() * 9000))} ${String(1000 + Math.floor(rand() * 9000))}`,
      rand() < 0.05 ? "" : String(size),
      rand() < 0.1 ? industry.toUpperCase() : industry,
      source,
      budget ? "yes" : "no",
      String(demos),
      String(views),
      pick(NOTES) + (rand() < 0.5 ? ` (${first} ${last}, ${i})` : ""),
      created,
      stage,
      // Spreadsheets write whole numbers both ways.
      converted ? (rand() < 0.3 ? "1.0" : "1") : rand() < 0.3 ? "0.0" : "0",
    ];
    lines.push(`${cells.map(csvCell).join(",")},`);
  }
  return `${lines.join("\n")}\n`;
}
