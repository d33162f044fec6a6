/** Reading a feature-spec file for the CLIs: every problem one line naming the file, the feature and the fix. */
import { z } from "zod";
import { FeatureSpecSchema, type FeatureSpec } from "../../src/scoring/manifest.ts";

/** A spec file: a bare array of features, or what `npm run model:spec` prints (features plus the label it was made for). */
export type SpecFile = { features: FeatureSpec[]; label?: string; positive?: string };

const FileSchema = z.union([
  z.array(z.unknown()),
  z.object({ features: z.array(z.unknown()), label: z.string().optional(), positive: z.union([z.string(), z.number(), z.boolean()]).optional() }).loose(),
]);

/** Parses spec text; throws an Error whose message is one line ready for the user. */
export function parseSpecFile(path: string, text: string): SpecFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const hint = /,\s*[\]}]/.test(text) ? " (a trailing comma after the last item? JSON allows none)" : "";
    throw new Error(`${path}: not valid JSON: ${(err as Error).message}${hint}`);
  }
  const file = FileSchema.safeParse(json);
  if (!file.success) throw new Error(`${path}: expected a list of features, or { "features": [...] } as npm run model:spec prints`);
  const items = Array.isArray(file.data) ? file.data : file.data.features;
  if (items.length === 0) throw new Error(`${path}: the spec has no features`);
  const features = items.map((item, i) => {
    const parsed = FeatureSpecSchema.safeParse(item);
    if (parsed.success) return parsed.data;
    const name = item !== null && typeof item === "object" && typeof (item as { name?: unknown }).name === "string" ? ` ("${(item as { name: string }).name}")` : "";
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length ? `field "${issue.path.join(".")}"` : "the entry";
    throw new Error(`${path}: feature ${i + 1}${name}: ${field}: ${issue.message} (see "Feature spec" in README.md, or run npm run model:spec)`);
  });
  const seen = new Set<string>();
  for (const f of features) {
    if (seen.has(f.name)) throw new Error(`${path}: two features are named "${f.name}" (rename one)`);
    seen.add(f.name);
    if (f.clip && !(f.clip[0] <= f.clip[1])) throw new Error(`${path}: feature "${f.name}": clip [${f.clip.join(", ")}] has its low end above its high end`);
  }
  const meta: { label?: string; positive?: unknown } = Array.isArray(file.data) ? {} : file.data;
  return {
    features,
    ...(typeof meta.label === "string" ? { label: meta.label } : {}),
    ...(meta.positive !== undefined ? { positive: String(meta.positive) } : {}),
  };
}
