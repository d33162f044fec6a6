import { call } from "./helpers.ts";
import { adminCall, modelVariant, uploadModel } from "./governance-helpers.ts";

export const EMEA_FAMILY = "emea-conversion";

/** A policy for the EMEA team: only near-certain leads reach its AEs, everyone else its SDRs. */
export const EMEA_POLICY = {
  tiers: [
    { name: "ae", minProbability: 0.999, pool: "ae" },
    { name: "sdr", minProbability: 0, pool: "sdr" },
  ],
  escalation: null,
  rules: [],
  ruleOnlyTier: "sdr",
  defaultDealValue: 8_000,
  loadPenalty: 0.5,
};

/**
 * A second team, `emea`: its own site (pk_emea), an AE and an SDR, and its own model family whose one
 * version is calibrated lower than the default model. Returns a review token bound to the team.
 */
export async function seedEmeaTeam(): Promise<{ reviewToken: string; crmToken: string }> {
  const ok = (res: Response) => {
    if (res.status >= 300) throw new Error(`seeding emea failed: ${res.status}`);
    return res;
  };
  ok(await adminCall("/v1/admin/teams/emea", "PUT", { name: "EMEA SMB", modelFamily: EMEA_FAMILY }));
  ok(await adminCall("/v1/admin/reps/rep_emea_ae", "PUT", { teamId: "emea", name: "Emmy Noether", email: "emmy@example.com", role: "ae", maxOpen: 5, maxPerDay: 20 }));
  ok(await adminCall("/v1/admin/reps/rep_emea_sdr", "PUT", { teamId: "emea", name: "Lise Meitner", email: "lise@example.com", role: "sdr", maxOpen: 5, maxPerDay: 20 }));
  ok(await adminCall("/v1/admin/sites/pk_emea", "PUT", { name: "EMEA site", teamId: "emea" }));
  const variant = modelVariant("1.0.0", { method: "platt", a: 1, b: -2 });
  ok(await uploadModel({ bytes: variant.bytes, manifest: { ...variant.manifest, name: EMEA_FAMILY } }));
  ok(await adminCall(`/v1/models/${EMEA_FAMILY}/1.0.0/status`, "POST", { to: "active", reason: "emea's first model" }));
  const review = (await (await ok(await adminCall("/v1/admin/tokens", "POST", { name: "emea manager", scopes: ["review:write"], teamId: "emea" }))).json()) as { secret: string };
  const crm = (await (await ok(await adminCall("/v1/admin/tokens", "POST", { name: "emea crm", scopes: ["crm:read", "crm:write"], teamId: "emea" }))).json()) as { secret: string };
  return { reviewToken: review.secret, crmToken: crm.secret };
}

/** A JSON call with a bearer token. */
export function tokenCall(path: string, token: string, method = "GET", body?: unknown) {
  return call(path, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

/** Posts a lead to a site. */
export function postLeadTo(site: string, body: unknown) {
  return call("/v1/leads", { method: "POST", headers: { "content-type": "application/json", "x-site-key": site }, body: JSON.stringify(body) });
}
