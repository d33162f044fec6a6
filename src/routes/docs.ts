import type { OpenAPIHono } from "@hono/zod-openapi";
import { Hono } from "hono";
import { html, raw } from "hono/html";
import type { AppEnv } from "../app-env.ts";

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

type Operation = {
  summary?: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: unknown }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string }>;
};
type Document = { paths: Record<string, Record<string, Operation>> };

const METHODS = ["get", "post", "put", "patch", "delete"];

function authText(op: Operation): string {
  const [first] = op.security ?? [];
  if (!first) return "";
  if ("siteKey" in first) return "auth: site key (<code>X-Site-Key</code>)";
  const scopes = first.bearer ?? [];
  return `auth: bearer token with ${scopes.map((s) => `<code>${escape(s)}</code>`).join(" or ")}`;
}

function section(path: string, method: string, op: Operation): string {
  const body = op.requestBody ? Object.entries(op.requestBody.content) : [];
  const params = (op.parameters ?? []).map((p) => `<code>${escape(p.name)}</code> (${p.in}${p.required ? ", required" : ""})${p.description ? ` ${escape(p.description)}` : ""}`);
  return `<section><h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${escape(path)}</code></h3>
<p>${escape(op.summary ?? "")}</p><p class="auth">${authText(op)}</p>
${params.length ? `<p class="auth">parameters: ${params.join(" · ")}</p>` : ""}
${body.map(([type, { schema }]) => `<details><summary>request body (${escape(type)})</summary><pre>${escape(JSON.stringify(schema, null, 2))}</pre></details>`).join("\n")}
<p class="ok">${Object.entries(op.responses).map(([k, v]) => `<b>${escape(k)}</b> ${escape(v.description)}`).join(" · ")}</p></section>`;
}

/**
 * `/openapi.json` and `/docs` for `api`: the OpenAPI 3.1 document generated from the app's route
 * definitions (createRoute), and a page rendered from that same document without any CDN. Both are plain
 * routes, so they are not operations of the document themselves.
 */
export function docsFor(api: OpenAPIHono<AppEnv>) {
  let generated: Document | undefined;
  // The routes are fixed once the app is built: generate once per isolate, add the server per request.
  const document = (origin: string) => {
    generated ??= api.getOpenAPI31Document({
      openapi: "3.1.0",
      info: { title: "Edge lead router", version: "1.0.0", description: "Scores every lead with a calibrated model and routes it to the right rep. Generated from the route definitions the Worker serves." },
    }) as unknown as Document;
    return { ...generated, servers: [{ url: origin }] };
  };
  return new Hono<AppEnv>()
    .get("/openapi.json", (c) => c.json(document(new URL(c.req.url).origin)))
    .get("/docs", (c) => {
      const doc = document(new URL(c.req.url).origin);
      const sections = Object.entries(doc.paths).flatMap(([path, ops]) => METHODS.filter((m) => ops[m]).map((m) => section(path, m, ops[m]!)));
      return c.html(html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Lead router API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2433}
section{border-top:1px solid #e3e7ee;padding:.4rem 0}h3{margin:.4rem 0;font-size:1rem}.m{display:inline-block;min-width:4rem;padding:0 .4rem;border-radius:4px;color:#fff;font-size:.8rem;text-align:center}
.get{background:#2b7bb9}.post{background:#3a9d5d}.put{background:#b98a2b}.patch{background:#7a5cb9}.delete{background:#c0392b}pre{background:#f6f8fa;padding:.6rem;overflow:auto;font-size:.8rem}.auth,.ok{color:#5a6372;font-size:.85rem;margin:.2rem 0}</style></head>
<body><h1>Lead router API</h1><p>Generated from the route definitions the Worker serves (their zod schemas validate the requests). Machine-readable: <a href="/openapi.json">/openapi.json</a>.</p>${raw(sections.join("\n"))}</body></html>`);
    });
}
