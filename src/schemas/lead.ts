import { z } from "zod";

const NUMERIC = /^\s*-?\d+(\.\d+)?\s*$/;

/** A number, or a numeric string as an HTML form sends it. */
const numeric = (min: number, max: number) =>
  z
    .union([z.number(), z.string().regex(NUMERIC, "must be a number")])
    .transform(Number)
    .pipe(z.number().min(min).max(max));

/** A boolean, or the strings an HTML checkbox or a CRM sends. */
const booleanish = z.union([
  z.boolean(),
  z.enum(["true", "false", "on", "off", "yes", "no", "1", "0"]).transform((s) => ["true", "on", "yes", "1"].includes(s)),
]);

const text = (max: number) => z.string().trim().max(max);

/** Extra form fields a model's feature spec may name: flat scalars, bounded. */
const extraField = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]);

/** The lead a website form posts. Known fields are typed; other flat fields are kept for the model. */
export const LeadInputSchema = z
  .object({
    email: z.email().max(254).transform((e) => e.toLowerCase()),
    name: text(200).optional(),
    company: text(200).optional(),
    website: text(300).optional(),
    phone: text(50).optional(),
    employees: numeric(0, 10_000_000).optional(),
    industry: text(64).optional(),
    country: text(64).optional(),
    job_title: text(200).optional(),
    source: text(64).optional(),
    pages_viewed: numeric(0, 100_000).optional(),
    demo_requested: booleanish.optional(),
    deal_value: numeric(0, 1e12).optional(),
    message: text(5000).optional(),
  })
  .catchall(extraField)
  .refine((lead) => Object.keys(lead).length <= 60, { message: "at most 60 fields" });
export type LeadInput = z.infer<typeof LeadInputSchema>;
