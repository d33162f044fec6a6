/**
 * Proposes a feature spec from a CSV's columns, for a person to review before training: numbers vs
 * categories vs yes/no, categories with enough rows, defaults, clips from quantiles. Columns that would
 * hurt are left out with the reason: personal data (emails, names, phone numbers, addresses), ids, free
 * text, dates, constant columns, and leakage suspects (named like an outcome, or predicting the label
 * almost perfectly on their own). Pure: the CLI (scripts/infer-spec.ts) reads and prints.
 */
import type { FeatureSpec } from "../scoring/manifest.ts";
import { labelClass, readLabels } from "./labels.ts";
import { auc } from "./metrics.ts";

export type Excluded = { column: string; reason: string };
export type InferredSpec = { label: string; positive: string; features: FeatureSpec[]; excluded: Excluded[] };
export type InferOptions = { positive?: string; minCategoryRows?: number; maxCategories?: number };

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const EMAIL = /^[^\s@,;]+@[^\s@,;]+\.[a-z]{2,}$/i;
const PHONE = /^\+?[\d\s().-]{7,20}$/;
const DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$|^\d{1,2}\/\d{1,2}\/\d{2,4}( \d{1,2}:\d{2})?$/;
const BOOLEAN = new Set(["true", "false", "yes", "no", "y", "n"]);

const PERSONAL_NAME = /(^|[._\s-])(e-?mail|phone|mobile|tel|telephone|fax|first_?name|last_?name|full_?name|surname|given_?name|contact_?name|name|address|street|postcode|zip|ssn|passport|birth|dob|ip_?address|ip)$/i;
const ID_NAME = /(^|[._\s-])(id|uuid|guid|key|token|ref|number)$|^id[._\s-]/i;
const LEAK_NAME = /(converted|conversion|won|lost|closed|outcome|result|status|stage|opportunit|deal_?(value|amount|size)?$|churn|duration|disposition|lead_?score|sql|mql)/i;

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
const round = (x: number) => Number(x.toPrecision(6));
const share = (values: readonly string[], test: (v: string) => boolean) => (values.length ? values.filter(test).length / values.length : 0);

/** How well one column separates the classes on its own (AUC folded to ≥ 0.5). */
function soloAuc(scores: readonly number[], labels: ArrayLike<number>): number {
  const a = auc(scores, labels);
  return Math.max(a, 1 - a);
}

/** Infers a spec for every column but the label; see the module comment. */
export function inferSpec(header: readonly string[], rows: readonly Record<string, unknown>[], label: string, options: InferOptions = {}): InferredSpec {
  const { labels, positive } = readLabels(rows, label, options.positive);
  const minRows = options.minCategoryRows ?? Math.max(20, Math.ceil(rows.length * 0.005));
  const maxCategories = options.maxCategories ?? 50;
  const features: FeatureSpec[] = [];
  const excluded: Excluded[] = [];
  const usedNames = new Set<string>();
  const featureName = (column: string) => {
    let name = column.trim().replace(/[^A-Za-z0-9_.=-]+/g, "_") || "column";
    while (usedNames.has(name)) name += "_";
    usedNames.add(name);
    return name;
  };

  for (const column of header) {
    if (column === label) continue;
    const cells = rows.map((r) => (r[column] === null || r[column] === undefined ? "" : String(r[column]).trim()));
    const present = cells.filter((c) => c !== "");
    const out = (reason: string) => excluded.push({ column, reason });
    if (present.length === 0) {
      out("empty in every row");
      continue;
    }
    const distinct = new Set(present);
    const lower = new Set(present.map((v) => v.toLowerCase()));
    if (share(present, (v) => EMAIL.test(v)) > 0.5 || /e-?mail/i.test(column)) {
      out("personal data: email addresses (a feature with transform is_free_email or email_domain reads only the domain; add one by hand if wanted)");
      continue;
    }
    if (PERSONAL_NAME.test(column) && !/company|account|org|business|product|plan|campaign/i.test(column)) {
      out("personal data: named like a person's name, contact detail or address");
      continue;
    }
    if (share(present, (v) => PHONE.test(v) && v.replace(/\D/g, "").length >= 7 && /[\s().+-]/.test(v)) > 0.5) {
      out("personal data: phone numbers");
      continue;
    }
    const numericShare = share(present, (v) => NUMBER.test(v));
    if (distinct.size === 1 && present.length === cells.length) {
      out(`constant: every row is "${present[0]}"`);
      continue;
    }
    if (share(present, (v) => DATE.test(v)) > 0.9) {
      out("a date or time: derive a number from it (days since, hour of day) by hand if it matters; raw timestamps leak when the row was made");
      continue;
    }
    if (ID_NAME.test(column) || (numericShare < 1 && distinct.size > 0.9 * present.length && present.length > 50 && !present.some((v) => /\s/.test(v)))) {
      out("looks like an id (named like one, or nearly every value unique): it identifies a row and cannot generalise");
      continue;
    }
    if (LEAK_NAME.test(column)) {
      out("leakage suspect: named like an outcome or something known only after the lead is worked (check, then add by hand if it is known when the lead arrives)");
      continue;
    }

    const y = labels;
    if (numericShare >= 0.98) {
      const nums = cells.map((c) => (NUMBER.test(c) ? Number(c) : Number.NaN));
      const known = nums.filter((n) => !Number.isNaN(n)).sort((a, b) => a - b);
      const set = new Set(known);
      // Whole numbers, every one different: a row number or a numeric id, not a measurement.
      if (known.length > 50 && set.size === known.length && known.every(Number.isInteger)) {
        out("looks like an id (whole numbers, every row different): it identifies a row and cannot generalise");
        continue;
      }
      if (set.size === 2 && set.has(0) && set.has(1)) {
        features.push({ name: featureName(column), source: column, type: "boolean", transform: "none", default: quantile(known, 0.5) >= 0.5 });
        continue;
      }
      const median = quantile(known, 0.5);
      const skewed = known[0]! >= 0 && quantile(known, 0.99) > 20 * Math.max(median, 1);
      const t = (x: number) => (skewed ? Math.log1p(x) : x);
      // Counts are 0 when no event was seen; a "since"/"latency" value is missing when nothing happened yet,
      // which is most like the longest time seen.
      const def = /count|(^|_)n_|num_|number_of|seats|adopted/i.test(column) ? 0 : /since|hours_to|latency|ago/i.test(column) ? quantile(known, 0.995) : median;
      const spec: FeatureSpec = { name: featureName(column), source: column, type: "number", transform: skewed ? "log1p" : "none", default: round(def), clip: [t(quantile(known, 0.005)), t(quantile(known, 0.995))] };
      const filled = nums.map((n) => t(Number.isNaN(n) ? def : n));
      if (soloAuc(filled, y) > 0.95) {
        out(`leakage suspect: on its own it separates the classes almost perfectly (AUC ${soloAuc(filled, y).toFixed(3)})`);
        usedNames.delete(spec.name);
        continue;
      }
      features.push(spec);
      continue;
    }
    if (lower.size <= 2 && [...lower].every((v) => BOOLEAN.has(v))) {
      const truthy = present.filter((v) => ["true", "yes", "y"].includes(v.toLowerCase())).length;
      features.push({ name: featureName(column), source: column, type: "boolean", transform: "none", default: truthy > present.length / 2 });
      continue;
    }
    const meanLength = present.reduce((s, v) => s + v.length, 0) / present.length;
    if (distinct.size > 0.5 * present.length && (meanLength > 25 || share(present, (v) => /\s/.test(v)) > 0.5)) {
      out("free text: most values are unique sentences or names, not categories");
      continue;
    }
    // Case variants of one value ("Software", "software") are one category.
    const transform = lower.size < distinct.size ? "lower" : "none";
    const key = (v: string) => (transform === "lower" ? v.toLowerCase() : v);
    const counts = new Map<string, number>();
    for (const c of cells) counts.set(key(c), (counts.get(key(c)) ?? 0) + 1);
    const kept = [...counts].filter(([, n]) => n >= minRows).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, maxCategories).map(([v]) => v);
    if (kept.length < 2) {
      out(`too few rows per value: ${kept.length} of ${counts.size} values have ${minRows} rows or more`);
      continue;
    }
    const rate = new Map<string, number>();
    for (const v of kept) {
      let n = 0, p = 0;
      cells.forEach((c, i) => {
        if (key(c) === v) {
          n++;
          p += y[i]!;
        }
      });
      rate.set(v, p / n);
    }
    const solo = soloAuc(cells.map((c) => rate.get(key(c)) ?? -1), y);
    if (solo > 0.95) {
      out(`leakage suspect: on its own it separates the classes almost perfectly (AUC ${solo.toFixed(3)})`);
      continue;
    }
    features.push({ name: featureName(column), source: column, type: "category", transform, categories: kept, default: "" });
  }
  if (features.length === 0) throw new Error(`no usable feature columns: ${excluded.map((e) => `"${e.column}" (${e.reason.split(":")[0]})`).join(", ")}`);
  return { label, positive: labelClass(positive)!, features, excluded };
}
