import type { AppEnv } from "../app-env.ts";
import { apiApp, jsonBody, route } from "../lib/openapi-route.ts";
import { ApiError } from "../lib/errors.ts";
import { parseOrThrow, readJson } from "../lib/validate.ts";
import { erasePerson } from "../privacy/erase.ts";
import { ErasureBody } from "../schemas/admin.ts";

/**
 * Erasure of one person by email (mounted under /v1/admin). Only an admin token bound to no team may
 * erase: a person's data spans every team. Idempotent; audited under a hash of the email.
 */
const erase = route({
  method: "post",
  path: "/erasures",
  tags: ["Personal data"],
  summary: "Erase a person by email everywhere (leads, submissions, lineage inputs, events, notes, idempotency and dedupe records, audit text, model manifests); idempotent; audited under a hash of the email; admin token bound to no team",
  auth: "admin",
  request: { body: jsonBody(ErasureBody) },
  ok: { 200: "What was erased" },
});

export const erasuresApi = apiApp().openapi(erase, async (c) => {
  const token = c.get("token");
  if (token.teamId !== null) throw new ApiError("forbidden", "erasure spans every team: use an admin token bound to no team");
  const { email, reason } = parseOrThrow(ErasureBody, await readJson(c.req));
  const result = await erasePerson(c.env, { email, actor: token.name, reason });
  return c.json(result);
});
