import { z } from "zod";
import { ManifestSchema } from "./scoring/manifest.ts";
import { ModelStatusBody, ReasonBody, SiteBody, TokenBody } from "./schemas/admin.ts";
import { NoteBody, OutcomeSchema, RejectBody } from "./schemas/crm.ts";
import { LeadInputSchema } from "./schemas/lead.ts";

const schema = (s: z.ZodType) => z.toJSONSchema(s, { target: "openapi-3.0", io: "input", unrepresentable: "any" });

const ErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), requestId: z.string() }),
});

type Op = {
  summary: string;
  tags: string[];
  security?: "site" | "crm:read" | "crm:write" | "admin";
  body?: { type: string; schema: z.ZodType }[];
  params?: string[];
  query?: Record<string, string>;
  ok: Record<string, string>;
};

const json = (s: z.ZodType) => [{ type: "application/json", schema: s }];

/** Every operation of the public API, described once; /openapi.json and /docs are generated from it. */
export const OPERATIONS: Record<string, Record<string, Op>> = {
  "/v1/leads": {
    post: {
      summary: "Submit a lead (JSON, urlencoded or multipart; signed server-to-server posts with Lead-Router-Signature)",
      tags: ["Intake"],
      security: "site",
      body: [...json(LeadInputSchema), { type: "application/x-www-form-urlencoded", schema: LeadInputSchema }, { type: "multipart/form-data", schema: LeadInputSchema }],
      ok: { "201": "Stored, scored and routed", "200": "Merged into an earlier lead of the same email", "202": "Stored; decision pending or under review", "303": "Plain HTML form: redirect to the thank-you page" },
    },
  },
  "/v1/assignments": {
    get: { summary: "Assignments after a cursor, oldest first (the token's team only)", tags: ["CRM"], security: "crm:read", query: { cursor: "a nextCursor from a previous page (default 0)", limit: "1-500 (default 100)" }, ok: { "200": "A page of assignments with nextCursor and hasMore" } },
  },
  "/v1/assignments/{id}/ack": { post: { summary: "Mark an assignment as seen", tags: ["CRM"], security: "crm:write", params: ["id"], body: json(NoteBody), ok: { "200": "Acknowledged" } } },
  "/v1/assignments/{id}/accept": { post: { summary: "Accept an assignment", tags: ["CRM"], security: "crm:write", params: ["id"], body: json(NoteBody), ok: { "200": "Accepted" } } },
  "/v1/assignments/{id}/reject": { post: { summary: "Reject an assignment: the lead is routed to another rep", tags: ["CRM"], security: "crm:write", params: ["id"], body: json(RejectBody), ok: { "200": "Rejected, with the new decision" } } },
  "/v1/outcomes": { post: { summary: "Report what happened to a lead (training labels; won/lost frees the rep)", tags: ["CRM"], security: "crm:write", body: json(OutcomeSchema), ok: { "201": "Stored", "200": "Already stored (same id)" } } },
  "/v1/decisions/{id}": { get: { summary: "A decision with its lineage", tags: ["CRM"], security: "crm:read", params: ["id"], ok: { "200": "The decision" } } },
  "/v1/exports/training": { get: { summary: "Leads with outcomes, as training rows (label `converted`)", tags: ["Admin"], security: "admin", query: { cursor: "a nextCursor (default 0)", limit: "1-1000 (default 500)" }, ok: { "200": "A page of rows" } } },
  "/v1/models": {
    get: { summary: "The model registry", tags: ["Models"], security: "admin", ok: { "200": "Versions, newest first" } },
    post: { summary: "Upload a model: multipart `model` (ONNX) + `manifest` (JSON); validated, stored as staged", tags: ["Models"], security: "admin", body: [{ type: "multipart/form-data", schema: z.object({ model: z.string().describe("ONNX bytes"), manifest: ManifestSchema }) }], ok: { "201": "Staged" } },
  },
  "/v1/models/{name}/{version}": { get: { summary: "One model version with its manifest", tags: ["Models"], security: "admin", params: ["name", "version"], ok: { "200": "The version" } } },
  "/v1/models/{name}/{version}/status": { post: { summary: "Move a version: staged, shadow, active or retired", tags: ["Models"], security: "admin", params: ["name", "version"], body: json(ModelStatusBody), ok: { "200": "The status changes made" } } },
  "/v1/models/{name}/rollback": { post: { summary: "Activate the previously active version", tags: ["Models"], security: "admin", params: ["name"], body: json(ReasonBody), ok: { "200": "The status changes made" } } },
  "/v1/admin/tokens": {
    get: { summary: "API tokens (never their secrets)", tags: ["Admin"], security: "admin", ok: { "200": "Tokens" } },
    post: { summary: "Create an API token: the secret is shown once", tags: ["Admin"], security: "admin", body: json(TokenBody), ok: { "201": "The token and its secret" } },
  },
  "/v1/admin/tokens/{id}": { delete: { summary: "Revoke a token", tags: ["Admin"], security: "admin", params: ["id"], ok: { "200": "Revoked" } } },
  "/v1/admin/sites": { get: { summary: "Sites allowed to post leads", tags: ["Admin"], security: "admin", ok: { "200": "Sites" } } },
  "/v1/admin/sites/{id}": { put: { summary: "Create or update a site (key, team, origins, secrets, Turnstile, dedupe window)", tags: ["Admin"], security: "admin", params: ["id"], body: json(SiteBody.omit({ id: true })), ok: { "200": "Updated", "201": "Created" } } },
  "/v1/admin/review": { get: { summary: "Leads held for review as suspicious", tags: ["Admin"], security: "admin", ok: { "200": "The queue" } } },
  "/v1/admin/review/{id}/release": { post: { summary: "Release a held lead: it is routed now", tags: ["Admin"], security: "admin", params: ["id"], body: json(ReasonBody), ok: { "200": "Routed" } } },
  "/v1/admin/review/{id}/discard": { post: { summary: "Discard a held lead as spam", tags: ["Admin"], security: "admin", params: ["id"], body: json(ReasonBody), ok: { "200": "Discarded" } } },
};

const SECURITY = {
  site: { type: "apiKey", in: "header", name: "X-Site-Key", description: "The site's public key (also `site` query parameter or `site_key` form field)" },
  bearer: { type: "http", scheme: "bearer", description: "An API token with the scope the operation names" },
};

/** The OpenAPI 3 document, generated from the same zod schemas the handlers validate with. */
export function openApiDocument(serverUrl: string) {
  const errorResponse = { description: "Error", content: { "application/json": { schema: schema(ErrorSchema) } } };
  const paths = Object.fromEntries(
    Object.entries(OPERATIONS).map(([path, ops]) => [
      path,
      Object.fromEntries(
        Object.entries(ops).map(([method, op]) => [
          method,
          {
            summary: op.summary,
            tags: op.tags,
            ...(op.security ? { security: [op.security === "site" ? { site: [] } : { bearer: [op.security] }] } : {}),
            parameters: [
              ...(op.params ?? []).map((name) => ({ name, in: "path", required: true, schema: { type: "string" } })),
              ...Object.entries(op.query ?? {}).map(([name, description]) => ({ name, in: "query", required: false, description, schema: { type: "string" } })),
            ],
            ...(op.body ? { requestBody: { required: true, content: Object.fromEntries(op.body.map((b) => [b.type, { schema: schema(b.schema) }])) } } : {}),
            responses: { ...Object.fromEntries(Object.entries(op.ok).map(([code, description]) => [code, { description }])), "4XX": errorResponse },
          },
        ]),
      ),
    ]),
  );
  return {
    openapi: "3.0.3",
    info: { title: "Edge lead router", version: "1.0.0", description: "Scores every lead with a calibrated model and routes it to the right rep." },
    servers: [{ url: serverUrl }],
    components: { securitySchemes: SECURITY },
    paths,
  };
}
