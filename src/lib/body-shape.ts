import { ApiError } from "./errors.ts";

/** How large a decoded body's structure may be, besides its byte size (the bodyLimit middleware). */
export type ShapeBounds = {
  /** Longest field name, in characters. */
  maxKeyLength: number;
  /** Most fields in one object. */
  maxKeys: number;
  /** Most items in one array. */
  maxItems: number;
  /** Deepest nesting of objects and arrays (a flat object is depth 1). */
  maxDepth: number;
};

/** Every JSON body of the API: admin, CRM, events, outcomes, policies, simulations. */
export const JSON_BODY_BOUNDS: ShapeBounds = { maxKeyLength: 128, maxKeys: 100, maxItems: 1_000, maxDepth: 8 };
/**
 * A lead is flat form fields: the names end up stored, in lineage and in training exports. 64 fields: the
 * 60 a lead may keep (LeadInputSchema) and the form's control fields (site key, honeypot, Turnstile).
 */
export const LEAD_BODY_BOUNDS: ShapeBounds = { maxKeyLength: 64, maxKeys: 64, maxItems: 0, maxDepth: 1 };
/** A model manifest carries per-feature histograms and golden vectors. */
export const MANIFEST_BOUNDS: ShapeBounds = { maxKeyLength: 128, maxKeys: 2_000, maxItems: 100_000, maxDepth: 10 };

const where = (path: readonly (string | number)[]) => (path.length === 0 ? "body" : path.join("."));
const tooBig = (message: string) => new ApiError("validation_failed", message);

/**
 * Refuses a decoded body whose structure passes a bound: a field name too long, too many fields in one
 * object or items in one list, or nesting too deep, with a 422 that names the bound and where it was passed. Iterative, so a
 * hostile body cannot exhaust the stack before it is refused.
 */
export function checkShape(value: unknown, bounds: ShapeBounds): void {
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: value, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    const depth = path.length + 1;
    if (depth > bounds.maxDepth) {
      throw tooBig(`${where(path)}: nested ${depth} levels deep; the bound is ${bounds.maxDepth} level${bounds.maxDepth === 1 ? " (flat fields only)" : "s"}`);
    }
    if (Array.isArray(v)) {
      if (v.length > bounds.maxItems) throw tooBig(`${where(path)}: ${v.length} items in one list; the bound is ${bounds.maxItems} items`);
      v.forEach((item, i) => stack.push({ v: item, path: [...path, i] }));
      continue;
    }
    const keys = Object.keys(v);
    if (keys.length > bounds.maxKeys) throw tooBig(`${where(path)}: ${keys.length} fields in one object; the bound is ${bounds.maxKeys} fields`);
    for (const key of keys) {
      if (key.length > bounds.maxKeyLength) {
        throw tooBig(`${where(path)}: a field name of ${key.length} characters (${JSON.stringify(key.slice(0, 20))}…); the bound is ${bounds.maxKeyLength} characters per field name`);
      }
      stack.push({ v: (v as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
}
