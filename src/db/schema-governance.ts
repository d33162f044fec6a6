import { sql } from "drizzle-orm";
import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Governance tables: monitoring results and experiments (migrations/0002_governance.sql). */

const createdAt = () =>
  integer("created_at", { mode: "number" }).notNull().default(sql`(unixepoch('subsec') * 1000)`);

/** One monitoring check the cron trigger ran: drift (PSI), calibration or operations, with its result. */
export const monitoringRuns = sqliteTable(
  "monitoring_runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind", { enum: ["drift", "calibration", "ops"] }).notNull(),
    /** The model version the check is about (drift, calibration); null for operations. */
    modelName: text("model_name"),
    modelVersion: text("model_version"),
    /** The live window the check looked at (epoch ms). */
    windowFrom: integer("window_from").notNull(),
    windowTo: integer("window_to").notNull(),
    n: integer("n").notNull(),
    /** `alert` on a drift run switches a `driftGuard: rule_only` policy to rules until a later run clears it. */
    level: text("level", { enum: ["ok", "warn", "alert", "insufficient"] }).notNull(),
    result: text("result", { mode: "json" }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("monitoring_runs_kind_idx").on(t.kind, t.id)],
);

export type ExperimentArm = { name: string; share: number; policyVersion?: number | undefined; modelVersion?: string | undefined };

/** A champion/challenger or policy A/B test: leads split by a hash of their id, with a holdout. */
export const experiments = sqliteTable("experiments", {
  id: text("id").primaryKey(),
  kind: text("kind", { enum: ["model", "policy"] }).notNull(),
  description: text("description").notNull(),
  status: text("status", { enum: ["running", "stopped"] }).notNull(),
  holdoutShare: real("holdout_share").notNull(),
  arms: text("arms", { mode: "json" }).$type<ExperimentArm[]>().notNull(),
  startedAt: integer("started_at").notNull(),
  stoppedAt: integer("stopped_at"),
  createdAt: createdAt(),
  /** The team whose leads it splits; null splits the leads of teams on the default policy / model family. 0003. */
  teamId: text("team_id"),
});
