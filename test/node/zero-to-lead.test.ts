/**
 * From zero to a routed, model-scored lead with only `npm run setup`'s code and the HTTP API: a bare
 * router (migrations, BOOTSTRAP_TOKEN, nothing else) is set up from the demo folder, then a browser-style
 * lead from the router's own origin comes back assigned and scored by the model. Bad files change nothing.
 * The tests run in order against one router.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSetup } from "../../scripts/lib/setup/run.ts";
import { formatProblem } from "../../scripts/lib/setup/validate.ts";
import { startBareRouter, type BareRouter } from "./bare-router.ts";

const DEMO = "scripts/setup/demo";
let router: BareRouter;
let admin = "";
let crm = "";
const dirs: string[] = [];

/** The demo folder with some cells broken in several files. */
function badFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), "lr-setup-bad-"));
  dirs.push(dir);
  cpSync(DEMO, dir, { recursive: true });
  const edit = (file: string, from: string, to: string) => writeFileSync(join(dir, file), readFileSync(join(dir, file), "utf8").replace(from, to));
  edit("reps.csv", "ae,America/New_York,,5,25", "ae,America/New_York,,five,25");
  edit("reps.csv", "Grace Hopper,grace@example.com,ae,Europe/London", "Grace Hopper,grace@example.com,boss,Europe/Londres");
  edit("reps.csv", "rep_linus,demo", "rep_linus,nowhere");
  edit("sites.csv", "{router};", "ftp//nope;");
  edit("policy.json", '"minProbability": 0.6', '"minProbability": 1.5');
  writeFileSync(join(dir, "accounts.csv"), "domain,team,name,owner,strategic\nbigcorp.example,demo,BigCorp,rep_nobody,maybe\n");
  return dir;
}

const get = async <T>(path: string, token: string): Promise<T> => {
  const res = await fetch(`${router.base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
};

/** Everything setup could touch, as the admin API shows it. */
const snapshot = async () =>
  Promise.all(["/v1/admin/teams", "/v1/admin/reps", "/v1/admin/territories", "/v1/admin/accounts", "/v1/admin/sites", "/v1/admin/tokens", "/v1/policies", "/v1/models", "/v1/admin/audit?limit=200"].map((p) => get(p, admin)));

beforeAll(async () => {
  router = await startBareRouter();
});

afterAll(async () => {
  await router?.dispose();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("a bare router set up from files", () => {
  it("refuses admin calls before setup, and bad files with the bootstrap secret get a full report and no admin token", async () => {
    expect((await fetch(`${router.base}/v1/admin/teams`, { headers: { authorization: `Bearer ${router.bootstrap}` } })).status).toBe(401);
    const result = await runSetup({ url: router.base, token: router.bootstrap, dir: badFolder() });
    expect(result.adminToken).toBeNull();
    expect(result.problems.map(formatProblem)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^reps\.csv:2 max_open \(column 8\): "five" is not a whole number$/),
        expect.stringMatching(/^reps\.csv:3 role \(column 5\): /),
        expect.stringMatching(/^reps\.csv:3 timezone \(column 6\): not an IANA timezone$/),
        expect.stringMatching(/^reps\.csv:6 team: no team "nowhere"/),
        expect.stringMatching(/^sites\.csv:2 allowed_origins \(column 4\): /),
        expect.stringMatching(/^accounts\.csv:2 strategic \(column 5\): "maybe" is not true or false$/),
        expect.stringMatching(/^policy\.json:\d+ tiers\.0\.minProbability: /),
      ]),
    );
  });

  it("goes from zero to an assigned, model-scored lead with setup and the HTTP API only", async () => {
    const lines: string[] = [];
    const result = await runSetup({ url: router.base, token: router.bootstrap, dir: DEMO, log: (l) => lines.push(l) });
    expect(result.problems).toEqual([]);
    expect(result.adminToken).toMatch(/^lr_[0-9a-f]{48}$/);
    expect(result.crmTokens.map((t) => t.teamId)).toEqual(["demo"]);
    admin = result.adminToken!;
    crm = result.crmTokens[0]!.secret;
    expect(lines).toContain("+ model lead-conversion 1.0.0");

    // A browser post from the page the router serves (the demo site allows the router's own origin).
    const res = await fetch(`${router.base}/v1/leads`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-site-key": "pk_demo", origin: router.base },
      body: JSON.stringify({ email: "cto@bigcorp.example", company: "BigCorp", employees: 5000, industry: "software", country: "US", job_title: "CTO", source: "referral", pages_viewed: 25, demo_requested: true }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("access-control-allow-origin")).toBe(router.base);
    const { decision } = (await res.json()) as { decision: { id: string; outcome: string; mode: string; tier: string; repId: string; model: { version: string } } };
    expect(decision).toMatchObject({ outcome: "assigned", mode: "model", tier: "ae", model: { version: "1.0.0" } });
    expect(["rep_ada", "rep_grace"]).toContain(decision.repId);

    const feed = await get<{ data: { id: string }[] }>("/v1/assignments", crm);
    expect(feed.data.map((a) => a.id)).toEqual([decision.id]);
  });

  it("changes nothing when run again, and makes no second CRM token", async () => {
    const before = await snapshot();
    const lines: string[] = [];
    const result = await runSetup({ url: router.base, token: admin, dir: DEMO, log: (l) => lines.push(l) });
    expect(result).toMatchObject({ problems: [], changes: [], adminToken: null, crmTokens: [] });
    expect(lines.at(-1)).toMatch(/^no changes/);
    expect(await snapshot()).toEqual(before);
  });

  it("plans without writing on a dry run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lr-setup-dry-"));
    dirs.push(dir);
    cpSync(DEMO, dir, { recursive: true });
    writeFileSync(join(dir, "reps.csv"), readFileSync(join(dir, "reps.csv"), "utf8").replace("ae,America/New_York,,5,25", "ae,America/New_York,,6,25"));
    const before = await snapshot();
    const result = await runSetup({ url: router.base, token: admin, dir, dryRun: true });
    expect(result.changes.map((c) => c.fields)).toEqual([["maxOpen: 5 → 6"]]);
    expect(await snapshot()).toEqual(before);
  });

  it("reports every problem of bad files with the admin token too, and changes nothing", async () => {
    const before = await snapshot();
    const result = await runSetup({ url: router.base, token: admin, dir: badFolder() });
    expect(result.problems.length).toBeGreaterThanOrEqual(7);
    expect(result.problems.every((p) => p.line > 0)).toBe(true);
    expect(result.changes).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });
});
