import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { retryPendingLeads } from "../src/scheduled.ts";
import { HOT_LEAD, postLead, uniqueEmail } from "./helpers.ts";

describe("a lead whose decision cannot be written", () => {
  afterEach(() => vi.restoreAllMocks());

  it("is kept pending with its hold released, and the cron trigger decides it later", async () => {
    // Break the decision write: the lineage table is gone for a moment.
    await env.DB.prepare("ALTER TABLE lineage RENAME TO lineage_away").run();
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await postLead({ ...HOT_LEAD, email: uniqueEmail() });
    expect(res.status).toBe(202);
    const { lead } = (await res.json()) as { lead: { id: string; status: string } };
    expect(logged).toHaveBeenCalledWith("decision failed; lead kept pending", lead.id, expect.any(Error));
    expect(lead.status).toBe("pending");
    const row = await env.DB.prepare("SELECT status, attempts, last_error FROM leads WHERE id = ?").bind(lead.id).first<{ status: string; attempts: number; last_error: string }>();
    expect(row).toMatchObject({ status: "pending", attempts: 1 });
    expect(row!.last_error).toMatch(/lineage/);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM decisions").first("n")).toBe(0);
    for (const rep of ["rep_ada", "rep_grace"]) {
      const snap = await env.REP_CAPACITY.getByName(rep).snapshot({ maxOpen: 10, maxPerDay: 10, timezone: "UTC" });
      expect(snap.open + snap.held).toBe(0);
    }

    await env.DB.prepare("ALTER TABLE lineage_away RENAME TO lineage").run();
    expect(await retryPendingLeads(env, 0)).toEqual({ retried: 1, decided: 1 });
    expect(await env.DB.prepare("SELECT status FROM leads WHERE id = ?").bind(lead.id).first("status")).toBe("decided");
    expect(await env.DB.prepare("SELECT count(*) AS n FROM decisions WHERE lead_id = ? AND is_current = 1").bind(lead.id).first("n")).toBe(1);
    expect(await retryPendingLeads(env, 0)).toEqual({ retried: 0, decided: 0 });
  });
});
