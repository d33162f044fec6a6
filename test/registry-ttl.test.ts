import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { REGISTRY_TTL_MS } from "../src/scoring/model-store.ts";
import { POLICY_TTL_MS } from "../src/routing/policy-store.ts";
import { HOT_LEAD, postLead, uniqueEmail } from "./helpers.ts";
import { defaultModel } from "./setup.ts";

afterEach(() => vi.useRealTimers());

type LeadResponse = { decision: { model: { version: string } | null; outcome: string } };
const version = async () => ((await (await postLead({ ...HOT_LEAD, email: uniqueEmail() })).json()) as LeadResponse).decision;

describe("a change made elsewhere reaches new leads within 10 seconds", () => {
  it("keeps both caches under 10 s", () => {
    expect(REGISTRY_TTL_MS).toBeLessThanOrEqual(10_000);
    expect(POLICY_TTL_MS).toBeLessThanOrEqual(10_000);
  });

  it("picks up a rollback written by another isolate once the registry cache expires", async () => {
    const base = defaultModel().manifest.version;
    expect((await version()).model!.version).toBe(base);
    // Another isolate activated a new version and retired this one: only D1 knows.
    await env.DB.batch([
      env.DB.prepare("INSERT INTO models (name, version, sha256, status, manifest, artifact_key, size_bytes, activated_at) SELECT name, 'other', sha256, 'active', manifest, artifact_key, size_bytes, ? FROM models WHERE version = ?").bind(Date.now(), base),
      env.DB.prepare("UPDATE models SET status = 'retired' WHERE version = ?").bind(base),
    ]);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    expect((await version()).model!.version).toBe(base); // this isolate's cache still holds
    vi.setSystemTime(Date.now() + REGISTRY_TTL_MS + 1);
    expect((await version()).model!.version).toBe("other");
  });

  it("picks up a policy change written by another isolate once the policy cache expires", async () => {
    expect((await version()).outcome).toBe("assigned");
    const nurtureAll = JSON.stringify({ tiers: [{ name: "nurture", minProbability: 0, pool: null }], rules: [], ruleOnlyTier: "nurture", defaultDealValue: 1, loadPenalty: 0 });
    await env.DB.batch([
      env.DB.prepare("UPDATE policies SET status = 'retired'"),
      env.DB.prepare("INSERT INTO policies (version, status, body, activated_at) VALUES (2, 'active', ?, ?)").bind(nurtureAll, Date.now()),
    ]);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    expect((await version()).outcome).toBe("assigned");
    vi.setSystemTime(Date.now() + POLICY_TTL_MS + 1);
    expect((await version()).outcome).toBe("nurture");
  });
});
