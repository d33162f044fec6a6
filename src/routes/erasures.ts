import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import { ApiError } from "../lib/errors.ts";
import { parseOrThrow, readJson } from "../lib/validate.ts";
import { erasePerson } from "../privacy/erase.ts";
import { ErasureBody } from "../schemas/admin.ts";

/**
 * Erasure of one person by email (mounted under /v1/admin). Only an admin token bound to no team may
 * erase: a person's data spans every team. Idempotent; audited under a hash of the email.
 */
export const erasuresApi = new Hono<AppEnv>().post("/erasures", async (c) => {
  const token = c.get("token");
  if (token.teamId !== null) throw new ApiError("forbidden", "erasure spans every team: use an admin token bound to no team");
  const { email, reason } = parseOrThrow(ErasureBody, await readJson(c.req));
  const result = await erasePerson(c.env, { email, actor: token.name, reason });
  return c.json(result);
});
