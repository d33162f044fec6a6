import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY } from "../src/routing/policy.ts";
import { planRoute } from "../src/routing/plan.ts";
import { call, crmGet, postLead, uniqueEmail } from "./helpers.ts";
import { adminCall } from "./governance-helpers.ts";
import { TOKENS } from "./setup.ts";

/** A lead the default model scores far below every rep tier: nurture. */
const COLD = { job_title: "Student", employees: 1, pages_viewed: 0, source: "organic", demo_requested: false };
type Posted = { lead: { id: string }; decision: { id: string; tier: string; outcome: string; reason: string } };

const askConsent = () => adminCall("/v1/admin/sites/pk_demo", "PUT", { name: "Demo website", teamId: "demo", consentField: "marketing_consent" });
const consentOf = async (leadId: string) => (await env.DB.prepare("SELECT consent FROM leads WHERE id = ?").bind(leadId).first("consent")) as number | null;
const post = async (body: Record<string, unknown>) => (await (await postLead({ email: uniqueEmail("c"), ...body })).json()) as Posted;

describe("consent", () => {
  it("stores true when the site's consent field says yes", async () => {
    await askConsent();
    expect(await consentOf((await post({ ...COLD, marketing_consent: "on" })).lead.id)).toBe(1);
  });

  it("stores false when the consent field is absent or says no", async () => {
    await askConsent();
    expect(await consentOf((await post({ ...COLD })).lead.id)).toBe(0);
    expect(await consentOf((await post({ ...COLD, marketing_consent: "no" })).lead.id)).toBe(0);
  });

  it("stores nothing for a site that asks no consent", async () => {
    expect(await consentOf((await post(COLD)).lead.id)).toBeNull();
  });

  it("keeps a lead without consent out of nurture when the policy says where it goes instead", async () => {
    await askConsent();
    await adminCall("/v1/policies", "POST", { policy: { ...DEFAULT_POLICY, withoutConsentTier: "sdr" }, reason: "no consent, no nurture" });
    const without = await post(COLD);
    const withConsent = await post({ ...COLD, marketing_consent: true });
    expect(withConsent.decision).toMatchObject({ tier: "nurture", outcome: "nurture" });
    expect(without.decision.tier).toBe("sdr");
    expect(without.decision.outcome).not.toBe("nurture");
    expect(without.decision.reason).toMatch(/no consent/);
  });

  it("replays a consent-routed decision exactly", async () => {
    await askConsent();
    await adminCall("/v1/policies", "POST", { policy: { ...DEFAULT_POLICY, withoutConsentTier: "sdr" }, reason: "no consent, no nurture" });
    const without = await post(COLD);
    const res = await call(`/v1/decisions/${without.decision.id}/replay`, { method: "POST", headers: { authorization: `Bearer ${TOKENS.admin}` } });
    expect(await res.json()).toMatchObject({ same: true, exact: true });
  });

  it("sends the consent to the CRM with the assignment", async () => {
    await askConsent();
    await adminCall("/v1/policies", "POST", { policy: { ...DEFAULT_POLICY, withoutConsentTier: "sdr" }, reason: "no consent, no nurture" });
    const without = await post(COLD);
    const feed = (await (await crmGet("/v1/assignments")).json()) as { data: { lead: { id: string; consent: boolean | null } }[] };
    expect(feed.data.find((a) => a.lead.id === without.lead.id)!.lead.consent).toBe(false);
  });

  it("refuses a policy whose consent tier does not exist", async () => {
    const res = await adminCall("/v1/policies", "POST", { policy: { ...DEFAULT_POLICY, withoutConsentTier: "vip" }, reason: "x" });
    expect(res.status).toBe(422);
  });

  it("plans nurture as before when the lead's consent is unknown or the policy names no tier for it", () => {
    const base = { payload: {}, probability: 0.01, reps: [], account: null, territories: [], snapshots: new Map(), now: 0 };
    expect(planRoute({ ...base, policy: { ...DEFAULT_POLICY, withoutConsentTier: "sdr" }, consent: null }).tier.name).toBe("nurture");
    expect(planRoute({ ...base, policy: DEFAULT_POLICY, consent: false }).tier.name).toBe("nurture");
    expect(planRoute({ ...base, policy: { ...DEFAULT_POLICY, withoutConsentTier: "sdr" }, consent: false })).toMatchObject({ tier: { name: "sdr" }, consentOverride: expect.stringMatching(/no consent/) });
  });
});
