import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import { CHART_JS } from "../dashboard/chart-js.ts";
import { DASHBOARD_SCRIPT } from "../dashboard/client.ts";
import { dashboardPage } from "../dashboard/page.ts";

const script = (body: string) =>
  new Response(body, { headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=3600", "x-content-type-options": "nosniff" } });

/**
 * The governance dashboard: an HTML shell and its scripts, all served by the Worker. The page holds no
 * data; it fetches the admin reports with the token the user types in.
 */
export const dashboard = new Hono<AppEnv>()
  .get("/dashboard", (c) => {
    c.header("content-security-policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'");
    c.header("cache-control", "no-store");
    return c.html(dashboardPage());
  })
  .get("/dashboard/chart.umd.js", () => script(CHART_JS))
  .get("/dashboard/dashboard.js", () => script(DASHBOARD_SCRIPT));
