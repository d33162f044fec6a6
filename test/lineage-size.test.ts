import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { HOT_LEAD, crmGet, postLead, storedCandidates, uniqueEmail } from "./helpers.ts";
import { TOKENS } from "./setup.ts";

// Lineage bytes per lead for pools of 10, 50 and 500 reps (half AEs, half SDRs, as `npm run loadtest`
// seeds them), stored compactly, against what the same candidates cost as the full list stored before
// 0003_rep_facts_versions. Prints a table (the README's Performance section quotes it).
const LEADS = 10;
const COLUMNS = ["decision_id", "input_hash", "features", "vector", "reasons", "candidates", "timings", "shadow", "fallback_reason", "context", "provenance"];
const bytesOf = `${COLUMNS.map((c) => `coalesce(length(CAST(${c} AS BLOB)), 0)`).join(" + ")} + 16`;

async function poolOf(size: number): Promise<void> {
  const team = `size${size}`;
  await env.DB.prepare("INSERT INTO teams (id, name) VALUES (?1, ?1)").bind(team).run();
  const zones = ["America/New_York", "Europe/Berlin", "Asia/Tokyo", "UTC"];
  const stmts = Array.from({ length: size }, (_, r) =>
    env.DB.prepare("INSERT INTO reps (id, team_id, name, email, role, timezone, max_open, max_per_day, weight, win_rate_factor) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 10000, 10000, 1, 1)").bind(
      `${team}-rep-${r}`, team, `Rep ${r}`, `rep-${r}@router.example`, r % 2 ? "ae" : "sdr", zones[r % zones.length]!,
    ),
  );
  for (let i = 0; i < stmts.length; i += 100) await env.DB.batch(stmts.slice(i, i + 100));
  await env.DB.prepare("UPDATE sites SET team_id = ?1 WHERE id = 'pk_demo'").bind(team).run();
}

describe("lineage size", () => {
  const rows: { reps: number; candidates: number; compact: number; full: number; facts: number }[] = [];

  for (const size of [10, 50, 500]) {
    it(`stores lineage that grows with leads, not leads × reps (${size} reps)`, async () => {
      await poolOf(size);
      const ids: string[] = [];
      for (let i = 0; i < LEADS; i++) {
        const body = (await (await postLead({ ...HOT_LEAD, email: uniqueEmail() })).json()) as { decision: { id: string; outcome: string } };
        expect(body.decision.outcome).toBe("assigned");
        ids.push(body.decision.id);
      }
      let compact = 0;
      let full = 0;
      let candidates = 0;
      for (const id of ids) {
        const row = await env.DB.prepare(`SELECT ${bytesOf} AS bytes, length(CAST(candidates AS BLOB)) AS c, length(CAST(features AS BLOB)) AS f FROM lineage WHERE decision_id = ?`).bind(id).first<{ bytes: number; c: number; f: number }>();
        const traces = await storedCandidates(id);
        const { lineage } = (await (await crmGet(`/v1/decisions/${id}`, TOKENS.admin)).json()) as { lineage: { features: Record<string, number> } };
        candidates += traces.length;
        compact += row!.bytes;
        // The same row as stored before 0003_rep_facts_versions: every candidate with its rep's full facts, and the named
        // feature values beside the vector.
        const size = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;
        full += row!.bytes - row!.c - row!.f + size(traces) + size(lineage.features);
      }
      const facts = (await env.DB.prepare("SELECT coalesce(sum(length(CAST(facts AS BLOB)) + 64), 0) AS n FROM rep_facts_versions").first<number>("n"))!;
      rows.push({ reps: size, candidates: candidates / LEADS, compact: compact / LEADS, full: full / LEADS, facts });
      expect(compact).toBeLessThan(full);
      // The issue's target at 50 reps: at most a quarter of what these same decisions stored before (the
      // issue's 9.8 KB was measured with an older default model, whose vector and provenance were smaller).
      if (size === 50) expect(compact / LEADS).toBeLessThanOrEqual(full / LEADS / 4);
      // And the issue's absolute target: a quarter of the 9.8 KB it measured per lead at 50 reps.
      if (size === 50) expect(compact / LEADS).toBeLessThanOrEqual(9_800 / 4);
      if (size === 500) {
        const year = (b: number) => `${((b * 365_000) / 1e9).toFixed(2)} GB`;
        console.log("| reps in the team | candidates per lead | lineage bytes per lead, before (full list) | now (compact) | facts sets stored once | a year of 1,000 leads/day, before | now |\n|---|---|---|---|---|---|---|");
        for (const r of rows) console.log(`| ${r.reps} | ${r.candidates} | ${Math.round(r.full)} | ${Math.round(r.compact)} | ${r.facts} | ${year(r.full)} | ${year(r.compact)} |`);
      }
    }, 120_000);
  }
});
