import { z } from "zod";
import { ManifestSchema } from "./scoring/manifest.ts";
import { BootstrapBody, ErasureBody, ModelStatusBody, ReasonBody, SiteBody, TokenBody } from "./schemas/admin.ts";
import { NoteBody, OutcomeSchema, OutcomesBatch, RejectBody } from "./schemas/crm.ts";
import { EventsBody } from "./schemas/events.ts";
import { ExperimentBody } from "./schemas/governance.ts";
import { LeadInputSchema } from "./schemas/lead.ts";
import { ApproveBody, OverrideBody, ReassignBody, SendBackBody } from "./schemas/review.ts";
import { AccountBody, PolicyBody, RepBody, ReplayBody, RulesOnlyBody, SimulateBody, TeamBody, TerritoryBody } from "./schemas/routing.ts";
import { RotateBody, WebhookCreateBody, WebhookUpdateBody } from "./schemas/webhooks.ts";

const schema = (s: z.ZodType) => z.toJSONSchema(s, { target: "openapi-3.0", io: "input", unrepresentable: "any" });

const ErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), requestId: z.string() }),
});

type Op = {
  summary: string;
  tags: string[];
  security?: "site" | "crm:read" | "crm:write" | "events:write" | "review:write" | "admin";
  body?: { type: string; schema: z.ZodType }[];
  params?: string[];
  query?: Record<string, string>;
  ok: Record<string, string>;
};

const json = (s: z.ZodType) => [{ type: "application/json", schema: s }];

const TEAM = { team: "admin tokens: one team (a team-bound token always gets its own; another is 403)" };
const REPORT_WINDOW = { from: "ISO time (default: `days` before `to`)", to: "ISO time (default now)", days: "window length when `from` is not given (default 7)" };

/** Teams and personal data: per-team policies and reports, erasure. */
const TEAM_OPERATIONS: Record<string, Record<string, Op>> = {
  ...Object.fromEntries(
    (["routing", "drift", "calibration", "ops", "fairness", "shadow", "alerts"] as const).map((name) => [
      `/v1/reports/${name}`,
      { get: { summary: `The ${name} report of the token's own team (the same report as /v1/admin/reports/${name}?team=…)`, tags: ["Reports"], security: "crm:read", query: name === "drift" || name === "alerts" ? {} : REPORT_WINDOW, ok: { "200": "The report, with `team`" } } },
    ]),
  ),
  "/v1/admin/reports/alerts": { get: { summary: "Alerts (open unless all=1); with team, those about the team and its model family", tags: ["Governance"], security: "admin", query: { all: "1 for resolved ones too", ...TEAM }, ok: { "200": "Alerts" } } },
  "/v1/policies": {
    get: { summary: "Policy versions of one scope: the token's team, the team an admin names, or the default policy", tags: ["Policies"], security: "crm:read", query: TEAM, ok: { "200": "Versions" } },
    post: { summary: "Store a policy version for the team (review:write of the team, or admin), active unless activate=false (audited)", tags: ["Policies"], security: "review:write", query: TEAM, body: json(PolicyBody), ok: { "201": "Stored" } },
  },
  "/v1/policies/active": { get: { summary: "The policy the team routes under: its own active one, else the default", tags: ["Policies"], security: "crm:read", query: TEAM, ok: { "200": "Version, policy and owner (null: the default)" } } },
  "/v1/policies/rollback": { post: { summary: "Re-activate the team's previously active version (audited); other teams are untouched", tags: ["Policies"], security: "review:write", query: TEAM, body: json(ReasonBody), ok: { "200": "Now active" } } },
  "/v1/admin/erasures": { post: { summary: "Erase a person by email everywhere (leads, submissions, lineage inputs, events, notes, idempotency and dedupe records, audit text, model manifests); idempotent; audited under a hash of the email", tags: ["Personal data"], security: "admin", body: json(ErasureBody), ok: { "200": "What was erased" } } },
};

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
  "/v1/decisions/{id}/replay": { post: { summary: "Re-run a decision from its lineage under the recorded (or another) model and policy version", tags: ["Routing"], security: "admin", params: ["id"], body: json(ReplayBody), ok: { "200": "The replayed decision next to the recorded one" } } },
  "/v1/assignments/{id}/reject": { post: { summary: "Reject an assignment: the lead is routed to another rep", tags: ["CRM"], security: "crm:write", params: ["id"], body: json(RejectBody), ok: { "200": "Rejected, with the new decision" } } },
  "/v1/outcomes": { post: { summary: "Report what happened to leads (training labels; won/lost frees the rep): one outcome, or `{ outcomes: [...] }` (up to 500) with a result per item. An id is unique per team: the same report again is a duplicate, another report under that id a conflict (409 for one outcome)", tags: ["CRM"], security: "crm:write", body: json(z.union([OutcomeSchema, OutcomesBatch])), ok: { "201": "Stored (a batch: at least one, each item's status listed)", "200": "Already stored (same id and report), or nothing new in a batch" } } },
  "/v1/events": { post: { summary: "Engagement, product-usage and CRM events (up to 500); each id stored once per team (a clash with another event under that id is listed in `conflicts`); waiting leads re-scored", tags: ["Signals"], security: "events:write", body: json(EventsBody), ok: { "201": "Stored (with duplicates, conflicts and re-scored leads listed)", "200": "Nothing new: every event was a duplicate or a conflict" } } },
  "/v1/reviews": { get: { summary: "Decisions held for a manager (the token's team)", tags: ["Review"], security: "review:write", query: { status: "pending (default), approved, overridden or sent_back", limit: "1-500 (default 100)" }, ok: { "200": "Holds, oldest first" } } },
  "/v1/reviews/{id}/approve": { post: { summary: "Approve a held decision: the proposed rep gets the lead", tags: ["Review"], security: "review:write", params: ["id"], body: json(ApproveBody), ok: { "200": "Assigned; the new decision supersedes the held one" } } },
  "/v1/reviews/{id}/override": { post: { summary: "Assign a held lead to another rep, with a reason (audited)", tags: ["Review"], security: "review:write", params: ["id"], body: json(OverrideBody), ok: { "200": "Assigned to the chosen rep" } } },
  "/v1/reviews/{id}/send-back": { post: { summary: "Send a held lead back to nurture, with a reason (audited)", tags: ["Review"], security: "review:write", params: ["id"], body: json(SendBackBody), ok: { "200": "Sent back to nurture" } } },
  "/v1/admin/leads/{id}/reassign": { post: { summary: "Move any lead to another rep of its team, with a reason (audited)", tags: ["Admin"], security: "admin", params: ["id"], body: json(ReassignBody), ok: { "200": "Reassigned" } } },
  "/v1/reports/kpis": { get: { summary: "KPIs of leads received in [from, to): time to first action, contact rate, conversion by tier and rep, pipeline velocity, unassigned leads by reason", tags: ["Reports"], security: "crm:read", query: { from: "ISO 8601 (default: 30 days before to)", to: "ISO 8601 (default: now)", team: "admin tokens: one team" }, ok: { "200": "The KPIs" } } },
  "/v1/decisions/{id}": { get: { summary: "A decision with its lineage", tags: ["CRM"], security: "crm:read", params: ["id"], ok: { "200": "The decision" } } },
  "/v1/exports/training": { get: { summary: "Leads as training rows, labelled `converted` within a horizon after their decision (censored while it is open)", tags: ["Admin"], security: "admin", query: { cursor: "a nextCursor (default 0)", limit: "1-1000 leads scanned (default 500)", horizonDays: "1-3650 (default 90)" }, ok: { "200": "A page of rows" } } },
  "/v1/models": {
    get: { summary: "The model registry", tags: ["Models"], security: "admin", ok: { "200": "Versions, newest first" } },
    post: { summary: "Upload a model: multipart `model` (ONNX) + `manifest` (JSON); validated, stored as staged", tags: ["Models"], security: "admin", body: [{ type: "multipart/form-data", schema: z.object({ model: z.string().describe("ONNX bytes"), manifest: ManifestSchema }) }], ok: { "201": "Staged" } },
  },
  "/v1/models/{name}/{version}": { get: { summary: "One model version with its manifest", tags: ["Models"], security: "admin", params: ["name", "version"], ok: { "200": "The version" } } },
  "/v1/models/{name}/{version}/status": { post: { summary: "Move a version: staged, shadow, active or retired", tags: ["Models"], security: "admin", params: ["name", "version"], body: json(ModelStatusBody), ok: { "200": "The status changes made" } } },
  "/v1/models/{name}/rollback": { post: { summary: "Activate the previously active version", tags: ["Models"], security: "admin", params: ["name"], body: json(ReasonBody), ok: { "200": "The status changes made" } } },
  "/v1/bootstrap": { post: { summary: "Create the first admin token with the BOOTSTRAP_TOKEN secret (Authorization: Bearer); refused (409) once an active admin token exists", tags: ["Admin"], body: json(BootstrapBody), ok: { "201": "The admin token and its secret, shown once" } } },
  "/v1/admin/tokens": {
    get: { summary: "API tokens (never their secrets)", tags: ["Admin"], security: "admin", ok: { "200": "Tokens" } },
    post: { summary: "Create an API token: the secret is shown once", tags: ["Admin"], security: "admin", body: json(TokenBody), ok: { "201": "The token and its secret" } },
  },
  "/v1/admin/tokens/{id}": { delete: { summary: "Revoke a token", tags: ["Admin"], security: "admin", params: ["id"], ok: { "200": "Revoked" } } },
  "/v1/admin/sites": { get: { summary: "Sites allowed to post leads", tags: ["Admin"], security: "admin", ok: { "200": "Sites" } } },
  "/v1/admin/sites/{id}": { put: { summary: "Create or update a site (key, team, origins, secrets, Turnstile, dedupe window)", tags: ["Admin"], security: "admin", params: ["id"], body: json(SiteBody.omit({ id: true })), ok: { "200": "Updated", "201": "Created" } } },
  "/v1/admin/review": { get: { summary: "Leads held for review as suspicious", tags: ["Admin"], security: "admin", ok: { "200": "The queue" } } },
  "/healthz": { get: { summary: "Liveness", tags: ["Operations"], ok: { "200": "`{ status: ok }`" } } },
  "/v1/policies": {
    get: { summary: "Policy versions, newest first", tags: ["Routing"], security: "admin", ok: { "200": "Versions" } },
    post: { summary: "Store a new policy version, active at once or as a draft (audited)", tags: ["Routing"], security: "admin", body: json(PolicyBody), ok: { "201": "The new version" } },
  },
  "/v1/policies/active": { get: { summary: "The active policy and its version", tags: ["Routing"], security: "admin", ok: { "200": "The policy" } } },
  "/v1/policies/{version}": { get: { summary: "One policy version", tags: ["Routing"], security: "admin", params: ["version"], ok: { "200": "The version" } } },
  "/v1/policies/{version}/activate": { post: { summary: "Activate a stored version (audited)", tags: ["Routing"], security: "admin", params: ["version"], body: json(ReasonBody), ok: { "200": "Active" } } },
  "/v1/policies/rollback": { post: { summary: "Re-activate the previously active version (audited)", tags: ["Routing"], security: "admin", body: json(ReasonBody), ok: { "200": "Rolled back" } } },
  "/v1/policies/simulate": { post: { summary: "What a draft policy would do to a team's stored leads (by id) or to given leads; reserves nothing", tags: ["Routing"], security: "admin", body: json(SimulateBody), ok: { "200": "Per lead, and a summary" } } },
  "/v1/admin/review/{id}/release": { post: { summary: "Release a held lead: it is routed now", tags: ["Admin"], security: "admin", params: ["id"], body: json(ReasonBody), ok: { "200": "Routed" } } },
  "/v1/admin/review/{id}/discard": { post: { summary: "Discard a held lead as spam", tags: ["Admin"], security: "admin", params: ["id"], body: json(ReasonBody), ok: { "200": "Discarded" } } },
  "/v1/admin/alerts": { get: { summary: "Operational alerts (model unavailable, routing skew, ...): open ones, or all", tags: ["Governance"], security: "admin", query: { all: "1 or true: resolved ones too" }, ok: { "200": "Alerts" } } },
  "/v1/admin/alerts/{id}/resolve": { post: { summary: "Resolve an open alert (audited)", tags: ["Governance"], security: "admin", params: ["id"], body: json(ReasonBody), ok: { "200": "Resolved" } } },
  "/v1/admin/teams": { get: { summary: "Teams", tags: ["Routing"], security: "admin", ok: { "200": "Teams" } } },
  "/v1/admin/teams/{id}": { put: { summary: "Create or rename a team (audited)", tags: ["Routing"], security: "admin", params: ["id"], body: json(TeamBody), ok: { "200": "Updated", "201": "Created" } } },
  "/v1/admin/teams/{id}/rules-only": {
    get: { summary: "Whether the team routes on rules only (its switch), since when, by whom and why", tags: ["Routing"], security: "admin", params: ["id"], ok: { "200": "The switch" } },
    put: { summary: "Turn the team's rules-only switch on or off, with a reason (audited): while on, its leads are routed on the policy's rules alone, each decision saying so", tags: ["Routing"], security: "admin", params: ["id"], body: json(RulesOnlyBody), ok: { "200": "The switch now" } },
  },
  "/v1/admin/reps": { get: { summary: "Reps (not deleted)", tags: ["Routing"], security: "admin", query: { team: "one team's reps" }, ok: { "200": "Reps" } } },
  "/v1/admin/reps/{id}": {
    put: { summary: "Create or replace a rep: team, role, hours, out of office, caps, weight, territories of the same team (audited; a rep id belongs to one team)", tags: ["Routing"], security: "admin", params: ["id"], body: json(RepBody), ok: { "200": "Updated", "201": "Created" } },
    delete: { summary: "Delete a rep (soft: past decisions keep their meaning; audited)", tags: ["Routing"], security: "admin", params: ["id"], ok: { "200": "Deleted" } },
  },
  "/v1/admin/territories": { get: { summary: "Territories", tags: ["Routing"], security: "admin", ok: { "200": "Territories" } } },
  "/v1/admin/territories/{id}": { put: { summary: "Create or replace a territory of a team (audited)", tags: ["Routing"], security: "admin", params: ["id"], body: json(TerritoryBody), ok: { "200": "Updated", "201": "Created" } } },
  "/v1/admin/accounts": { get: { summary: "Known accounts", tags: ["Routing"], security: "admin", ok: { "200": "Accounts" } } },
  "/v1/admin/accounts/{domain}": { put: { summary: "Create or replace a team's account by domain: owner and territory of the same team, strategic flag, context (audited)", tags: ["Routing"], security: "admin", params: ["domain"], body: json(AccountBody), ok: { "200": "Updated", "201": "Created" } } },
  "/v1/admin/webhooks": {
    get: { summary: "Webhook subscriptions (a team-bound admin token sees its team's only); secrets are never listed", tags: ["Webhooks"], security: "admin", query: { team: "a team id (all-teams tokens)" }, ok: { "200": "Subscriptions" } },
    post: { summary: "Subscribe a URL to events; the answer carries the signing secret, shown this once (audited)", tags: ["Webhooks"], security: "admin", body: json(WebhookCreateBody), ok: { "201": "Created, with `secret`" } },
  },
  "/v1/admin/webhooks/health": { get: { summary: "Delivery health per subscription over 24 h: delivered, in flight, dead, success rate, last error", tags: ["Webhooks"], security: "admin", ok: { "200": "Health rows" } } },
  "/v1/admin/webhooks/{id}": {
    get: { summary: "One subscription", tags: ["Webhooks"], security: "admin", params: ["id"], ok: { "200": "The subscription" } },
    patch: { summary: "Change url, events, format, description or enabled (audited)", tags: ["Webhooks"], security: "admin", params: ["id"], body: json(WebhookUpdateBody), ok: { "200": "Updated" } },
    delete: { summary: "Delete a subscription; its delivery log stays (audited)", tags: ["Webhooks"], security: "admin", params: ["id"], ok: { "200": "Deleted" } },
  },
  "/v1/admin/webhooks/{id}/rotate-secret": { post: { summary: "A new signing secret (shown once); the old one signs beside it for graceHours (audited)", tags: ["Webhooks"], security: "admin", params: ["id"], body: json(RotateBody), ok: { "200": "Rotated, with `secret`" } } },
  "/v1/admin/webhooks/{id}/deliveries": { get: { summary: "The delivery log, newest first: status, attempts, last error, every attempt", tags: ["Webhooks"], security: "admin", params: ["id"], query: { status: "pending, retrying, delivered, dead or skipped", limit: "1-200 (default 50)" }, ok: { "200": "Deliveries with their attempts" } } },
  "/v1/admin/webhooks/{id}/deliveries/{deliveryId}/redeliver": { post: { summary: "Send a delivered, dead or skipped delivery again: same id and body, fresh signature (audited)", tags: ["Webhooks"], security: "admin", params: ["id", "deliveryId"], ok: { "202": "Queued" } } },
  "/v1/admin/audit": { get: { summary: "The append-only audit log, newest first; send X-Audit-Reason on rep, token and model changes to record why", tags: ["Governance"], security: "admin", query: { entityType: "model, policy, rep, token, team, site, lead, experiment, ...", entityId: "exact id", actor: "token name", action: "exact action, or a prefix ending in a dot (`model.`)", from: "ISO time", to: "ISO time", cursor: "nextCursor of the previous page", limit: "1-200 (default 50)" }, ok: { "200": "Rows with actor, before, after and reason, and nextCursor" } } },
  "/v1/admin/reports/routing": { get: { summary: "Score distribution, routing by tier and rep, each rep's share against its weight's share, rep load against capacity, model timeline, rules-only switches, recent decisions", tags: ["Governance"], security: "admin", query: { team: TEAM.team, from: "ISO time (default: `days` before `to`)", to: "ISO time (default now)", days: "window length when `from` is not given (default 7)" }, ok: { "200": "The overview" } } },
  "/v1/admin/reports/drift": { get: { summary: "Drift checks (PSI per feature and for the score against the active model's reference), oldest first", tags: ["Governance"], security: "admin", query: { team: TEAM.team, runs: "how many checks (1-500, default 100)" }, ok: { "200": "The latest check and the history" } } },
  "/v1/admin/reports/calibration": { get: { summary: "Predicted vs observed conversion by decile, Brier and ECE; history of calibration checks", tags: ["Governance"], security: "admin", query: { team: TEAM.team, from: "ISO time (default: `days` before `to`)", to: "ISO time (default now)", days: "window length when `from` is not given (default 7)", runs: "history length (default 100)" }, ok: { "200": "Calibration now and over time" } } },
  "/v1/admin/reports/ops": { get: { summary: "Latency percentiles per stage, fallback and error rates, SLA breaches, queue depth", tags: ["Governance"], security: "admin", query: { team: TEAM.team, from: "ISO time (default: `days` before `to`)", to: "ISO time (default now)", days: "window length when `from` is not given (default 7)", runs: "history length (default 100)" }, ok: { "200": "Operations now and over time" } } },
  "/v1/admin/reports/fairness": { get: { summary: "By segment (country, size band, source, fields the policy rules name, extra fields): tier rates, calibration, disparate impact of AE routing; per rep: lead-quality parity", tags: ["Governance"], security: "admin", query: { team: TEAM.team, from: "ISO time (default: `days` before `to`)", to: "ISO time (default now)", days: "window length when `from` is not given (default 7)", fields: "extra comma-separated payload paths to segment by" }, ok: { "200": "The fairness report" } } },
  "/v1/admin/reports/shadow": { get: { summary: "Shadow model results: tier agreement, mean |Δp|, Brier and AUC of both models on the same leads", tags: ["Governance"], security: "admin", query: { team: TEAM.team, from: "ISO time (default: `days` before `to`)", to: "ISO time (default now)", days: "window length when `from` is not given (default 7)" }, ok: { "200": "Per shadow version" } } },
  "/v1/admin/monitoring/run": { post: { summary: "Run the cron's monitoring checks now (drift, calibration, operations)", tags: ["Governance"], security: "admin", ok: { "200": "The results" } } },
  "/v1/admin/experiments": {
    get: { summary: "Experiments, newest first", tags: ["Governance"], security: "admin", ok: { "200": "Experiments" } },
    post: { summary: "Start a champion/challenger (model) or policy A/B test: leads split by a hash of their id, with a holdout", tags: ["Governance"], security: "admin", body: json(ExperimentBody), ok: { "201": "Running" } },
  },
  "/v1/admin/experiments/{id}/stop": { post: { summary: "Stop an experiment (audited)", tags: ["Governance"], security: "admin", params: ["id"], body: json(ReasonBody), ok: { "200": "Stopped" } } },
  "/v1/admin/experiments/{id}/results": { get: { summary: "Per arm: conversion with Wilson intervals, difference vs baseline, time to first action", tags: ["Governance"], security: "admin", params: ["id"], ok: { "200": "The results" } } },
  ...TEAM_OPERATIONS,
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
