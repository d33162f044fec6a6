import { featureValue } from "../scoring/features.ts";
import type { FeatureSpec } from "../scoring/manifest.ts";
import { COUNTRIES, GROUND_TRUTH, INDUSTRIES, SOURCES } from "./synthetic-leads.ts";

/**
 * The default model's feature spec before standardisation: one entry per form field the ground truth
 * uses. Category columns left out of `categories` encode as all zeros (the baseline the bias absorbs):
 * "individual" for seniority, and any country outside the list.
 */
export const DEFAULT_FEATURES_UNSCALED: readonly FeatureSpec[] = [
  // A missing or unreadable company size counts as 10 employees, as in the ground truth. The clip keeps
  // a typo (10^9 employees) from dominating the score: ln(1 + 50,000) ≈ 10.82 is the form's maximum.
  { name: "employees_log", source: "employees", type: "number", transform: "log1p", default: GROUND_TRUTH.missingEmployees, clip: [0, 10.82] },
  { name: "pages_viewed_log", source: "pages_viewed", type: "number", transform: "log1p", default: 0, clip: [0, 4.11] },
  { name: "demo_requested", source: "demo_requested", type: "boolean", transform: "none", default: false },
  { name: "free_email", source: "email", type: "boolean", transform: "is_free_email", default: false },
  // "" maps to the "unknown" band (no job title given); an unmatched title is "individual", the baseline.
  { name: "seniority", source: "job_title", type: "category", transform: "seniority", categories: ["c_level", "vp", "director", "manager", "unknown"], default: "" },
  { name: "source", source: "source", type: "category", transform: "lower", categories: [...SOURCES], default: "" },
  { name: "industry", source: "industry", type: "category", transform: "lower", categories: [...INDUSTRIES], default: "" },
  // Lower-cased so "us" and "US" match; the tail of other countries is the baseline.
  { name: "country", source: "country", type: "category", transform: "lower", categories: COUNTRIES.map((c) => c.toLowerCase()), default: "" },
  // Signal aggregates as of the decision (src/signals/aggregates.ts): a new event re-scores a waiting lead.
  // The clips are the ground truth's caps; page views are long-tailed, so log1p and a clip at ln(1 + 150).
  { name: "demo_requests_7d", source: "events.demo_request.count_7d", type: "number", transform: "none", default: 0, clip: [0, GROUND_TRUTH.signals.demoRequestCap] },
  { name: "page_views_30d_log", source: "events.page_view.count_30d", type: "number", transform: "log1p", default: 0, clip: [0, 5.02] },
  { name: "email_clicks_30d", source: "events.email_click.count_30d", type: "number", transform: "none", default: 0, clip: [0, GROUND_TRUTH.signals.emailClickCap] },
];

/**
 * Adds standardisation ((x - mean) / std, with the training rows' statistics, stored as float32) to
 * every numeric column, so the L2 penalty treats columns alike and the weights are comparable.
 */
export function standardise(specs: readonly FeatureSpec[], payloads: readonly unknown[]): FeatureSpec[] {
  return specs.map((spec) => {
    if (spec.type !== "number") return spec;
    const xs = payloads.map((p) => {
      const v = featureValue(spec, p) as number;
      return spec.clip ? Math.min(spec.clip[1], Math.max(spec.clip[0], v)) : v;
    });
    const mean = xs.reduce((a, b) => a + b, 0) / (xs.length || 1);
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length || 1)) || 1;
    return { ...spec, scale: { mean: Math.fround(mean), std: Math.fround(std) } };
  });
}
