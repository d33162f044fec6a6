import { z } from "zod";
import { SCOPES } from "../lib/auth.ts";
import { httpUrl } from "../lib/references.ts";

export const TokenBody = z.object({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(z.enum(SCOPES)).min(1),
  /** The team whose leads the token sees; omit only for admin tokens. */
  teamId: z.string().min(1).max(64).nullable().default(null),
});

export const SiteBody = z.object({
  id: z.string().regex(/^pk_[a-z0-9_]{3,60}$/, "site keys look like pk_<lowercase letters, digits, _>"),
  name: z.string().trim().min(1).max(100),
  teamId: z.string().min(1).max(64),
  allowedOrigins: z.array(httpUrl.transform((u) => new URL(u).origin)).max(50).default([]),
  /** Where a plain HTML form is sent after posting: http(s) only, never `javascript:` or `data:`. */
  thankYouUrl: httpUrl.nullable().default(null),
  signingSecrets: z.array(z.string().min(16).max(200)).max(5).default([]),
  requireSignature: z.boolean().default(false),
  turnstileSecret: z.string().min(1).max(200).nullable().default(null),
  dedupeWindowSeconds: z.number().int().min(0).max(30 * 86_400).default(86_400),
  /** The form field carrying marketing consent (stored with each lead as true/false); null asks none. */
  consentField: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "a form field name").nullable().default(null),
});

export const ReasonBody = z.object({ reason: z.string().trim().min(1).max(500) });

export const ModelStatusBody = z.object({
  to: z.enum(["staged", "shadow", "active", "retired"]),
  reason: z.string().trim().min(1).max(500),
});

/** An erasure request: the person's email and why (kept in the audit row; the email is not). */
export const ErasureBody = z.object({
  email: z.email().max(254),
  reason: z.string().trim().min(1).max(500),
});

/** `POST /v1/bootstrap`: the first admin token's name (the body may be empty). */
export const BootstrapBody = z.object({ name: z.string().trim().min(1).max(100).default("first admin") }).default({ name: "first admin" });
