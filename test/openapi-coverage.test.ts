import type { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { app } from "../src/app.ts";
import { apiApp, jsonBody, route } from "../src/lib/openapi-route.ts";
import { AssignmentsPage, AssignmentStatus, CreatedToken, EventsAnswer, Health, LeadAnswer, OutcomeAnswer, OutcomesBatchAnswer } from "../src/schemas/responses.ts";
import { call, crmGet, HOT_LEAD, postLead, uniqueEmail } from "./helpers.ts";
import { TOKENS } from "./setup.ts";

/** Pages and assets the Worker serves to browsers: not operations of the API. */
const PAGES = new Set(["/", "/thanks", "/docs", "/openapi.json", "/dashboard", "/dashboard/chart.umd.js", "/dashboard/dashboard.js"]);

type Parameter = { name: string; in: string; required?: boolean; schema?: Record<string, unknown> };
type Operation = {
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Record<string, unknown> }> }>;
};
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> } };

/** The operations hono serves (`:id` written `{id}` as OpenAPI does), leaving out middleware (method ALL) and pages. */
function servedOperations(served: Hono<never> | { routes: { method: string; path: string }[] }): string[] {
  const ops = served.routes.filter((r) => r.method !== "ALL" && !PAGES.has(r.path)).map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z_]+)(\{[^}]*\})?/g, "{$1}")}`);
  return [...new Set(ops)].sort();
}

const documentedOperations = (doc: Pick<Document, "paths">) => Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)).sort();

/** Served operations missing from the document, and documented operations nobody serves. */
function mismatches(served: { routes: { method: string; path: string }[] }, doc: Pick<Document, "paths">) {
  const documented = new Set(documentedOperations(doc));
  const serving = new Set(servedOperations(served));
  return { undocumented: [...serving].filter((op) => !documented.has(op)), unserved: [...documented].filter((op) => !serving.has(op)) };
}

const fetchDocument = async () => (await (await call("/openapi.json")).json()) as Document;
const operation = (doc: Document, method: string, path: string) => {
  const op = doc.paths[path]?.[method];
  if (!op) throw new Error(`${method} ${path} is not documented`);
  return op;
};
const param = (op: Operation, name: string) => op.parameters?.find((p) => p.name === name);

describe("the API document is generated from the route definitions", () => {
  it("documents every operation the app serves", async () => {
    const doc = await fetchDocument();
    expect(servedOperations(app).length).toBeGreaterThanOrEqual(80);
    expect(mismatches(app, doc).undocumented).toEqual([]);
  });

  it("documents no operation the app does not serve", async () => {
    expect(mismatches(app, await fetchDocument()).unserved).toEqual([]);
  });

  it("leaves pages and assets out of the document", async () => {
    const doc = await fetchDocument();
    for (const page of PAGES) expect(doc.paths[page]).toBeUndefined();
    expect((await call("/docs")).status).toBe(200);
  });

  it("catches a plain route added without a definition", () => {
    const sub = apiApp()
      .openapi(route({ method: "get", path: "/defined", tags: ["Test"], summary: "defined", auth: "admin", ok: { 200: "ok" } }), (c) => c.json({}))
      .get("/plain", (c) => c.json({}));
    const parent = apiApp().route("/v1/x", sub);
    const doc = parent.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } }) as unknown as Document;
    expect(mismatches(parent, doc)).toEqual({ undocumented: ["get /v1/x/plain"], unserved: [] });
  });

  it("documents the batch body of POST /v1/outcomes", async () => {
    const body = operation(await fetchDocument(), "post", "/v1/outcomes").requestBody!.content["application/json"]!.schema as { anyOf: { properties?: Record<string, { maxItems?: number; minItems?: number }>; required?: string[] }[] };
    const batch = body.anyOf.find((s) => s.properties?.outcomes);
    expect(batch?.required).toEqual(["outcomes"]);
    expect(batch?.properties?.outcomes).toMatchObject({ minItems: 1, maxItems: 500 });
    const single = body.anyOf.find((s) => s.properties?.leadId);
    expect(single?.required).toEqual(expect.arrayContaining(["id", "leadId", "type", "occurredAt"]));
  });

  it("documents path parameters with their patterns", async () => {
    const doc = await fetchDocument();
    expect(param(operation(doc, "put", "/v1/admin/teams/{id}"), "id")).toMatchObject({ in: "path", required: true, schema: { pattern: "^[a-z0-9][a-z0-9_-]{0,63}$" } });
    expect(param(operation(doc, "get", "/v1/policies/{version}"), "version")?.schema).toMatchObject({ pattern: "^[0-9]+$" });
    expect(param(operation(doc, "put", "/v1/admin/sites/{id}"), "id")?.schema?.pattern).toBe("^pk_[a-z0-9_]{3,60}$");
  });

  it("documents query parameters from the schemas that check them", async () => {
    const doc = await fetchDocument();
    const feed = operation(doc, "get", "/v1/assignments");
    expect(param(feed, "limit")).toMatchObject({ in: "query", required: false });
    expect(param(feed, "cursor")?.schema?.pattern).toBe("^\\d{1,15}$");
    expect(param(operation(doc, "get", "/v1/admin/audit"), "action")).toBeDefined();
    expect(param(operation(doc, "get", "/v1/reports/calibration"), "runs")).toMatchObject({ description: expect.stringContaining("1-500") });
    expect(param(operation(doc, "get", "/v1/admin/reps"), "team")).toMatchObject({ description: "one team's reps" });
  });

  it("answers a failed parameter check with the one error shape, naming the field", async () => {
    const res = await call("/v1/assignments?limit=0", { headers: { authorization: `Bearer ${TOKENS.crm}` } });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.message).toMatch(/^limit: /);
    expect(body.error.requestId).toBeTruthy();
  });

  it("names the security and the error shape of every operation", async () => {
    const doc = await fetchDocument();
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(["bearer", "siteKey"]);
    expect(doc.components.schemas.Error).toBeDefined();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.responses["4XX"]?.content?.["application/json"]?.schema, `${method} ${path}`).toEqual({ $ref: "#/components/schemas/Error" });
        expect(op.tags?.length, `${method} ${path}`).toBeGreaterThan(0);
        const open = path === "/healthz" || path === "/v1/bootstrap";
        expect((op.security ?? []).length > 0, `${method} ${path}`).toBe(!open);
        if (path.startsWith("/v1/admin/")) expect(op.security, `${method} ${path}`).toEqual([{ bearer: ["admin"] }]);
      }
    }
    expect(operation(doc, "post", "/v1/leads").security).toEqual([{ siteKey: [] }]);
    expect(Object.keys(operation(doc, "post", "/v1/leads").requestBody!.content)).toEqual(["application/json", "application/x-www-form-urlencoded", "multipart/form-data"]);
  });

  it("declares a body from the same zod schema the handler reads it with", () => {
    const Body = z.object({ name: z.string().max(5) });
    const doc = apiApp()
      .openapi(route({ method: "post", path: "/x", tags: ["Test"], summary: "x", auth: "admin", request: { body: jsonBody(Body) }, ok: { 200: "ok" } }), (c) => c.json({}))
      .getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } }) as unknown as Document;
    expect(operation(doc, "post", "/x").requestBody!.content["application/json"]!.schema).toMatchObject({ type: "object", required: ["name"], properties: { name: { type: "string", maxLength: 5 } } });
  });
});

/** A JSON call with a bearer token. */
const send = (path: string, token: string, body: unknown, method = "POST") =>
  call(path, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });

/** Parses a real answer with the schema the document shows for it: a field the handler renamed or dropped fails here. */
async function answers<S extends z.ZodType>(res: Response, status: number, schema: S): Promise<z.output<S>> {
  expect(res.status).toBe(status);
  const parsed = schema.safeParse(await res.json());
  expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  return parsed.data as z.output<S>;
}

describe("the documented answers are the real ones", () => {
  it("documents success bodies as named schemas", async () => {
    const doc = await fetchDocument();
    const body = (method: string, path: string, status: string) => operation(doc, method, path).responses[status]?.content?.["application/json"]?.schema;
    expect(body("get", "/v1/assignments", "200")).toEqual({ $ref: "#/components/schemas/AssignmentsPage" });
    expect(body("post", "/v1/leads", "201")).toEqual({ $ref: "#/components/schemas/LeadAnswer" });
    expect(body("post", "/v1/events", "201")).toEqual({ $ref: "#/components/schemas/EventsAnswer" });
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(["DecisionSummary", "Assignment", "OutcomesBatchAnswer", "CreatedToken"]));
  });

  it("answers the intake, the feed and an ack as documented", async () => {
    const lead = await answers(await postLead({ ...HOT_LEAD, email: uniqueEmail() }, { accept: "application/json" }), 201, LeadAnswer);
    expect(lead.decision?.outcome).toBe("assigned");
    const page = await answers(await crmGet("/v1/assignments?limit=50"), 200, AssignmentsPage);
    const mine = page.data.find((a) => a.lead.id === lead.lead.id)!;
    expect(mine.id).toBe(lead.decision!.id);
    await answers(await send(`/v1/assignments/${mine.id}/ack`, TOKENS.crm, {}), 200, AssignmentStatus);
    await answers(await call("/healthz"), 200, Health);
  });

  it("answers outcomes, one or a batch, and events as documented", async () => {
    const lead = ((await (await postLead({ ...HOT_LEAD, email: uniqueEmail() })).json()) as { lead: { id: string } }).lead.id;
    const at = new Date().toISOString();
    await answers(await send("/v1/outcomes", TOKENS.crm, { id: "doc-1", leadId: lead, type: "contacted", occurredAt: at }), 201, OutcomeAnswer);
    const batch = await answers(await send("/v1/outcomes", TOKENS.crm, { outcomes: [{ id: "doc-1", leadId: lead, type: "contacted", occurredAt: at }, { id: "doc-2", leadId: "nope", type: "won", occurredAt: at }] }), 200, OutcomesBatchAnswer);
    expect(batch.results.map((r) => r.status)).toEqual(["duplicate", "not_found"]);
    const events = await answers(await send("/v1/events", TOKENS.admin, { teamId: "demo", events: [{ id: "doc-e1", type: "page_view", subject: { email: uniqueEmail() }, occurredAt: at, source: "test" }] }), 201, EventsAnswer);
    expect(events.events).toEqual([expect.objectContaining({ id: "doc-e1", status: "stored" })]);
  });

  it("answers a new token as documented", async () => {
    await answers(await send("/v1/admin/tokens", TOKENS.admin, { name: "doc", scopes: ["crm:read"], teamId: "demo" }), 201, CreatedToken);
  });
});
