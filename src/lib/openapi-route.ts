import { createRoute, OpenAPIHono, z, type RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env.ts";
import type { Scope } from "./auth.ts";
import { ApiError, ERROR_STATUS, type ErrorCode } from "./errors.ts";
import { issuesMessage } from "./validate.ts";

/**
 * One definition per route: `createRoute` writes the route's OpenAPI entry and its query / path
 * parameter schemas validate the request, so /openapi.json is generated from what is served.
 *
 * The one way bodies are handled, everywhere: a JSON (or form) body is DECLARED here from its zod schema
 * (`jsonBody`, `formBody`), so the document shows it, but it is READ in the handler by `readJson` +
 * `parseOrThrow` with that same schema, as before. The library's own body validator would answer a wrong
 * content type, bad JSON and oversized structures with its own errors (skipping our 415
 * `unsupported_media_type`, `invalid_json` and `checkShape` bounds), and would run before a handler's own
 * authorisation checks; a declared body is therefore handed to the generator as JSON Schema, which the
 * library documents and does not validate.
 */

/** The one error shape, a component of the document. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      requestId: z.string(),
    }),
  })
  .openapi("Error");

/** Who may call an operation: a site key (the intake), a bearer token with one of the scopes, or anyone. */
export type Auth = "site" | "public" | Scope | readonly Scope[];

/** Turns a failed query / path parameter check into our 422, worded as `parseOrThrow` words it. */
const defaultHook = (result: { success: true } | { success: false; error: z.ZodError }) => {
  if (!result.success) throw new ApiError("validation_failed", issuesMessage(result.error.issues));
};

/** A sub-app of the API: routes are added with `.openapi(route({...}), handler)`; `use` runs before all of them. */
export function apiApp(...use: MiddlewareHandler<AppEnv>[]): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook });
  for (const mw of use) app.use(mw);
  return app;
}

/** A zod schema as the document's JSON Schema (the input side: what a client sends). */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return rest;
}

/** A request body in the given media types: documented from `schema`, read by the handler (see above). */
export function bodyOf(schema: z.ZodType, types: readonly string[], opts: { required?: boolean; description?: string } = {}) {
  const documented = jsonSchemaOf(schema);
  return {
    required: opts.required ?? true,
    ...(opts.description ? { description: opts.description } : {}),
    content: Object.fromEntries(types.map((type) => [type, { schema: documented }])),
  };
}

/** A JSON request body: documented from `schema`, read in the handler with readJson + parseOrThrow(schema). */
export const jsonBody = (schema: z.ZodType, opts: { required?: boolean; description?: string } = {}) => bodyOf(schema, ["application/json"], opts);

const errorResponse = { description: "The one error shape: `{ error: { code, message, requestId } }`", content: { "application/json": { schema: ErrorBody } } };

/** A success answer: its description, and optionally the zod schema of its JSON body and its headers. */
type Ok = Record<number, string | { description: string; schema?: z.ZodType; headers?: Record<string, { description: string; schema: { type: "string" } }> }>;

type RouteInput = Omit<RouteConfig, "responses" | "security"> & { auth: Auth; ok: Ok };

/**
 * Typed as answers without a content schema, so a handler may answer with any Response (JSON, a redirect, a
 * replayed body); a documented body schema is for the document only (the tests hold real answers to it).
 */
type Responses<O extends Ok> = { [K in keyof O]: { description: string } } & { "4XX": typeof errorResponse };

/**
 * `createRoute` with this API's conventions: `auth` becomes the security requirement, `ok` the success
 * answers, and every operation documents the shared error shape for 4xx.
 */
export function route<const R extends RouteInput>({ auth, ok, ...config }: R) {
  const responses = {
    ...Object.fromEntries(
      Object.entries(ok).map(([status, r]) => {
        if (typeof r === "string") return [status, { description: r }];
        const { schema, ...rest } = r;
        return [status, schema ? { ...rest, content: { "application/json": { schema } } } : rest];
      }),
    ),
    "4XX": errorResponse,
  };
  const security = auth === "public" ? [] : auth === "site" ? [{ siteKey: [] }] : [{ bearer: typeof auth === "string" ? [auth] : [...auth] }];
  return createRoute({ ...(config as Omit<R, "auth" | "ok">), security, responses: responses as Responses<R["ok"]> });
}
