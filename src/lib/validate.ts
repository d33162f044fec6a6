import type { z } from "zod";
import { checkShape, JSON_BODY_BOUNDS } from "./body-shape.ts";
import { ApiError } from "./errors.ts";

/** Parses `value` with a zod schema, or throws a 422 that names every failing field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ApiError("validation_failed", issuesMessage(result.error.issues));
}

/** The first ten issues of a failed zod check, each as `field.path: message` (`body` for the whole value). */
export function issuesMessage(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 10)
    .map((i) => `${i.path.length ? i.path.join(".") : "body"}: ${i.message}`)
    .join("; ");
}

/** Reads a JSON body (already size-capped by the bodyLimit middleware) within JSON_BODY_BOUNDS, or throws a 4xx. */
export async function readJson(req: { header(name: string): string | undefined; text(): Promise<string> }): Promise<unknown> {
  const type = req.header("content-type") ?? "";
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw new ApiError("unsupported_media_type", "send the body as application/json");
  }
  const raw = await req.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ApiError("invalid_json", "the body is not valid JSON");
  }
  checkShape(parsed, JSON_BODY_BOUNDS);
  return parsed;
}
