import { featureValue } from "../scoring/features.ts";
import type { FeatureSpec } from "../scoring/manifest.ts";
import type { Signals } from "./aggregates.ts";

/** Source roots that name signal aggregates rather than form fields. */
export const SIGNAL_ROOTS = ["events", "account"] as const;

const isSignalSource = (source: string) => (SIGNAL_ROOTS as readonly string[]).includes(source.split(".")[0]!);

/** Whether a feature spec reads any signal: if not, scoring needs no event lookups at all. */
export function usesSignals(specs: readonly FeatureSpec[]): boolean {
  return specs.some((s) => isSignalSource(s.source));
}

/**
 * What the feature code reads: the form payload with the signal aggregates under `events` and `account`.
 * A form field of either name is shadowed; every other path reads exactly as before, so a model whose
 * spec names only form fields scores the same with or without signals.
 */
export function featureInput(payload: Record<string, unknown>, signals: Signals | null): Record<string, unknown> {
  // A form field spelled like a signal path (`events.demo_request.count_7d`) would be read before the
  // signal itself (see readPath): never let a form forge one.
  const form = Object.fromEntries(Object.entries(payload).filter(([key]) => !(key.includes(".") && isSignalSource(key))));
  return signals ? { ...form, events: signals.values.events, account: signals.values.account } : form;
}

/** The signal values as flat columns (`events.demo_request.count_7d`, `account.arr`): the CSV export's shape. */
export function signalColumns(values: Signals["values"]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (prefix: string, v: unknown) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(`${prefix}.${k}`, x);
    else out[prefix] = v;
  };
  for (const root of SIGNAL_ROOTS) walk(root, values[root]);
  return out;
}

export type FeatureProvenance =
  | { source: string; from: "form"; value: unknown }
  | { source: string; from: "signals"; value: unknown; refs: string[]; total: number };

/** At most this many event ids per feature in lineage (the total count is kept). */
const MAX_REFS = 50;

/** Where each feature's value came from: the form field it read, or the events (or account) behind an aggregate. */
export function featureProvenance(specs: readonly FeatureSpec[], input: Record<string, unknown>, signals: Signals | null): Record<string, FeatureProvenance> {
  return Object.fromEntries(
    specs.map((s) => {
      const value = featureValue(s, input);
      // The form value itself is the lead's payload at `source` (kept there, masked there): not copied here.
      if (!isSignalSource(s.source)) return [s.name, { source: s.source, from: "form", value }];
      const refs = signals?.sources[s.source] ?? [];
      return [s.name, { source: s.source, from: "signals", value, refs: refs.slice(-MAX_REFS), total: refs.length }];
    }),
  );
}
