import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { reconcileAssignments } from "../src/capacity/reconcile.ts";
import { retryPendingLeads } from "../src/scheduled.ts";
import { HOT_LEAD, postLead, uniqueEmail } from "./helpers.ts";
import { DEMO_REPS } from "./seed.ts";

type Posted = { lead: { id: string }; decision: { id: string; outcome: string; repId: string | null } };

const capsOf = (id: string) => {
  const rep = DEMO_REPS.find((r) => r.id === id)!;
  return { maxOpen: rep.maxOpen!, maxPerDay: rep.maxPerDay!, timezone: rep.timezone! };
};

/** Fills a rep's object to its open cap behind the router's back (its isolate's hint still shows room). */
async function fill(repId: string): Promise<void> {
  const stub = env.REP_CAPACITY.getByName(repId);
  const caps = capsOf(repId);
  const snap = await stub.snapshot(caps);
  for (let i = snap.open + snap.held; i < caps.maxOpen; i++) await stub.reserve(`filler-${repId}-${i}`, caps, 600_000);
}

const decisionsOf = (leadId: string) =>
  env.DB.prepare("SELECT id, outcome, rep_id, is_current, crm_status, supersedes FROM decisions WHERE lead_id = ? ORDER BY seq").bind(leadId).all<{ id: string; outcome: string; rep_id: string | null; is_current: number; crm_status: string; supersedes: string | null }>();

describe("the decision written while the rep's object is asked", () => {
  it("is superseded before the answer when the rep refuses (it filled since its hint): the answer and the key's replay name the final decision", async () => {
    // The first lead leaves this isolate with hints of room on every candidate; then every rep fills up.
    const first = (await (await postLead({ ...HOT_LEAD, email: uniqueEmail() })).json()) as Posted;
    expect(first.decision.outcome).toBe("assigned");
    for (const rep of DEMO_REPS) await fill(rep.id!);

    const headers = { "idempotency-key": "spec-refused" };
    const body = { ...HOT_LEAD, email: uniqueEmail() };
    const res = await postLead(body, headers);
    expect(res.status).toBe(201);
    const answer = (await res.json()) as Posted;
    expect(answer.decision.outcome).toBe("queued");

    const rows = (await decisionsOf(answer.lead.id)).results;
    expect(rows).toHaveLength(2);
    const [written, final] = rows as [(typeof rows)[number], (typeof rows)[number]];
    expect(written).toMatchObject({ outcome: "assigned", is_current: 0, crm_status: "superseded" });
    expect(final).toMatchObject({ id: answer.decision.id, outcome: "queued", is_current: 1, supersedes: written.id });
    // The refusing rep holds nothing for the lead.
    const refusing = await env.REP_CAPACITY.getByName(written.rep_id!).snapshot(capsOf(written.rep_id!));
    expect(refusing.open + refusing.held).toBe(capsOf(written.rep_id!).maxOpen);

    const replay = await postLead(body, headers);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(((await replay.json()) as Posted).decision.id).toBe(answer.decision.id);
  });

  it("goes back to pending when the Worker died before moving it: the refusing rep's alarm finds it current, the cron decides it elsewhere", async () => {
    const posted = (await (await postLead({ ...HOT_LEAD, email: uniqueEmail() })).json()) as Posted;
    const repId = posted.decision.repId!;
    const rep = env.REP_CAPACITY.getByName(repId);
    // As if the decision had been written while the rep refused: its slot is gone and the rep is full.
    expect(await rep.release(posted.lead.id)).toBe(true);
    await fill(repId);
    const refused = await rep.reserve(posted.lead.id, capsOf(repId), 1, undefined, { decisionId: posted.decision.id });
    expect(refused.ok).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await runDurableObjectAlarm(rep)).toBe(true);

    const lead = await env.DB.prepare("SELECT status, last_error FROM leads WHERE id = ?").bind(posted.lead.id).first<{ status: string; last_error: string }>();
    expect(lead).toMatchObject({ status: "pending" });
    expect(lead!.last_error).toContain(repId);
    expect((await decisionsOf(posted.lead.id)).results.filter((d) => d.is_current === 1)).toEqual([]);

    expect(await retryPendingLeads(env, 0)).toEqual({ retried: 1, decided: 1 });
    const current = (await decisionsOf(posted.lead.id)).results.filter((d) => d.is_current === 1);
    expect(current).toHaveLength(1);
    expect(current[0]!.rep_id).not.toBe(repId);
  });

  it("is left alone by the refusing rep's alarm once the Worker replaced it", async () => {
    const posted = (await (await postLead({ ...HOT_LEAD, email: uniqueEmail() })).json()) as Posted;
    const repId = posted.decision.repId!;
    const rep = env.REP_CAPACITY.getByName(repId);
    await fill(repId);
    // A refusal recorded for an older decision of this lead, long since superseded.
    const refused = await rep.reserve("lead_other", capsOf(repId), 1, undefined, { decisionId: "dec_replaced" });
    expect(refused.ok).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await runDurableObjectAlarm(rep);
    expect(await env.DB.prepare("SELECT status FROM leads WHERE id = ?").bind(posted.lead.id).first("status")).toBe("decided");
    expect((await decisionsOf(posted.lead.id)).results.filter((d) => d.is_current === 1)).toHaveLength(1);
  });
});

describe("the cron's reconciliation of D1 with the reps' objects", () => {
  it("sends an assignment whose rep holds no slot for it (a double fault) back to pending, and the retry decides it under the caps", async () => {
    const lost = (await (await postLead({ ...HOT_LEAD, email: uniqueEmail() })).json()) as Posted;
    const kept = (await (await postLead({ ...HOT_LEAD, email: uniqueEmail() })).json()) as Posted;
    // As if the object never got the first reservation (it failed, and the repair's write failed too).
    expect(await env.REP_CAPACITY.getByName(lost.decision.repId!).release(lost.lead.id)).toBe(true);
    // Both decisions are past the minutes a request and its hold's alarm have to settle them.
    await env.DB.prepare("UPDATE decisions SET created_at = ? WHERE id IN (?, ?)").bind(Date.now() - 10 * 60_000, lost.decision.id, kept.decision.id).run();

    expect(await reconcileAssignments(env)).toEqual({ checked: 2, stranded: 1 });
    expect(await env.DB.prepare("SELECT status FROM leads WHERE id = ?").bind(lost.lead.id).first("status")).toBe("pending");
    expect(await env.DB.prepare("SELECT status FROM leads WHERE id = ?").bind(kept.lead.id).first("status")).toBe("decided");
    expect(await retryPendingLeads(env, 0)).toEqual({ retried: 1, decided: 1 });
    const current = (await decisionsOf(lost.lead.id)).results.filter((d) => d.is_current === 1);
    expect(current).toHaveLength(1);
    const holds = await env.REP_CAPACITY.getByName(current[0]!.rep_id!).holding([lost.lead.id]);
    expect(holds).toEqual([lost.lead.id]);
    expect(await reconcileAssignments(env)).toMatchObject({ stranded: 0 });
  });
});
