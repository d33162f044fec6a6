import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Signals beyond the form: engagement, product-usage and CRM events, stored once per (team, event id)
 * with their provenance (source, ingest time, ingesting token). Aggregates are computed from these rows
 * on read, by the same pure code for live scoring and for training exports.
 */
export const signalEvents = sqliteTable(
  "signal_events",
  {
    teamId: text("team_id").notNull(),
    /** The sender's event id: a second event with the same id is a duplicate and is stored once. */
    id: text("id").notNull(),
    subjectType: text("subject_type", { enum: ["email", "domain"] }).notNull(),
    /** Lower-cased email or normalised domain. */
    subject: text("subject").notNull(),
    /** The account key: the subject's normalised domain; null for free-mail addresses (never an account). */
    domain: text("domain"),
    type: text("type").notNull(),
    /** When it happened, epoch ms (UTC). */
    occurredAt: integer("occurred_at").notNull(),
    properties: text("properties", { mode: "json" }).$type<Record<string, string | number | boolean | null>>().notNull(),
    source: text("source").notNull(),
    ingestedAt: integer("ingested_at").notNull(),
    /** The API token that sent it. */
    ingestedBy: text("ingested_by").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.teamId, t.id] }),
    index("signal_events_subject_idx").on(t.teamId, t.subject, t.occurredAt),
    index("signal_events_domain_idx").on(t.teamId, t.domain, t.occurredAt),
  ],
);

/** A decision a policy held for a manager: approved, overridden to another rep, or sent back to nurture. */
export const reviewHolds = sqliteTable(
  "review_holds",
  {
    /** The held decision (outcome `queued`, queue `review`). */
    decisionId: text("decision_id").primaryKey(),
    leadId: text("lead_id").notNull(),
    teamId: text("team_id").notNull(),
    /** The rep the router would have picked; null when none had room. */
    proposedRepId: text("proposed_rep_id"),
    /** Why the decision was held (strategic account, probability bound, deal value bound). */
    why: text("why", { mode: "json" }).$type<string[]>().notNull(),
    status: text("status", { enum: ["pending", "approved", "overridden", "sent_back"] }).notNull().default("pending"),
    resolvedBy: text("resolved_by"),
    note: text("note"),
    /** The decision that replaced the held one. */
    nextDecisionId: text("next_decision_id"),
    createdAt: integer("created_at", { mode: "number" }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
    resolvedAt: integer("resolved_at"),
  },
  (t) => [index("review_holds_status_idx").on(t.teamId, t.status, t.createdAt)],
);

/**
 * Never holds a row. A lead decided on an assumption about D1 it did not read (that it has no signal events,
 * see src/signals/team-events.ts) writes `INSERT … SELECT NULL WHERE <the assumption is false>` here in its
 * batch: if the assumption is wrong the NOT NULL constraint fails the whole batch, so nothing decided on it lands.
 */
export const assumptionChecks = sqliteTable("assumption_checks", {
  leadHasNoSignalEvents: integer("lead_has_no_signal_events").notNull(),
});
