import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Trust tables (migrations/0001_trust.sql): replayed signatures, and a team's rules-only switch. */

/**
 * The signature of every signed lead post seen within the tolerance window, written in the batch that
 * stores the lead: a replay of the same signed request fails that batch and is refused, storing nothing.
 */
export const signedPosts = sqliteTable(
  "signed_posts",
  {
    siteId: text("site_id").notNull(),
    /** The hex HMAC that verified (not the header, which a replayer could pad with other `v1=` values). */
    signature: text("signature").notNull(),
    seenAt: integer("seen_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.signature] }), index("signed_posts_seen_idx").on(t.seenAt)],
);

/** A team routing on rules alone by a deliberate, audited choice: the row exists while the switch is on. */
export const rulesOnlySwitches = sqliteTable("rules_only_switches", {
  teamId: text("team_id").primaryKey(),
  reason: text("reason").notNull(),
  /** The admin token's name that turned it on. */
  setBy: text("set_by").notNull(),
  setAt: integer("set_at").notNull(),
});
