import { z } from "zod";
import { WorkingHoursSchema } from "../routing/availability.ts";
import { normaliseDomain } from "../routing/domains.ts";
import { PolicySchema } from "../routing/policy.ts";
import { isValidTimezone } from "../lib/time.ts";

const id = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "use lowercase letters, digits, _ and -");

export const TeamBody = z.object({
  name: z.string().trim().min(1).max(100),
  /** The model family the team's leads score with (omit to keep, null for the default family). */
  modelFamily: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "a model family name (lowercase letters, digits, -)").nullable().optional(),
  /** Days after which the team's leads lose their personal fields (omit to keep, null to keep them forever). */
  retentionDays: z.number().int().min(1).max(3_650).nullable().optional(),
});

export const RepBody = z
  .object({
    teamId: id,
    name: z.string().trim().min(1).max(100),
    email: z.email(),
    role: z.enum(["ae", "sdr"]),
    timezone: z.string().refine(isValidTimezone, "not an IANA timezone").default("UTC"),
    workingHours: WorkingHoursSchema.nullable().default(null),
    status: z.enum(["active", "away", "out_of_office"]).default("active"),
    outOfOfficeUntil: z.iso.datetime({ offset: true }).nullable().default(null),
    weight: z.number().positive().max(100).default(1),
    maxOpen: z.number().int().min(0).max(10_000),
    maxPerDay: z.number().int().min(0).max(10_000),
    winRateFactor: z.number().positive().max(10).default(1),
    territoryIds: z.array(id).max(50).default([]),
    segments: z.array(z.string().min(1).max(32)).max(10).default([]),
  })
  .transform(({ outOfOfficeUntil, ...r }) => ({ ...r, outOfOfficeUntil: outOfOfficeUntil === null ? null : Date.parse(outOfOfficeUntil) }));

export const TerritoryBody = z.object({
  teamId: id,
  name: z.string().trim().min(1).max(100),
  countries: z.array(z.string().trim().min(2).max(64)).max(300).default([]),
  industries: z.array(z.string().trim().min(1).max(64)).max(100).default([]),
  minEmployees: z.number().int().min(0).nullable().default(null),
  maxEmployees: z.number().int().min(0).nullable().default(null),
});

export const AccountBody = z.object({
  name: z.string().trim().min(1).max(200),
  teamId: id,
  ownerRepId: id.nullable().default(null),
  strategic: z.boolean().default(false),
  /** Account context a model can read as `account.industry`, `account.employees`, `account.arr`, `account.territory`. */
  industry: z.string().trim().min(1).max(64).nullable().default(null),
  employees: z.number().int().min(0).max(10_000_000).nullable().default(null),
  arr: z.number().nonnegative().max(1e12).nullable().default(null),
  territoryId: id.nullable().default(null),
});

export const DomainParam = z
  .string()
  .transform(normaliseDomain)
  .pipe(z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, "not a domain"));

export const IdParam = id;

export const PolicyBody = z.object({
  policy: PolicySchema,
  reason: z.string().trim().min(1).max(500),
  /** false stores it as a draft, to activate later. */
  activate: z.boolean().default(true),
});

export const SimulateBody = z
  .object({
    policy: PolicySchema,
    teamId: id.default("demo"),
    leadIds: z.array(z.string().min(1)).max(500).optional(),
    leads: z.array(z.record(z.string(), z.unknown())).max(500).optional(),
  })
  .refine((b) => (b.leadIds?.length ?? 0) + (b.leads?.length ?? 0) > 0, { message: "give leadIds or leads" });

export const ReplayBody = z
  .object({ modelVersion: z.string().min(1).max(64).optional(), policyVersion: z.number().int().min(0).optional() })
  .default({});

/** Turn a team's rules-only switch on or off; the reason is required either way (it is audited). */
export const RulesOnlyBody = z.object({ enabled: z.boolean(), reason: z.string().trim().min(1).max(500) });
