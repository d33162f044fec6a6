import { checkShape, LEAD_BODY_BOUNDS } from "../lib/body-shape.ts";
import { ApiError } from "../lib/errors.ts";

export type LeadBody = {
  /** The exact bytes received: signatures are computed over them. */
  raw: Uint8Array;
  /** Field values: JSON as sent, form fields as strings. */
  fields: Record<string, unknown>;
  /** `form` for urlencoded and multipart posts (a plain HTML form), `json` otherwise. */
  format: "json" | "form";
};

/**
 * Reads a lead body once (already size-capped) and decodes it by content type: JSON,
 * `application/x-www-form-urlencoded` or `multipart/form-data`. Anything else is a 415.
 */
export async function readLeadBody(req: Request): Promise<LeadBody> {
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  const raw = new Uint8Array(await req.arrayBuffer());
  if (/^application\/(.+\+)?json\b/.test(type)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(raw));
    } catch {
      throw new ApiError("invalid_json", "the body is not valid JSON");
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new ApiError("validation_failed", "body: expected a JSON object of lead fields");
    }
    checkShape(parsed, LEAD_BODY_BOUNDS);
    return { raw, fields: parsed as Record<string, unknown>, format: "json" };
  }
  if (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data")) {
    let form: FormData;
    try {
      form = await new Response(raw, { headers: { "content-type": type } }).formData();
    } catch {
      throw new ApiError("bad_request", "the form body could not be parsed");
    }
    const fields: Record<string, unknown> = {};
    for (const [key, value] of form.entries()) {
      if (typeof value !== "string") throw new ApiError("validation_failed", `${key}: file uploads are not accepted`);
      fields[key] = value;
    }
    checkShape(fields, LEAD_BODY_BOUNDS);
    return { raw, fields, format: "form" };
  }
  throw new ApiError("unsupported_media_type", "send JSON, application/x-www-form-urlencoded or multipart/form-data");
}
