import type { FeatureSpec } from "./manifest.ts";

/** Free-mail domains: a lead from one of them is a person, not an account. */
export const FREE_MAIL_DOMAINS: ReadonlySet<string> = new Set([
  "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com", "outlook.com", "live.com",
  "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com", "gmx.com",
  "gmx.de", "web.de", "mail.com", "yandex.ru", "qq.com", "163.com", "zoho.com", "hey.com", "fastmail.com",
]);

const SENIORITY_RULES: ReadonlyArray<[string, RegExp]> = [
  ["c_level", /\b(ceo|cto|cfo|coo|cmo|cio|cro|chief|founder|co-founder|owner|president)\b/],
  ["vp", /\b(vp|vice president|svp|evp)\b/],
  ["director", /\b(director|head of)\b/],
  ["manager", /\b(manager|lead|supervisor)\b/],
];

/** Maps a job title to a seniority band: c_level, vp, director, manager, individual, or unknown. */
export function seniorityOf(title: string): string {
  const t = title.trim().toLowerCase();
  if (t === "") return "unknown";
  for (const [band, re] of SENIORITY_RULES) if (re.test(t)) return band;
  return "individual";
}

/** The lower-cased domain of an email address, or "" when there is none. */
export function emailDomain(email: string): string {
  const at = email.lastIndexOf("@");
  return at < 0 ? "" : email.slice(at + 1).trim().toLowerCase();
}

/**
 * Reads a dot path (`a.b.c`) out of a payload; own properties only. A flat key spelled as the whole path
 * (a CSV column `events.demo_request.count_7d`) is read first, so training rows from a CSV and nested
 * live payloads reach the same value.
 */
export function readPath(payload: unknown, path: string): unknown {
  if (payload !== null && typeof payload === "object" && Object.hasOwn(payload, path)) return (payload as Record<string, unknown>)[path];
  let cur: unknown = payload;
  for (const key of path.split(".")) {
    if (cur === null || typeof cur !== "object" || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string" && v.trim() !== "") {
    const n = Number(v.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function toBoolean(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (["true", "1", "yes", "on", "y"].includes(s)) return true;
    if (["false", "0", "no", "off", "n"].includes(s)) return false;
  }
  return undefined;
}

function isMissing(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === "string" && v.trim() === "");
}

/** The value one spec yields for a payload, after defaulting and the transform (before scaling). */
export function featureValue(spec: FeatureSpec, payload: unknown): number | boolean | string {
  let raw = readPath(payload, spec.source);
  if (isMissing(raw)) raw = spec.default;
  switch (spec.transform) {
    case "email_domain":
      raw = emailDomain(String(raw));
      break;
    case "is_free_email": {
      const domain = emailDomain(String(raw));
      raw = domain === "" ? spec.default : FREE_MAIL_DOMAINS.has(domain);
      break;
    }
    case "seniority":
      raw = seniorityOf(String(raw));
      break;
    case "lower":
      raw = String(raw).trim().toLowerCase();
      break;
  }
  if (spec.type === "category") return String(raw);
  if (spec.type === "boolean") return toBoolean(raw) ?? toBoolean(spec.default) ?? false;
  let n = toNumber(raw) ?? toNumber(spec.default) ?? 0;
  if (spec.transform === "log1p") n = Math.log1p(Math.max(0, n));
  return n;
}

/** Column names of the model input, in order. */
export function featureColumns(specs: readonly FeatureSpec[]): string[] {
  return specs.flatMap((s) =>
    s.type === "category" ? (s.categories ?? []).map((c) => `${s.name}=${c}`) : [s.name],
  );
}

/**
 * Computes the model's input row for one payload, exactly as the manifest's feature spec says.
 * Numbers are rounded to float32 (what the ONNX graph sees) so references computed from this vector
 * match the runtime.
 */
export function computeFeatures(specs: readonly FeatureSpec[], payload: unknown): Float32Array {
  const out: number[] = [];
  for (const spec of specs) {
    const v = featureValue(spec, payload);
    if (spec.type === "category") {
      for (const c of spec.categories ?? []) out.push(v === c ? 1 : 0);
      continue;
    }
    let n = typeof v === "boolean" ? (v ? 1 : 0) : (v as number);
    if (spec.clip) n = Math.min(spec.clip[1], Math.max(spec.clip[0], n));
    if (spec.scale) n = (n - spec.scale.mean) / spec.scale.std;
    out.push(n);
  }
  return Float32Array.from(out);
}

const EMAIL_TRANSFORMS = new Set(["email_domain", "is_free_email"]);

/**
 * The part of a payload a feature spec reads: one flat key per source (`events.demo_request.count_7d`
 * included), nothing else. Where every spec reading a source looks only at an email's domain, the local
 * part is replaced by `x`. Golden vectors are stored this way, so an artifact never carries a value the
 * model does not read (a CRM export's names, phone numbers, other columns) and `computeFeatures` still
 * gives the same row.
 */
export function specPayload(specs: readonly FeatureSpec[], payload: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const source of new Set(specs.map((s) => s.source))) {
    const value = readPath(payload, source);
    if (value === undefined) continue;
    const domainOnly = specs.filter((s) => s.source === source).every((s) => EMAIL_TRANSFORMS.has(s.transform));
    out[source] = domainOnly && typeof value === "string" && value.includes("@") ? `x@${value.slice(value.lastIndexOf("@") + 1)}` : value;
  }
  return out;
}
