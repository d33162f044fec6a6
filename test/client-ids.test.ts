import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { ErrorJson } from "./helpers.ts";
import { TOKENS } from "./setup.ts";
import { admin, json, leadFor, otherTeam, postOutcomes } from "./trust-helpers.ts";
import { call } from "./helpers.ts";

const won = (id: string, leadId: string, amount = 1_000) => ({ id, leadId, type: "won", amount, occurredAt: "2026-11-20T10:00:00Z" });
const outcomeRows = (teamId: string) => env.DB.prepare("SELECT id, lead_id FROM outcomes WHERE team_id = ? ORDER BY id").bind(teamId).all().then((r) => r.results);

beforeEach(otherTeam);

describe("client-chosen ids are unique per team, never across teams", () => {
  it("stores an outcome whose id another team already used", async () => {
    const [mine, theirs] = [await leadFor("pk_demo"), await leadFor("pk_other")];
    expect((await postOutcomes(won("crm-1", theirs), TOKENS.otherTeam)).status).toBe(201);
    const res = await postOutcomes(won("crm-1", mine));
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ id: "crm-1", duplicate: false });
    expect(await outcomeRows("demo")).toEqual([{ id: "crm-1", lead_id: mine }]);
    expect(await outcomeRows("other")).toEqual([{ id: "crm-1", lead_id: theirs }]);
  });

  it("answers 409 when a team reuses an outcome id with a different report, and changes nothing", async () => {
    const lead = await leadFor();
    expect((await postOutcomes(won("crm-2", lead, 1_000))).status).toBe(201);
    const res = await postOutcomes(won("crm-2", lead, 2_000));
    expect(res.status).toBe(409);
    expect(((await res.json()) as ErrorJson).error.code).toBe("conflict");
    expect(await env.DB.prepare("SELECT amount FROM outcomes WHERE id = 'crm-2'").first("amount")).toBe(1_000);
  });

  it("replays an outcome sent again with the same report as a duplicate", async () => {
    const lead = await leadFor();
    expect((await postOutcomes(won("crm-3", lead))).status).toBe(201);
    const res = await postOutcomes(won("crm-3", lead));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: "crm-3", duplicate: true });
  });

  it("stores an event whose id another team already used, and flags a same-team clash as a conflict", async () => {
    const token = async (teamId: string) => ((await (await admin("/v1/admin/tokens", "POST", { name: `ev-${teamId}`, scopes: ["events:write"], teamId })).json()) as { secret: string }).secret;
    const event = (source: string) => ({ id: "ev-1", type: "page_view", subject: { email: "ann@acme.example" }, occurredAt: new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, "Z"), properties: {}, source });
    const post = async (t: string, body: unknown) => call("/v1/events", { method: "POST", headers: json(t), body: JSON.stringify(body) });
    const [demo, other] = [await token("demo"), await token("other")];
    const e = event("hubspot");
    expect((await post(other, { events: [e] })).status).toBe(201);
    const mine = await post(demo, { events: [e] });
    expect(mine.status).toBe(201);
    const clash = (await (await post(demo, { events: [{ ...e, source: "segment" }] })).json()) as { conflicts: string[]; events: { status: string }[] };
    expect(clash.conflicts).toEqual(["ev-1"]);
    expect(clash.events[0]!.status).toBe("conflict");
    const replay = (await (await post(demo, { events: [e] })).json()) as { duplicates: string[]; events: { status: string }[] };
    expect(replay.events[0]!.status).toBe("duplicate");
    expect(await env.DB.prepare("SELECT team_id, source FROM signal_events ORDER BY team_id").all().then((r) => r.results)).toEqual([
      { team_id: "demo", source: "hubspot" },
      { team_id: "other", source: "hubspot" },
    ]);
  });

  it("keeps an account domain per team: another team's account of the same domain is not overwritten", async () => {
    const put = (teamId: string, name: string) => admin("/v1/admin/accounts/acme.example", "PUT", { name, teamId });
    expect((await put("demo", "Acme (demo)")).status).toBe(201);
    expect((await put("other", "Acme (other)")).status).toBe(201);
    const rows = await env.DB.prepare("SELECT team_id, name FROM accounts ORDER BY team_id").all();
    expect(rows.results).toEqual([
      { team_id: "demo", name: "Acme (demo)" },
      { team_id: "other", name: "Acme (other)" },
    ]);
  });

  it("refuses to move a rep id that another team holds (409), leaving the rep where it was", async () => {
    const res = await admin("/v1/admin/reps/rep_ada", "PUT", { teamId: "other", name: "Ada", email: "ada@example.com", role: "ae", maxOpen: 5, maxPerDay: 5 });
    expect(res.status).toBe(409);
    expect(((await res.json()) as ErrorJson).error.message).toContain("demo");
    expect(await env.DB.prepare("SELECT team_id FROM reps WHERE id = 'rep_ada'").first("team_id")).toBe("demo");
  });
});

describe("POST /v1/outcomes in bulk", () => {
  it("stores a batch with a result per item: stored, duplicate, conflict, not found", async () => {
    const [a, b] = [await leadFor(), await leadFor()];
    expect((await postOutcomes(won("pre", a))).status).toBe(201);
    const res = await postOutcomes({ outcomes: [won("n1", a), won("pre", a), won("pre-2", b), won("n1", a, 5), won("x", "lead_nope"), won("pre-2", b)] });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { stored: number; results: { id: string; status: string }[] };
    expect(body.results.map((r) => r.status)).toEqual(["stored", "duplicate", "stored", "conflict", "not_found", "duplicate"]);
    expect(body.stored).toBe(2);
    expect((await outcomeRows("demo")).map((r) => r.id)).toEqual(["n1", "pre", "pre-2"]);
  });

  it("closes each won lead's assignment in a batch and frees its rep", async () => {
    const leads = [await leadFor(), await leadFor(), await leadFor()];
    const res = await postOutcomes({ outcomes: leads.map((l, i) => won(`w${i}`, l)) });
    expect(res.status).toBe(201);
    const open = await env.DB.prepare("SELECT count(*) AS n FROM decisions WHERE is_current = 1 AND crm_status = 'closed'").first("n");
    expect(open).toBe(3);
  });

  it("accepts 500 outcomes and refuses 501 with a 422 naming the bound", async () => {
    const lead = await leadFor();
    const many = (n: number) => ({ outcomes: Array.from({ length: n }, (_, i) => ({ id: `b${i}`, leadId: lead, type: "contacted", occurredAt: "2026-11-20T10:00:00Z" })) });
    const over = await postOutcomes(many(501));
    expect(over.status).toBe(422);
    expect(((await over.json()) as ErrorJson).error.message).toContain("outcomes");
    const ok = await postOutcomes(many(500));
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as { stored: number }).stored).toBe(500);
  });

  it("treats another team's leads in a batch as not found, storing nothing for them", async () => {
    const theirs = await leadFor("pk_other");
    const res = await postOutcomes({ outcomes: [won("t1", theirs)] });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { results: { status: string }[] }).results[0]!.status).toBe("not_found");
    expect(await outcomeRows("other")).toEqual([]);
  });
});
