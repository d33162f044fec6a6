/** The setup folder's parsing, checking and planning (pure: no router). */
import { describe, expect, it } from "vitest";
import { parseCsv } from "../../scripts/lib/setup/csv.ts";
import { planChanges, type Current } from "../../scripts/lib/setup/plan.ts";
import { readFolder } from "../../scripts/lib/setup/run.ts";
import { formatProblem, parseWorkingHours, readSetup, type Problem } from "../../scripts/lib/setup/validate.ts";
import { DEFAULT_POLICY } from "../../src/routing/policy.ts";
import { DEMO_REPS, DEMO_SITE, DEMO_TEAM } from "../seed.ts";

const VARS = { router: "http://127.0.0.1:8787", port: "8787" };
const MODEL = { name: "lead-conversion", version: "1.0.0" };
const demo = () => readFolder("scripts/setup/demo");
const where = (ps: Problem[]) => ps.map((p) => `${p.file}:${p.line}:${p.column ?? ""}`);

const TEAMS = "id,name\nwest,West team\neast,East team\n";
const TERRITORIES = "id,team,name,countries\nna,west,North America,US;CA\nemea,east,EMEA,GB;DE\n";
const REPS = "id,team,name,email,role,max_open,max_per_day,territories,working_hours\nrep_a,west,A,a@x.example,ae,5,20,na,Mon-Fri 09:00-17:00\n";

const emptyRouter = (): Current => ({ teams: [], territories: [], reps: [], accounts: [], sites: [], tokens: [], policy: { version: 0, policy: DEFAULT_POLICY }, teamPolicies: {}, models: [] });

describe("CSV", () => {
  it("reads quoted cells with commas, doubled quotes and line breaks, CRLF and a BOM, keeping each record's line", () => {
    const { header, records } = parseCsv('\uFEFFId,Name\r\n1,"Doe, ""JD"" Jane"\r\n\r\n2,"two\nlines"\r\n3,plain\n');
    expect(header).toEqual(["id", "name"]);
    expect(records).toEqual([
      { line: 2, cells: ["1", 'Doe, "JD" Jane'] },
      { line: 4, cells: ["2", "two\nlines"] },
      { line: 6, cells: ["3", "plain"] },
    ]);
  });

  it("refuses a quote that is never closed, naming its line", () => {
    expect(() => parseCsv('id,name\n1,"open\n2,x\n')).toThrow(/line 2/);
  });
});

describe("working hours", () => {
  it("reads day ranges, lists and overnight shifts", () => {
    expect(parseWorkingHours("Mon-Fri 09:00-17:00")).toEqual({ days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" });
    expect(parseWorkingHours("mon, wed,Fri 08:30-12:00")).toEqual({ days: [1, 3, 5], start: "08:30", end: "12:00" });
    expect(parseWorkingHours("Fri-Mon 22:00-06:00")).toEqual({ days: [1, 5, 6, 7], start: "22:00", end: "06:00" });
    expect(() => parseWorkingHours("weekdays 9-5")).toThrow(/Mon-Fri 09:00-17:00/);
  });
});

describe("the demo folder", () => {
  it("is valid and describes the same team, reps, site and policy the workers tests seed", () => {
    const { desired, problems } = readSetup(demo(), VARS);
    expect(problems).toEqual([]);
    expect(desired.teams).toEqual([{ id: DEMO_TEAM.id, line: 2, body: { name: DEMO_TEAM.name }, managed: ["name"] }]);
    expect(desired.reps!.map((r) => ({ id: r.id, ...r.body }))).toEqual(
      DEMO_REPS.map((r) => ({ id: r.id, teamId: r.teamId, name: r.name, email: r.email, role: r.role, timezone: r.timezone, workingHours: null, maxOpen: r.maxOpen, maxPerDay: r.maxPerDay, weight: 1, winRateFactor: r.winRateFactor ?? 1, territoryIds: [] })),
    );
    expect(desired.sites![0]).toMatchObject({ id: DEMO_SITE.id, body: { teamId: DEMO_SITE.teamId, name: DEMO_SITE.name, allowedOrigins: DEMO_SITE.allowedOrigins, dedupeWindowSeconds: DEMO_SITE.dedupeWindowSeconds } });
    expect(desired.policy).toEqual(DEFAULT_POLICY);
  });

  it("lets the demo form post from the origin the router serves it on, whatever its PORT", () => {
    const { desired } = readSetup(demo(), { router: "http://127.0.0.1:8792", port: "8792" });
    expect(desired.sites![0]!.body.allowedOrigins).toEqual(["http://127.0.0.1:8792", "http://localhost:8792"]);
  });

  it("plans every row on an empty router, the model and a CRM token included", () => {
    const { desired } = readSetup(demo(), VARS);
    const { changes } = planChanges(desired, emptyRouter(), MODEL);
    expect(changes.map((c) => `${c.action} ${c.entity} ${c.id}`)).toEqual([
      "create team demo",
      ...DEMO_REPS.map((r) => `create rep ${r.id}`),
      "create site pk_demo",
      "create policy v1",
      "create model lead-conversion 1.0.0",
      "create token crm (demo)",
    ]);
  });
});

describe("checking a folder", () => {
  it("reports every bad cell of every file at once, with file, line and column", () => {
    const { problems } = readSetup(
      {
        "teams.csv": "id,name\nwest,West\nBad Id,Nope\nwest,Again\n",
        "reps.csv": "id,team,name,email,role,max_open,max_per_day,timezone\nrep_a,west,A,a@x.example,ae,five,20,UTC\nrep_b,west,B,not-an-email,boss,5,20,Mars/Olympus\n",
        "sites.csv": "id,team,name,allowed_origins\nsite1,west,S,https://ok.example\n",
        "policy.json": '{\n  "tiers": [\n    { "name": "ae", "minProbability": 2, "pool": "ae" }\n  ]\n}\n',
      },
      VARS,
    );
    expect(where(problems)).toEqual(
      expect.arrayContaining([
        "teams.csv:3:id (column 1)",
        "teams.csv:4:id (column 1)",
        "reps.csv:2:max_open (column 6)",
        "reps.csv:3:email (column 4)",
        "reps.csv:3:role (column 5)",
        "reps.csv:3:timezone (column 8)",
        "sites.csv:2:id (column 1)",
        "policy.json:3:tiers.0.minProbability",
      ]),
    );
    expect(problems.find((p) => p.file === "teams.csv" && p.line === 4)!.message).toMatch(/duplicate id "west" \(first on line 2\)/);
    expect(formatProblem(problems.find((p) => p.file === "reps.csv" && p.line === 2)!)).toBe('reps.csv:2 max_open (column 6): "five" is not a whole number');
  });

  it("reports unknown and missing columns and short rows", () => {
    const { problems } = readSetup({ "reps.csv": "id,team,name,email,role,max_open,maxperday\n" , "teams.csv": "id,name\nwest\n" }, VARS);
    expect(problems.map(formatProblem)).toEqual([
      'teams.csv:2: 1 cells where the header has 2',
      expect.stringMatching(/^reps\.csv:1 column 7: unknown column "maxperday"/),
      'reps.csv:1: missing column "max_per_day"',
    ]);
  });

  it("checks references across files: teams, territories and owners exist and belong to the row's team", () => {
    const { problems } = readSetup(
      {
        "teams.csv": TEAMS,
        "territories.csv": TERRITORIES + "apac,north,APAC,JP\n",
        "reps.csv": REPS + "rep_b,west,B,b@x.example,sdr,5,20,emea;nowhere,\n",
        "accounts.csv": "domain,team,name,owner,territory\nbig.example,east,Big,rep_a,na\n",
      },
      VARS,
    );
    expect(problems.map(formatProblem)).toEqual([
      'territories.csv:4 team: no team "north" in teams.csv or on the router',
      'reps.csv:3 territories: territory "emea" belongs to team "east", not "west"',
      'reps.csv:3 territories: no territory "nowhere" in territories.csv or on the router',
      'accounts.csv:2 owner: rep "rep_a" belongs to team "west", not "east"',
      'accounts.csv:2 territory: territory "na" belongs to team "west", not "east"',
    ]);
  });

  it("accepts references to what the router already holds", () => {
    const { problems } = readSetup({ "reps.csv": REPS }, VARS, { teams: ["west"], reps: [], territories: [{ id: "na", teamId: "west" }] });
    expect(problems).toEqual([]);
  });
});

describe("planning against a router", () => {
  const applied = (): Current => {
    const { desired } = readSetup({ "teams.csv": TEAMS, "territories.csv": TERRITORIES, "reps.csv": REPS }, VARS);
    return {
      ...emptyRouter(),
      teams: desired.teams!.map((t) => ({ id: t.id, ...t.body })),
      territories: desired.territories!.map((t) => ({ id: t.id, ...t.body, industries: [], minEmployees: null, maxEmployees: null })),
      reps: desired.reps!.map((r) => ({ id: r.id, ...r.body, status: "out_of_office", outOfOfficeUntil: Date.UTC(2030, 0, 1), weight: 1, winRateFactor: 1, segments: [] })),
      tokens: ["west", "east"].map((teamId) => ({ id: `tok_${teamId}`, name: `crm (${teamId})`, scopes: ["crm:read", "crm:write"], teamId, revokedAt: null })),
      models: [{ ...MODEL, status: "active" }],
    };
  };

  it("plans nothing when the router already matches the folder", () => {
    const { desired } = readSetup({ "teams.csv": TEAMS, "territories.csv": TERRITORIES, "reps.csv": REPS }, VARS);
    expect(planChanges(desired, applied(), MODEL)).toEqual({ changes: [], problems: [], unchanged: 5 });
  });

  it("updates only what changed, keeping fields the folder has no column for (a rep's out-of-office)", () => {
    const { desired } = readSetup({ "reps.csv": REPS.replace("ae,5,20", "ae,7,20") }, VARS);
    const { changes } = planChanges(desired, applied(), MODEL);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ action: "update", entity: "rep", id: "rep_a", fields: ["maxOpen: 5 → 7"], body: { maxOpen: 7, status: "out_of_office", outOfOfficeUntil: "2030-01-01T00:00:00.000Z" } });
  });

  it("refuses to update a site whose API-set secrets the update would erase", () => {
    const { desired } = readSetup({ "sites.csv": "id,team,name\npk_web,west,Web v2\n" }, VARS);
    const current = { ...applied(), sites: [{ id: "pk_web", teamId: "west", name: "Web", signingSecrets: 1, turnstile: false }] };
    const { changes, problems } = planChanges(desired, current, MODEL);
    expect(changes).toEqual([]);
    expect(problems.map(formatProblem)).toEqual([expect.stringMatching(/^sites\.csv:2: site pk_web has signing or Turnstile secrets/)]);
  });

  it("stores the folder's policy over the built-in default, and a changed one as a new version", () => {
    const policy = JSON.stringify({ ...DEFAULT_POLICY, slaMinutes: 30 });
    const { desired } = readSetup({ "policy.json": policy }, VARS);
    expect(planChanges(desired, applied(), MODEL).changes.map((c) => [c.entity, c.id])).toEqual([["policy", "v1"]]);
    const stored = { ...applied(), policy: { version: 3, policy: DEFAULT_POLICY } };
    expect(planChanges(desired, stored, MODEL).changes.map((c) => [c.entity, c.id])).toEqual([["policy", "after v3"]]);
    expect(planChanges(desired, { ...stored, policy: { version: 4, policy: desired.policy! } }, MODEL).changes).toEqual([]);
  });

  it("stores a team's own policy from policies/<team>.json for that team, and leaves it alone once it routes under it", () => {
    const policy = { ...DEFAULT_POLICY, slaMinutes: 15 };
    const { desired, problems } = readSetup({ "teams.csv": TEAMS, "policies/west.json": JSON.stringify(policy) }, VARS);
    expect(problems).toEqual([]);
    const onDefault = { ...applied(), teamPolicies: { west: { version: 1, policy: DEFAULT_POLICY, owner: null } } };
    const change = planChanges(desired, onDefault, MODEL).changes.find((c) => c.entity === "policy")!;
    expect(change).toMatchObject({ id: "team west", method: "POST", path: "/v1/policies?team=west", body: { policy: desired.teamPolicies.west } });
    const own = { ...applied(), teamPolicies: { west: { version: 7, policy: desired.teamPolicies.west!, owner: "west" } } };
    expect(planChanges(desired, own, MODEL).changes.filter((c) => c.entity === "policy")).toEqual([]);
    const changed = { ...applied(), teamPolicies: { west: { version: 7, policy: DEFAULT_POLICY, owner: "west" } } };
    expect(planChanges(desired, changed, MODEL).changes.filter((c) => c.entity === "policy").map((c) => c.id)).toEqual(["team west after v7"]);
  });

  it("refuses a team policy file for a team that is neither in teams.csv nor on the router, or with a bad name or body", () => {
    const { problems } = readSetup({ "teams.csv": TEAMS, "policies/north.json": JSON.stringify(DEFAULT_POLICY), "policies/West Team.json": "{}", "policies/east.json": '{"tiers": 3}' }, VARS);
    expect(problems.map(formatProblem)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^policies\/north\.json.*no team north/),
        expect.stringMatching(/^policies\/West Team\.json.*team id/),
        expect.stringMatching(/^policies\/east\.json.*tiers/),
      ]),
    );
    expect(readSetup({ "teams.csv": TEAMS, "policies/north.json": JSON.stringify(DEFAULT_POLICY) }, VARS, { teams: ["north"], reps: [], territories: [] }).problems).toEqual([]);
  });

  it("sets a team's model family and retention from teams.csv, and keeps them when the file has no such column", () => {
    const withFamily = "id,name,model_family,retention_days\nwest,West team,west-scorer,30\neast,East team,,\n";
    const { desired, problems } = readSetup({ "teams.csv": withFamily }, VARS);
    expect(problems).toEqual([]);
    const teams = planChanges(desired, applied(), MODEL).changes.filter((c) => c.entity === "team");
    // Empty cells are the API's defaults (null: the default family, kept forever).
    expect(teams.map((c) => [c.id, c.body])).toEqual([
      ["west", { name: "West team", modelFamily: "west-scorer", retentionDays: 30 }],
      ["east", { name: "East team", modelFamily: null, retentionDays: null }],
    ]);
    const router = { ...applied(), teams: [{ id: "west", name: "West team", modelFamily: "west-scorer", retentionDays: 30 }, { id: "east", name: "East team", modelFamily: null, retentionDays: null }] };
    expect(planChanges(desired, router, MODEL).changes.filter((c) => c.entity === "team")).toEqual([]);
    // A teams.csv without those columns leaves the router's settings as they are.
    expect(planChanges(readSetup({ "teams.csv": TEAMS }, VARS).desired, router, MODEL).changes.filter((c) => c.entity === "team")).toEqual([]);
    expect(readSetup({ "teams.csv": "id,name,retention_days\nwest,West,soon\n" }, VARS).problems.map(formatProblem)).toEqual([expect.stringMatching(/^teams\.csv:2 retention_days/)]);
  });
});
