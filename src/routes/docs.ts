import { Hono } from "hono";
import { html, raw } from "hono/html";
import type { AppEnv } from "../app-env.ts";
import { openApiDocument, OPERATIONS } from "../openapi.ts";

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** `/openapi.json` and `/docs`: the API described from its zod schemas, rendered without any CDN. */
export const docs = new Hono<AppEnv>()
  .get("/openapi.json", (c) => c.json(openApiDocument(new URL(c.req.url).origin)))
  .get("/docs", (c) => {
    const doc = openApiDocument(new URL(c.req.url).origin);
    const sections = Object.entries(OPERATIONS).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => {
        const body = (doc.paths[path] as Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>)[method]?.requestBody;
        const schemaText = body ? JSON.stringify(Object.values(body.content)[0]!.schema, null, 2) : "";
        return `<section><h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${escape(path)}</code></h3>
<p>${escape(op.summary)}</p><p class="auth">${op.security ? `auth: ${op.security === "site" ? "site key" : `bearer token with <code>${op.security}</code>`}` : ""}</p>
${schemaText ? `<details><summary>request body</summary><pre>${escape(schemaText)}</pre></details>` : ""}
<p class="ok">${Object.entries(op.ok).map(([k, v]) => `<b>${k}</b> ${escape(v)}`).join(" · ")} · <b>4xx</b> {"error": {"code", "message", "requestId"}}</p></section>`;
      }),
    );
    return c.html(html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Lead router API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2433}
section{border-top:1px solid #e3e7ee;padding:.4rem 0}h3{margin:.4rem 0;font-size:1rem}.m{display:inline-block;min-width:4rem;padding:0 .4rem;border-radius:4px;color:#fff;font-size:.8rem;text-align:center}
.get{background:#2b7bb9}.post{background:#3a9d5d}.put{background:#b98a2b}.delete{background:#c0392b}pre{background:#f6f8fa;padding:.6rem;overflow:auto;font-size:.8rem}.auth,.ok{color:#5a6372;font-size:.85rem;margin:.2rem 0}</style></head>
<body><h1>Lead router API</h1><p>Generated from the zod schemas the handlers validate with. Machine-readable: <a href="/openapi.json">/openapi.json</a>.</p>${raw(sections.join("\n"))}</body></html>`);
  });
