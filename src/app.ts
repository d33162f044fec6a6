import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "./app-env.ts";
import { requireScope } from "./lib/auth.ts";
import { ApiError, errorBody, type ErrorCode } from "./lib/errors.ts";
import { apiApp, route } from "./lib/openapi-route.ts";
import { Health } from "./schemas/responses.ts";
import { adminApi } from "./routes/admin.ts";
import { alertsApi } from "./routes/alerts.ts";
import { assignmentActions } from "./routes/assignment-actions.ts";
import { assignments } from "./routes/assignments.ts";
import { dashboard } from "./routes/dashboard.ts";
import { auditApi } from "./routes/audit.ts";
import { bootstrapApi } from "./routes/bootstrap.ts";
import { decisions } from "./routes/decisions.ts";
import { docsFor } from "./routes/docs.ts";
import { erasuresApi } from "./routes/erasures.ts";
import { eventsApi } from "./routes/events.ts";
import { experimentsApi } from "./routes/experiments.ts";
import { exportsApi } from "./routes/exports.ts";
import { kpisApi } from "./routes/kpis.ts";
import { leadAdmin } from "./routes/lead-admin.ts";
import { leads } from "./routes/leads.ts";
import { modelsApi } from "./routes/models.ts";
import { outcomesApi } from "./routes/outcomes.ts";
import { pages } from "./routes/pages.ts";
import { policiesApi } from "./routes/policies.ts";
import { monitoringRunApi, reportsApi } from "./routes/reports.ts";
import { reviewsApi } from "./routes/reviews.ts";
import { routingAdmin } from "./routes/routing-admin.ts";
import { rulesOnlyApi } from "./routes/rules-only.ts";
import { webhooksApi } from "./routes/webhooks.ts";

const STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
};

/** The API: every operation is a createRoute definition (src/lib/openapi-route.ts); /openapi.json is generated from them. */
export const app = apiApp();

app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", description: "An API token; an operation names the scopes it accepts" });
app.openAPIRegistry.registerComponent("securitySchemes", "siteKey", { type: "apiKey", in: "header", name: "X-Site-Key", description: "The site's public key (also the `site` query parameter or the `site_key` form field)" });

app.use(requestId());
app.use((c, next) => {
  // Model uploads are the one body allowed to be large; batches of events and outcomes (up to 500) the next.
  const path = c.req.path;
  const max = path === "/v1/models" ? c.env.MAX_MODEL_BYTES : path === "/v1/events" || path === "/v1/outcomes" ? c.env.MAX_EVENTS_BYTES : c.env.MAX_BODY_BYTES;
  return bodyLimit({
    maxSize: Number(max),
    onError: () => {
      throw new ApiError("payload_too_large", `the body is over ${max} bytes`);
    },
  })(c, next);
});

app.openapi(route({ method: "get", path: "/healthz", tags: ["Operations"], summary: "Liveness", auth: "public", ok: { 200: { description: "The Worker answers", schema: Health } } }), (c) => c.json({ status: "ok" }));
// Pages and assets are plain hono routes: they are not operations of the API, so not in the document.
app.route("/", pages);
app.route("/", docsFor(app));
app.route("/", dashboard);
app.route("/v1/leads", leads);
app.route("/v1/assignments", assignments);
app.route("/v1/assignments", assignmentActions);
app.route("/v1/outcomes", outcomesApi);
app.route("/v1/events", eventsApi);
app.route("/v1/reviews", reviewsApi);
app.route("/v1/reports", kpisApi);
// The same reports for team-bound tokens (their own team only); registered after the KPIs, which check their own token.
app.use("/v1/reports/*", requireScope("crm:read", "review:write"));
app.route("/v1/reports", reportsApi(["crm:read", "review:write"], "Reports"));
app.route("/v1/decisions", decisions);
app.route("/v1/models", modelsApi);
// The one door into a router with no admin token yet (BOOTSTRAP_TOKEN); it opens nothing else.
app.route("/v1/bootstrap", bootstrapApi);
// Everything under /v1/admin needs an admin token; checked once here for all admin sub-apps.
app.use("/v1/admin/*", requireScope("admin"));
// A team-bound admin token acts for its own team: it may use only the admin areas that scope by team. The
// others (sites, teams, reps, territories, accounts, the review queue, alerts, audit, reassignment,
// monitoring runs, erasure) act across teams and take an admin token bound to no team.
const TEAM_SCOPED_ADMIN = /^\/v1\/admin\/(?:tokens|reports|experiments|webhooks)(?:\/|$)|^\/v1\/admin\/teams\/[^/]+\/rules-only$/;
app.use("/v1/admin/*", async (c, next) => {
  const own = c.get("token").teamId;
  if (own !== null && !TEAM_SCOPED_ADMIN.test(c.req.path)) {
    throw new ApiError("forbidden", `this admin token acts for team ${own} only; ${c.req.path} spans every team and needs an admin token bound to no team`);
  }
  await next();
});
app.route("/v1/admin", adminApi);
app.route("/v1/admin", alertsApi);
app.route("/v1/admin", routingAdmin);
app.route("/v1/admin", rulesOnlyApi);
app.route("/v1/admin", leadAdmin);
app.route("/v1/admin", auditApi);
app.route("/v1/admin/reports", reportsApi("admin", "Governance"));
app.route("/v1/admin", monitoringRunApi);
app.route("/v1/admin", experimentsApi);
app.route("/v1/admin", erasuresApi);
app.route("/v1/admin", webhooksApi);
app.route("/v1/exports", exportsApi);
app.route("/v1/policies", policiesApi);

// A known path asked with another method answers 405, not 404.
for (const path of new Set(app.routes.filter((r) => r.method !== "ALL").map((r) => r.path))) {
  app.all(path, () => {
    throw new ApiError("method_not_allowed", "this method is not allowed on this path");
  });
}

app.notFound((c) => c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`, c.get("requestId")), 404));

app.onError((err, c) => {
  const id = c.get("requestId") ?? "unknown";
  if (err instanceof ApiError) return c.json(errorBody(err.code, err.message, id), err.status as ContentfulStatusCode);
  if (err instanceof HTTPException && err.status < 500) {
    const code = STATUS_CODES[err.status] ?? "bad_request";
    return c.json(errorBody(code, err.message || code, id), err.status as ContentfulStatusCode);
  }
  console.error("unhandled error", id, err);
  return c.json(errorBody("internal_error", "something went wrong; the request id helps us find it", id), 500);
});
