import { z } from "zod";
import { DELIVERY_STATUSES, WEBHOOK_FORMATS } from "../db/schema-webhooks.ts";
import { EVENT_TYPES } from "../webhooks/events.ts";

const events = z.array(z.enum(EVENT_TYPES)).min(1).max(EVENT_TYPES.length).transform((e) => [...new Set(e)]);

export const WebhookCreateBody = z.object({
  /** The team whose events it receives; a team-bound admin token may omit it (its own team). */
  teamId: z.string().min(1).max(64).optional(),
  url: z.string().trim().min(1).max(2048),
  events,
  format: z.enum(WEBHOOK_FORMATS).default("json"),
  description: z.string().trim().min(1).max(200).nullable().default(null),
  enabled: z.boolean().default(true),
});

export const WebhookUpdateBody = z
  .object({
    url: z.string().trim().min(1).max(2048),
    events,
    format: z.enum(WEBHOOK_FORMATS),
    description: z.string().trim().min(1).max(200).nullable(),
    enabled: z.boolean(),
  })
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, "send at least one field to change");

export const RotateBody = z.object({
  /** How long the previous secret keeps signing beside the new one: 0 drops it now, at most a week. */
  graceHours: z.number().min(0).max(168).default(24),
});

export const DeliveriesQuery = z.object({
  status: z.enum(DELIVERY_STATUSES).optional().describe("one delivery status"),
  limit: z.coerce.number().int().min(1).max(200).default(50).describe("1-200 (default 50)"),
});
