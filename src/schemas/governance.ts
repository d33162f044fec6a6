import { z } from "zod";

const isoTime = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));
const limit = (max: number, dflt: number) => z.coerce.number().int().min(1).max(max).default(dflt);

/** Filters of `GET /v1/admin/audit` (query string). */
export const AuditQuery = z
  .object({
    /** `model`, `policy`, `rep`, `token`, `team`, `site`, `lead`, `experiment`, ... */
    entityType: z.string().regex(/^[a-z_]{1,32}$/, "an entity type such as model, policy, rep or token").optional(),
    entityId: z.string().min(1).max(200).optional(),
    actor: z.string().min(1).max(100).optional(),
    /** An exact action (`policy.activate`) or a prefix ending in a dot (`model.`). */
    action: z.string().min(1).max(100).optional(),
    from: isoTime.optional().describe("ISO time"),
    to: isoTime.optional().describe("ISO time"),
    /** The `nextCursor` of the previous page: rows older than it. */
    cursor: z.coerce.number().int().positive().optional().describe("the nextCursor of the previous page"),
    limit: limit(200, 50).describe("1-200 (default 50)"),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, { message: "from must not be after to" });

/** Window of a report: ISO times, defaulting to the last `days` days. */
export const ReportQuery = z
  .object({
    from: isoTime.optional().describe("ISO time (default: `days` before `to`)"),
    to: isoTime.optional().describe("ISO time (default now)"),
    days: z.coerce.number().min(0.01).max(365).default(7).describe("window length when `from` is not given (default 7)"),
  })
  .transform((q) => {
    const to = q.to ?? Date.now();
    return { to, from: q.from ?? to - q.days * 86_400_000 };
  })
  .refine((q) => q.from <= q.to, { message: "from must not be after to" });

export const FairnessQuery = z.object({
  /** Extra payload fields to segment by (dot paths), besides country, size band and source. */
  fields: z
    .string()
    .max(300)
    .optional()
    .transform((s) => (s ? s.split(",").map((f) => f.trim()).filter(Boolean) : []))
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/, "fields: comma-separated payload paths")).max(10))
    .describe("extra comma-separated payload paths to segment by"),
});

const Arm = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "arm names: lowercase letters, digits, _ and -"),
  share: z.number().positive().max(1000),
  policyVersion: z.number().int().min(0).optional(),
  modelVersion: z.string().min(1).max(64).optional(),
});

export const ExperimentBody = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "use lowercase letters, digits, _ and -"),
    kind: z.enum(["model", "policy"]),
    description: z.string().trim().min(1).max(500),
    holdoutShare: z.number().min(0).max(0.5).default(0),
    arms: z.array(Arm).min(2).max(5),
    reason: z.string().trim().min(1).max(500),
    /** The team whose leads it splits; null splits the leads of teams on the default policy / model family. */
    teamId: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/).nullable().default(null),
  })
  .superRefine((e, ctx) => {
    if (new Set(e.arms.map((a) => a.name)).size !== e.arms.length) ctx.addIssue({ code: "custom", path: ["arms"], message: "arm names must be unique" });
    if (e.arms.some((a) => a.name === "holdout")) ctx.addIssue({ code: "custom", path: ["arms"], message: "`holdout` is reserved" });
    const key = e.kind === "model" ? "modelVersion" : "policyVersion";
    e.arms.forEach((a, i) => {
      if (a[key] === undefined) ctx.addIssue({ code: "custom", path: ["arms", i, key], message: `a ${e.kind} experiment names a ${key} per arm` });
    });
  });
