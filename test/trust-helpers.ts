import { expect } from "vitest";
import { call, HOT_LEAD, postLead, uniqueEmail } from "./helpers.ts";
import { TOKENS } from "./setup.ts";

export const json = (token: string = TOKENS.admin) => ({ authorization: `Bearer ${token}`, "content-type": "application/json" });

/** An admin call with a JSON body. */
export const admin = (path: string, method: string, body?: unknown) =>
  call(path, { method, headers: json(TOKENS.admin), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

/** Creates the `other` team (TOKENS.otherTeam's) with its own site `pk_other`, so it can receive leads. */
export async function otherTeam(): Promise<void> {
  expect((await admin("/v1/admin/teams/other", "PUT", { name: "Other team" })).status).toBeLessThan(300);
  expect((await admin("/v1/admin/sites/pk_other", "PUT", { name: "Other site", teamId: "other" })).status).toBeLessThan(300);
}

/** Posts a lead to a team through its site; returns the lead id. */
export async function leadFor(site = "pk_demo"): Promise<string> {
  const res = await postLead({ ...HOT_LEAD, email: uniqueEmail() }, { "x-site-key": site });
  expect(res.status).toBeLessThan(300);
  return ((await res.json()) as { lead: { id: string } }).lead.id;
}

export const postOutcomes = (body: unknown, token: string = TOKENS.crm) => call("/v1/outcomes", { method: "POST", headers: json(token), body: JSON.stringify(body) });
