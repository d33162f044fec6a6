import { z } from "zod";

/** How the cron trigger watches drift, as a routing policy sets it (`policy.drift`). */
export const DriftSettingsSchema = z
  .object({
    /** PSI at or above which a feature (or the score) warns, and alerts. */
    warn: z.number().positive().max(10).default(0.1),
    alert: z.number().positive().max(10).default(0.25),
    /** The live window: decisions of the last this many hours. */
    windowHours: z.number().int().min(1).max(24 * 90).default(24),
    /** A feature or the score is checked once the window holds this many values of it. */
    minSamples: z.number().int().min(20).max(100_000).default(100),
    /** `rule_only`: while the latest drift check of the active model alerts, route on rules alone. */
    guard: z.enum(["off", "rule_only"]).default("off"),
  })
  .refine((d) => d.warn < d.alert, { message: "drift.warn must be below drift.alert" });
export type DriftSettings = z.infer<typeof DriftSettingsSchema>;

export const DEFAULT_DRIFT_SETTINGS: DriftSettings = { warn: 0.1, alert: 0.25, windowHours: 24, minSamples: 100, guard: "off" };
