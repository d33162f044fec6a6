import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Weekly working hours in the rep's timezone (validated by routing's WorkingHoursSchema at the edge). */
type WorkingHours = { days: number[]; start: string; end: string };

const createdAt = () =>
  integer("created_at", { mode: "number" }).notNull().default(sql`(unixepoch('subsec') * 1000)`);

export const teams = sqliteTable("teams", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: createdAt(),
  /** The model family the team's leads are scored with; null means the default family (env.MODEL_NAME). 0003. */
  modelFamily: text("model_family"),
  /** Personal fields of the team's leads are masked this many days after arrival; null keeps them. 0003. */
  retentionDays: integer("retention_days"),
});

export const reps = sqliteTable(
  "reps",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull().references(() => teams.id),
    name: text("name").notNull(),
    email: text("email").notNull(),
    /** Which tier pool the rep serves: `ae` or `sdr`. */
    role: text("role", { enum: ["ae", "sdr"] }).notNull(),
    timezone: text("timezone").notNull().default("UTC"),
    status: text("status", { enum: ["active", "away", "out_of_office"] }).notNull().default("active"),
    weight: real("weight").notNull().default(1),
    maxOpen: integer("max_open").notNull(),
    maxPerDay: integer("max_per_day").notNull(),
    winRateFactor: real("win_rate_factor").notNull().default(1),
    /** Weekly hours in `timezone` ({ days, start, end }); null means always available. */
    workingHours: text("working_hours", { mode: "json" }).$type<WorkingHours | null>(),
    /** With status `out_of_office`: back at this time (epoch ms); null means until further notice. */
    outOfOfficeUntil: integer("out_of_office_until"),
    /** Territories the rep covers and company-size segments the rep sells to ([] = any). */
    territoryIds: text("territory_ids", { mode: "json" }).$type<string[]>().notNull().default([]),
    segments: text("segments", { mode: "json" }).$type<string[]>().notNull().default([]),
    createdAt: createdAt(),
    deletedAt: integer("deleted_at"),
  },
  (t) => [index("reps_team_idx").on(t.teamId)],
);

export const models = sqliteTable(
  "models",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    version: text("version").notNull(),
    sha256: text("sha256").notNull(),
    status: text("status", { enum: ["staged", "shadow", "active", "retired"] }).notNull(),
    /** The manifest.json as uploaded (validated against ManifestSchema). */
    manifest: text("manifest", { mode: "json" }).notNull(),
    artifactKey: text("artifact_key").notNull(),
    sizeBytes: integer("size_bytes").notNull(),
    createdAt: createdAt(),
    activatedAt: integer("activated_at"),
  },
  (t) => [
    uniqueIndex("models_name_version_idx").on(t.name, t.version),
    index("models_name_status_idx").on(t.name, t.status),
  ],
);

export const policies = sqliteTable(
  "policies",
  {
    /** Numbered across every team, so a decision's policy version names one body. */
    version: integer("version").primaryKey(),
    status: text("status", { enum: ["draft", "active", "retired"] }).notNull(),
    body: text("body", { mode: "json" }).notNull(),
    createdAt: createdAt(),
    activatedAt: integer("activated_at"),
    /** The team whose policy this is; null is the default policy of teams without their own. 0003. */
    teamId: text("team_id"),
  },
  (t) => [index("policies_team_status_idx").on(t.teamId, t.status)],
);

export const leads = sqliteTable(
  "leads",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull(),
    siteId: text("site_id").notNull(),
    email: text("email").notNull(),
    payload: text("payload", { mode: "json" }).notNull(),
    /** sha256 of the canonical payload: replay and duplicate detection key on it. */
    inputHash: text("input_hash").notNull(),
    /** `review`: held as suspicious (never routed until released); `discarded`: judged spam in review. */
    status: text("status", { enum: ["pending", "decided", "review", "discarded"] }).notNull().default("pending"),
    /** Why the lead sits in review (honeypot, disposable domain, ...). */
    reviewReason: text("review_reason"),
    /** How the lead arrived: `form`, `json` or `signed` (server to server). */
    channel: text("channel").notNull().default("json"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    receivedAt: integer("received_at").notNull(),
    /** The consent the site's consent field carried (true/false); null when the site asks none. 0003. */
    consent: integer("consent", { mode: "boolean" }),
    /** When the personal fields were masked, and why (`erasure` or `retention`); 0003. */
    maskedAt: integer("masked_at"),
    maskedBy: text("masked_by", { enum: ["erasure", "retention"] }),
  },
  (t) => [
    index("leads_status_idx").on(t.status, t.receivedAt),
    // Retention sweeps a team's oldest leads; erasure finds a person's leads by email (0003).
    index("leads_team_received_idx").on(t.teamId, t.receivedAt),
    index("leads_email_idx").on(t.email),
  ],
);

export const decisions = sqliteTable(
  "decisions",
  {
    /** Monotonic: the CRM feed's cursor. D1 serialises writes, so a lower seq never commits later. */
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    leadId: text("lead_id").notNull().references(() => leads.id),
    teamId: text("team_id").notNull(),
    outcome: text("outcome", { enum: ["assigned", "queued", "nurture"] }).notNull(),
    repId: text("rep_id"),
    tier: text("tier").notNull(),
    /** `model` when a model scored the lead, `rules` when routing fell back to rules only. */
    mode: text("mode", { enum: ["model", "rules"] }).notNull(),
    probability: real("probability"),
    modelName: text("model_name"),
    modelVersion: text("model_version"),
    modelSha256: text("model_sha256"),
    policyVersion: integer("policy_version").notNull(),
    reason: text("reason").notNull(),
    /** For a queued lead: `team` (its team's reps are busy or away), `global` (no rep serves it) or `review` (held for a manager). */
    queue: text("queue", { enum: ["team", "global", "review"] }),
    isCurrent: integer("is_current", { mode: "boolean" }).notNull().default(true),
    /** What the CRM did with the assignment. */
    crmStatus: text("crm_status", { enum: ["new", "acked", "accepted", "rejected", "closed", "superseded"] })
      .notNull()
      .default("new"),
    crmNote: text("crm_note"),
    crmUpdatedAt: integer("crm_updated_at"),
    /** When the CRM accepted the assignment (kept after later changes): time to first action (0001_signals). */
    crmAcceptedAt: integer("crm_accepted_at"),
    /** The decision this one replaced (a CRM reject or an SLA re-route), if any. */
    supersedes: text("supersedes"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("decisions_id_idx").on(t.id),
    // Exactly one current decision per lead, enforced by the database itself.
    uniqueIndex("decisions_current_idx").on(t.leadId).where(sql`is_current = 1`),
    index("decisions_team_seq_idx").on(t.teamId, t.outcome, t.seq),
    // Recent decisions of a team: the routing guardrail's window and KPI reports (0001_signals).
    index("decisions_team_created_idx").on(t.teamId, t.createdAt),
    // Every decision of a lead, current or not: masking a lead's lineage (0003).
    index("decisions_lead_idx").on(t.leadId),
  ],
);

/**
 * Each distinct set of rep facts a decision's candidates had, stored once and referenced from lineage by
 * hash (sha256 of the canonical JSON), so lineage grows with leads, not leads × reps (0003_rep_facts_versions).
 */
export const repFactsVersions = sqliteTable("rep_facts_versions", {
  hash: text("hash").primaryKey(),
  facts: text("facts").notNull(),
  createdAt: createdAt(),
});

export const lineage = sqliteTable("lineage", {
  decisionId: text("decision_id").primaryKey(),
  inputHash: text("input_hash").notNull(),
  /** Named feature values, the float32 vector the model saw, and reason codes. */
  features: text("features", { mode: "json" }).notNull(),
  vector: text("vector", { mode: "json" }).notNull(),
  reasons: text("reasons", { mode: "json" }).notNull(),
  /**
   * Candidates considered, in rank order, with the capacity snapshot each showed: compact, referencing a
   * `rep_facts_versions` row (src/routing/lineage-codec.ts); rows written before 0003_rep_facts_versions hold the full list.
   */
  candidates: text("candidates", { mode: "json" }).notNull(),
  timings: text("timings", { mode: "json" }).notNull(),
  /** The shadow model's score of the same lead, if one was live: logged, never routed on. */
  shadow: text("shadow", { mode: "json" }),
  /** Why the lead was routed on rules only, when it was. */
  fallbackReason: text("fallback_reason"),
  /** Deal value the expected value used. */
  dealValue: real("deal_value").notNull(),
  /** What the plan saw besides candidates: time, account, territories, escalation (for replay). */
  context: text("context", { mode: "json" }).notNull().default({}),
  /** Where each feature value came from: a form field, or the events behind an aggregate (0001_signals). */
  provenance: text("provenance", { mode: "json" }),
  createdAt: createdAt(),
});

export const apiTokens = sqliteTable("api_tokens", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  /** sha256 of the secret; the secret itself is shown once and never stored. */
  tokenHash: text("token_hash").notNull().unique(),
  scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
  teamId: text("team_id"),
  createdAt: createdAt(),
  revokedAt: integer("revoked_at"),
});

export const auditLog = sqliteTable("audit_log", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  actor: text("actor").notNull(),
  action: text("action").notNull(),
  entityType: text("entity_type").notNull(),
  entityId: text("entity_id").notNull(),
  before: text("before", { mode: "json" }),
  after: text("after", { mode: "json" }),
  reason: text("reason"),
  at: createdAt(),
});

/** A territory: which leads it covers (empty lists match anything). */
export const territories = sqliteTable("territories", {
  id: text("id").primaryKey(),
  teamId: text("team_id").notNull(),
  name: text("name").notNull(),
  countries: text("countries", { mode: "json" }).$type<string[]>().notNull().default([]),
  industries: text("industries", { mode: "json" }).$type<string[]>().notNull().default([]),
  minEmployees: integer("min_employees"),
  maxEmployees: integer("max_employees"),
  createdAt: createdAt(),
});

/** Known accounts: a lead whose email domain matches goes to the account's owner first. */
export const accounts = sqliteTable(
  "accounts",
  {
    /** The account's team: a domain is an id the client chooses, so it is unique per team (0001_trust). */
    teamId: text("team_id").notNull(),
    /** Normalised domain (lower case, no `www.`). */
    domain: text("domain").notNull(),
    name: text("name").notNull(),
    ownerRepId: text("owner_rep_id"),
    /** Strategic accounts can escalate past the probability tiers (see the policy's escalation). */
    strategic: integer("strategic", { mode: "boolean" }).notNull().default(false),
    /** Account context the scorer can read (`account.*` feature sources); added in 0001_signals. */
    industry: text("industry"),
    employees: integer("employees"),
    arr: real("arr"),
    territoryId: text("territory_id"),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.domain] })],
);

/** A website (or server) allowed to post leads, with the team its leads go to. */
export const sites = sqliteTable("sites", {
  /** The public site key a form embeds, e.g. `pk_demo`. */
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  teamId: text("team_id").notNull(),
  /** Origins a browser may post from; empty means any origin. */
  allowedOrigins: text("allowed_origins", { mode: "json" }).$type<string[]>().notNull(),
  /** Where a plain HTML form post is redirected after the lead is stored. */
  thankYouUrl: text("thank_you_url"),
  /** HMAC-SHA256 secrets for signed server-to-server posts; several live at once during rotation. */
  signingSecrets: text("signing_secrets", { mode: "json" }).$type<string[]>().notNull(),
  /** When set, unsigned posts are refused: the site posts only from its servers. */
  requireSignature: integer("require_signature", { mode: "boolean" }).notNull().default(false),
  /** Cloudflare Turnstile secret; when set, browser posts must carry a valid token. */
  turnstileSecret: text("turnstile_secret"),
  /** A second submission with the same email within this many seconds merges into the first lead. */
  dedupeWindowSeconds: integer("dedupe_window_seconds").notNull().default(86_400),
  createdAt: createdAt(),
  revokedAt: integer("revoked_at"),
  /** The form field that carries marketing consent (e.g. `marketing_consent`); null asks none. 0003. */
  consentField: text("consent_field"),
});

/** Stored first responses of requests sent with an Idempotency-Key. */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    siteId: text("site_id").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    status: integer("status"),
    body: text("body"),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.key] })],
);

/** The lead that owns (site, email) for the dedupe window: later submissions merge into it. */
export const leadDedupe = sqliteTable(
  "lead_dedupe",
  {
    siteId: text("site_id").notNull(),
    email: text("email").notNull(),
    leadId: text("lead_id").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.email] })],
);

/** Every repeated submission merged into an earlier lead: kept, never routed twice. */
export const submissions = sqliteTable(
  "submissions",
  {
    id: text("id").primaryKey(),
    leadId: text("lead_id").notNull(),
    payload: text("payload", { mode: "json" }).notNull(),
    receivedAt: integer("received_at").notNull(),
  },
  (t) => [index("submissions_lead_idx").on(t.leadId)],
);

/** What happened to a lead after routing, as the CRM reports it: the training labels. */
export const outcomes = sqliteTable(
  "outcomes",
  {
    /** The lead's team: an outcome id is the CRM's, unique per team, never across teams (0001_trust). */
    teamId: text("team_id").notNull(),
    id: text("id").notNull(),
    leadId: text("lead_id").notNull(),
    type: text("type", { enum: ["contacted", "opportunity_created", "won", "lost"] }).notNull(),
    amount: real("amount"),
    occurredAt: integer("occurred_at").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.id] }), index("outcomes_lead_idx").on(t.leadId)],
);

/**
 * Operational alerts: the active model failing to load, drift, routing guardrails. One open row per kind
 * and subject; a repeat bumps its count and last time instead of adding rows.
 */
export const alerts = sqliteTable(
  "alerts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind").notNull(),
    subject: text("subject").notNull(),
    severity: text("severity", { enum: ["warn", "alert"] }).notNull(),
    message: text("message").notNull(),
    count: integer("count").notNull().default(1),
    firstAt: integer("first_at").notNull(),
    lastAt: integer("last_at").notNull(),
    resolvedAt: integer("resolved_at"),
  },
  (t) => [uniqueIndex("alerts_open_idx").on(t.kind, t.subject).where(sql`resolved_at IS NULL`)],
);
