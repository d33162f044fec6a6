import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index.ts";
import { signBody } from "../src/intake/signature.ts";
import { getSite } from "../src/intake/sites.ts";
import { retryPendingLeads } from "../src/scheduled.ts";
import { BASE, HOT_LEAD, call, postLead, uniqueEmail } from "./helpers.ts";
import { TOKENS, defaultModel } from "./setup.ts";

// `npm run faults` runs this file alone and prints each fault with its outcome as a table.

type Posted = { lead: { id: string; status: string }; decision: { id: string; mode: string; outcome: string; repId: string | null } | null };
const admin = { authorization: `Bearer ${TOKENS.admin}`, "content-type": "application/json" };

async function activeArtifactKey(): Promise<string> {
  return (await env.DB.prepare("SELECT artifact_key FROM models WHERE status = 'active'").first<string>("artifact_key"))!;
}

async function openAlerts(): Promise<{ kind: string; subject: string; count: number; message: string }[]> {
  const res = await call("/v1/admin/alerts", { headers: admin });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { kind: string; subject: string; count: number; message: string }[] }).data;
}

async function currentDecisions(leadId: string): Promise<number> {
  return (await env.DB.prepare("SELECT count(*) AS n FROM decisions WHERE lead_id = ? AND is_current = 1").bind(leadId).first<number>("n"))!;
}

/** Makes a rep's Durable Object throw on every call (its table gone) until `restore` runs. */
async function breakCapacity(repId: string): Promise<{ restore: () => Promise<void> }> {
  const stub = env.REP_CAPACITY.getByName(repId);
  await runInDurableObject(stub, (_instance, state) => {
    state.storage.sql.exec("DROP TABLE reservations");
  });
  return {
    restore: () =>
      runInDurableObject(stub, (_instance, state) => {
        state.storage.sql.exec(`CREATE TABLE IF NOT EXISTS reservations (lead_id TEXT PRIMARY KEY, status TEXT NOT NULL CHECK (status IN ('held', 'open')),
          expires_at INTEGER, day TEXT NOT NULL, created_at INTEGER NOT NULL)`);
      }),
  };
}

async function reservationsPerRep(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const rep of ["rep_ada", "rep_grace", "rep_alan", "rep_katherine", "rep_linus"]) {
    const s = await env.REP_CAPACITY.getByName(rep).snapshot({ maxOpen: 100, maxPerDay: 100, timezone: "UTC" });
    out[rep] = s.open + s.held;
  }
  return out;
}

describe("faults", () => {
  afterEach(() => vi.restoreAllMocks());

  it("active model missing from R2 → rule-only routing, the lead kept, an alert until the model is back", async () => {
    await env.MODELS.delete(await activeArtifactKey());
    const res = await postLead({ ...HOT_LEAD, email: uniqueEmail() });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Posted;
    expect(body.decision).toMatchObject({ mode: "rules", outcome: "assigned" });
    expect(await env.DB.prepare("SELECT fallback_reason FROM lineage WHERE decision_id = ?").bind(body.decision!.id).first("fallback_reason")).toMatch(/missing from R2/);
    expect(await openAlerts()).toEqual([expect.objectContaining({ kind: "model_unavailable", subject: "lead-conversion", count: 1 })]);

    // The artifact is put back: the next lead is scored again and the alert closes.
    await env.MODELS.put(await activeArtifactKey(), defaultModel().bytes);
    const again = (await (await postLead({ ...HOT_LEAD, email: uniqueEmail() })).json()) as Posted;
    expect(again.decision!.mode).toBe("model");
    expect(await openAlerts()).toEqual([]);
  });

  it("active model corrupt in R2 → its sha256 check fails, rule-only routing, an alert", async () => {
    await env.MODELS.put(await activeArtifactKey(), new Uint8Array([0x08, 0x07, 0x12, 0x03, 0xff, 0xfe]));
    const res = await postLead({ ...HOT_LEAD, email: uniqueEmail() });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Posted;
    expect(body.decision!.mode).toBe("rules");
    expect(await env.DB.prepare("SELECT status FROM leads WHERE id = ?").bind(body.lead.id).first("status")).toBe("decided");
    const [alert] = await openAlerts();
    expect(alert).toMatchObject({ kind: "model_unavailable" });
    expect(alert!.message).toMatch(/does not match/);
  });

  it("D1 failing every decision write for a while → leads kept pending, each decided exactly once by the retry, no hold leaked", async () => {
    await env.DB.prepare("CREATE TRIGGER injected_failure BEFORE INSERT ON decisions BEGIN SELECT RAISE(ABORT, 'injected D1 failure'); END").run();
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const posted = await Promise.all(Array.from({ length: 6 }, () => postLead({ ...HOT_LEAD, email: uniqueEmail() })));
    expect(posted.map((r) => r.status)).toEqual(Array(6).fill(202));
    const ids = await Promise.all(posted.map(async (r) => ((await r.json()) as Posted).lead.id));
    const failures = logged.mock.calls.filter(([message]) => message === "decision failed; lead kept pending").map(([, id]) => id);
    expect(failures.sort()).toEqual([...ids].sort());
    for (const rep of ["rep_ada", "rep_grace", "rep_alan", "rep_katherine", "rep_linus"]) {
      const snap = await env.REP_CAPACITY.getByName(rep).snapshot({ maxOpen: 100, maxPerDay: 100, timezone: "UTC" });
      expect(snap.open + snap.held).toBe(0);
    }

    await env.DB.prepare("DROP TRIGGER injected_failure").run();
    expect(await retryPendingLeads(env, 0)).toEqual({ retried: 6, decided: 6 });
    for (const id of ids) expect(await currentDecisions(id)).toBe(1);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM decisions").first("n")).toBe(6);
    // Each Durable Object holds exactly the leads D1 says it has: nothing doubled by the retry.
    const perRep = await env.DB.prepare("SELECT rep_id, count(*) AS n FROM decisions WHERE outcome = 'assigned' GROUP BY rep_id").all<{ rep_id: string; n: number }>();
    for (const { rep_id, n } of perRep.results) {
      const snap = await env.REP_CAPACITY.getByName(rep_id).snapshot({ maxOpen: 100, maxPerDay: 100, timezone: "UTC" });
      expect(snap.open + snap.held).toBe(n);
    }
    expect(await retryPendingLeads(env, 0)).toEqual({ retried: 0, decided: 0 });
  });

  it("a rep's Durable Object failing → the next candidate gets the lead; every AE's failing → the lead is queued, not lost", async () => {
    const ada = await breakCapacity("rep_ada");
    try {
      const first = (await (await postLead({ ...HOT_LEAD, email: uniqueEmail() })).json()) as Posted;
      expect(first.decision).toMatchObject({ outcome: "assigned" });
      expect(first.decision!.repId).not.toBe("rep_ada");

      const grace = await breakCapacity("rep_grace");
      try {
        const res = await postLead({ ...HOT_LEAD, email: uniqueEmail() });
        expect(res.status).toBe(201);
        const second = (await res.json()) as Posted;
        expect(["queued", "assigned"]).toContain(second.decision!.outcome);
        expect(["rep_ada", "rep_grace"]).not.toContain(second.decision!.repId);
        expect(await currentDecisions(second.lead.id)).toBe(1);
      } finally {
        await grace.restore();
      }
    } finally {
      await ada.restore();
    }
  });

  it("a rep deleted while leads are in flight → no lead lost, none posted after the delete goes to that rep", async () => {
    const inFlight = Array.from({ length: 12 }, () => postLead({ ...HOT_LEAD, email: uniqueEmail() }));
    const deleted = await call("/v1/admin/reps/rep_ada", { method: "DELETE", headers: admin });
    expect(deleted.status).toBe(200);
    const after = await Promise.all(Array.from({ length: 6 }, () => postLead({ ...HOT_LEAD, email: uniqueEmail() })));
    const all = [...(await Promise.all(inFlight)), ...after];
    expect(all.map((r) => r.status)).toEqual(Array(18).fill(201));
    const bodies = await Promise.all(all.map(async (r) => (await r.json()) as Posted));
    for (const b of bodies) expect(await currentDecisions(b.lead.id)).toBe(1);
    for (const b of bodies.slice(12)) expect(b.decision!.repId).not.toBe("rep_ada");
  });

  it("clock skew on signed posts → within 5 minutes accepted, beyond refused with 401 and nothing stored", async () => {
    const secret = "whsec_faults_0123456789abcdef";
    const site = await call("/v1/admin/sites/pk_skew", {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({ name: "skew", teamId: "demo", signingSecrets: [secret], requireSignature: true, dedupeWindowSeconds: 0 }),
    });
    expect(site.status).toBeLessThan(300);
    const post = async (skewSeconds: number) => {
      const raw = new TextEncoder().encode(JSON.stringify({ ...HOT_LEAD, email: uniqueEmail() }));
      const signature = await signBody(secret, raw, Math.floor(Date.now() / 1000) + skewSeconds);
      return call("/v1/leads", { method: "POST", headers: { "content-type": "application/json", "x-site-key": "pk_skew", "lead-router-signature": signature }, body: raw });
    };
    expect((await post(-240)).status).toBe(201);
    expect((await post(240)).status).toBe(201);
    for (const skew of [-400, 400]) {
      const res = await post(skew);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/tolerance/);
    }
    expect(await env.DB.prepare("SELECT count(*) AS n FROM leads WHERE site_id = 'pk_skew'").first("n")).toBe(2);
  });
  it("the Worker dying between the durable write and the answer → a retry with the same Idempotency-Key gives the same lead, no second reservation", async () => {
    const body = JSON.stringify({ ...HOT_LEAD, email: uniqueEmail() });
    const init = { method: "POST", headers: { "content-type": "application/json", "x-site-key": "pk_demo", "idempotency-key": "k-dies" }, body };
    // The runtime ends the invocation right after the batch committed: the first thing after it is handing
    // the webhook event to waitUntil, and there the Worker dies, before any answer is sent. (The isolate has
    // its site cached, as a busy one does: else the reads it starts beside the site's are handed to waitUntil
    // first, and it would die before writing anything — a fault with nothing to lose.)
    await getSite(env, "pk_demo");
    const dying = createExecutionContext();
    dying.waitUntil = () => {
      throw new Error("the isolate died");
    };
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const first = await worker.fetch(new Request(`${BASE}/v1/leads`, init), env, dying);
    expect(first.status).toBe(500);
    const stored = await env.DB.prepare("SELECT id, status FROM leads").all<{ id: string; status: string }>();
    expect(stored.results).toEqual([{ id: expect.any(String), status: "decided" }]);

    const ctx = createExecutionContext();
    const retry = await worker.fetch(new Request(`${BASE}/v1/leads`, init), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    const answer = (await retry.json()) as Posted;
    expect(answer.lead.id).toBe(stored.results[0]!.id);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM decisions").first("n"))).toBe(1);
    const held = await reservationsPerRep();
    expect(Object.values(held).reduce((a, b) => a + b, 0)).toBe(1);
    expect(held[answer.decision!.repId!]).toBe(1);
  });

});
