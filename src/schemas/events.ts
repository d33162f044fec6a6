import { z } from "zod";
import { normaliseDomain } from "../routing/domains.ts";

/** Every event type the router understands, by family. */
export const EVENT_TYPES = {
  engagement: ["email_open", "email_click", "page_view", "webinar", "demo_request"],
  product: ["signup", "active_day", "feature_adopted", "seats"],
  crm: ["account_arr", "owner_change", "stage_change"],
} as const;
export const ALL_EVENT_TYPES = [...EVENT_TYPES.engagement, ...EVENT_TYPES.product, ...EVENT_TYPES.crm] as const;
export type EventType = (typeof ALL_EVENT_TYPES)[number];

/** Properties a type cannot do without, and their kind. */
const REQUIRED_PROPERTIES: Partial<Record<EventType, [string, "number" | "string"]>> = {
  feature_adopted: ["feature", "string"],
  seats: ["seats", "number"],
  account_arr: ["arr", "number"],
  owner_change: ["ownerRepId", "string"],
  stage_change: ["stage", "string"],
};

const Domain = z
  .string()
  .max(253)
  .transform(normaliseDomain)
  .pipe(z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, "not a domain"));

/** One event: who it is about (a person's email or an account's domain), what, when, from where. */
export const EventSchema = z
  .object({
    /** The sender's id for the event: sending it again stores nothing new. */
    id: z.string().trim().min(1).max(128),
    type: z.enum(ALL_EVENT_TYPES),
    subject: z.union(
      [z.object({ email: z.email().max(254).transform((e) => e.toLowerCase()) }).strict(), z.object({ domain: Domain }).strict()],
      { error: "give exactly one of { email } or { domain }, valid" },
    ),
    /** ISO 8601 with an offset (`Z` or `+02:00`); stored as UTC. */
    occurredAt: z.iso.datetime({ offset: true }),
    properties: z
      .record(z.string().min(1).max(64), z.union([z.string().max(500), z.number(), z.boolean(), z.null()]))
      .refine((p) => Object.keys(p).length <= 30, "at most 30 properties")
      .default({}),
    /** Which system sent it, e.g. `hubspot`, `segment`, `salesforce`. */
    source: z.string().trim().min(1).max(64),
  })
  .superRefine((e, ctx) => {
    const need = REQUIRED_PROPERTIES[e.type];
    if (need && typeof e.properties[need[0]] !== need[1]) {
      ctx.addIssue({ code: "custom", path: ["properties", need[0]], message: `a ${e.type} event needs a ${need[1]} ${need[0]}` });
    }
    if (EVENT_TYPES.crm.includes(e.type as never) && !("domain" in e.subject)) {
      ctx.addIssue({ code: "custom", path: ["subject"], message: `a ${e.type} event is about an account: give subject.domain` });
    }
  });
export type EventInput = z.infer<typeof EventSchema>;

export const EventsBody = z.object({
  /** Needed only with an admin token (a team-bound token posts for its own team). */
  teamId: z.string().min(1).max(64).optional(),
  events: z.array(EventSchema).min(1).max(500),
});
