import { describe, expect, it } from "vitest";
import { app } from "../src/app.ts";
import { call } from "./helpers.ts";

/** Pages and assets the Worker serves to browsers: not operations of the API. */
const PAGES = new Set(["/", "/thanks", "/docs", "/openapi.json", "/dashboard", "/dashboard/chart.umd.js", "/dashboard/dashboard.js"]);

/**
 * hono's path to OpenAPI's: `:id` and `:id{[0-9]+}` become `{id}`; a parameter that only takes a few words
 * (`:action{ack|accept}`) becomes one path per word.
 */
function openApiPaths(path: string): string[] {
  const alternatives = /:([A-Za-z_]+)\{([a-z-]+(?:\|[a-z-]+)+)\}/.exec(path);
  if (alternatives) return alternatives[2]!.split("|").flatMap((word) => openApiPaths(path.replace(alternatives[0], word)));
  return [path.replace(/:([A-Za-z_]+)(\{[^}]*\})?/g, "{$1}")];
}

describe("the API document covers the API", () => {
  it("lists every operation the app serves in /openapi.json", async () => {
    const doc = (await (await call("/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    const served = [...new Set(app.routes.filter((r) => r.method !== "ALL").flatMap((r) => openApiPaths(r.path).map((p) => `${r.method.toLowerCase()} ${p}`)))];
    const operations = served.filter((op) => !PAGES.has(op.split(" ")[1]!));
    expect(operations.length).toBeGreaterThan(60);
    const missing = operations.filter((op) => {
      const [method, path] = op.split(" ") as [string, string];
      return !doc.paths[path]?.[method];
    });
    expect(missing).toEqual([]);
  });

  it("documents no operation the app does not serve", async () => {
    const doc = (await (await call("/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    const served = new Set(app.routes.filter((r) => r.method !== "ALL").flatMap((r) => openApiPaths(r.path).map((p) => `${r.method.toLowerCase()} ${p}`)));
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(documented.filter((op) => !served.has(op))).toEqual([]);
  });
});
