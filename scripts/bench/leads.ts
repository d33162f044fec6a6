/** Synthetic leads for the bench and the load test: varied enough to reach every tier. */
const INDUSTRIES = ["software", "finance", "healthcare", "manufacturing", "retail", "education", "other"];
const TITLES = ["CTO", "VP Sales", "Marketing Manager", "Engineer", "Director of IT", "Student", "Founder"];
const COUNTRIES = ["US", "DE", "GB", "FR", "IN", "BR"];
const SOURCES = ["organic", "paid_search", "referral", "event"];

export function benchLead(i: number, run: string) {
  return {
    email: `bench${run}-${i}@${i % 4 === 0 ? "gmail.com" : `company${i % 97}.example`}`,
    company: `Company ${i % 97}`,
    employees: 5 + ((i * 7919) % 5000),
    industry: INDUSTRIES[i % INDUSTRIES.length],
    country: COUNTRIES[i % COUNTRIES.length],
    job_title: TITLES[i % TITLES.length],
    source: SOURCES[i % SOURCES.length],
    pages_viewed: i % 23,
    demo_requested: i % 5 === 0,
  };
}
