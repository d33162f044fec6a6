import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Outbound webhooks: subscriptions, their deliveries and every attempt (migrations/0004_webhooks.sql). */

const createdAt = () =>
  integer("created_at", { mode: "number" }).notNull().default(sql`(unixepoch('subsec') * 1000)`);

export const WEBHOOK_FORMATS = ["json", "slack"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export const DELIVERY_STATUSES = ["pending", "retrying", "delivered", "dead", "skipped"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A team's subscription: where to POST, which events, in which shape, signed with which secret(s). */
export const webhookSubscriptions = sqliteTable(
  "webhook_subscriptions",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull(),
    url: text("url").notNull(),
    events: text("events", { mode: "json" }).$type<string[]>().notNull(),
    format: text("format", { enum: WEBHOOK_FORMATS }).notNull(),
    description: text("description"),
    /** Kept in clear: the consumer signs with it. Shown to the client once, at creation or rotation. */
    secret: text("secret").notNull(),
    /** The secret before the last rotation, still signing (a second `v1=`) until it expires. */
    previousSecret: text("previous_secret"),
    previousSecretExpiresAt: integer("previous_secret_expires_at"),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    createdAt: createdAt(),
    updatedAt: integer("updated_at").notNull(),
    /** Soft delete: the delivery log keeps meaning after a subscription is removed. */
    deletedAt: integer("deleted_at"),
  },
  (t) => [index("webhook_subscriptions_team_idx").on(t.teamId)],
);

/** One event for one subscription; the id is the delivery id receivers dedupe on. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    subscriptionId: text("subscription_id").notNull(),
    teamId: text("team_id").notNull(),
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    /** The exact JSON sent: a redelivery sends the same bytes (with a fresh signature timestamp). */
    body: text("body").notNull(),
    status: text("status", { enum: DELIVERY_STATUSES }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: createdAt(),
    updatedAt: integer("updated_at").notNull(),
    deliveredAt: integer("delivered_at"),
  },
  (t) => [
    index("webhook_deliveries_subscription_idx").on(t.subscriptionId, t.createdAt),
    // The cron's sweep for deliveries whose queue message was lost (src/webhooks/sweep.ts).
    index("webhook_deliveries_status_idx").on(t.status, t.updatedAt),
  ],
);

/** Every POST tried: its answer (status code) or the error (timeout, refused connection). */
export const webhookAttempts = sqliteTable(
  "webhook_attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    deliveryId: text("delivery_id").notNull(),
    attempt: integer("attempt").notNull(),
    at: integer("at").notNull(),
    statusCode: integer("status_code"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
  },
  (t) => [index("webhook_attempts_delivery_idx").on(t.deliveryId, t.attempt)],
);

/** How far a periodic scan has published (e.g. alert changes up to `at`, epoch ms). */
export const webhookCursors = sqliteTable("webhook_cursors", {
  name: text("name").primaryKey(),
  at: integer("at").notNull(),
});
