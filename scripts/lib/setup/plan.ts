/**
 * What applying a setup folder would change on a router: pure, from the folder's desired state and the
 * router's current state (read over the admin API). Rows equal to what the router holds are left alone,
 * so a second run plans nothing. Fields a file has no column for keep their current values (a rep's
 * out-of-office status, a site's signing secrets), and setup never deletes.
 */
import { canonicalJson } from "../../../src/lib/hashing.ts";
import type { Policy } from "../../../src/routing/policy.ts";
import type { Desired, Problem, Row } from "./validate.ts";

type Obj = Record<string, unknown>;

/** The router's state as the admin API lists it. */
export type Current = {
  teams: Obj[];
  territories: Obj[];
  reps: Obj[];
  accounts: Obj[];
  sites: Obj[];
  tokens: { id: string; name: string; scopes: string[]; teamId: string | null; revokedAt: number | null }[];
  policy: { version: number; policy: Policy };
  /** Per team named by a `policies/<team>.json`: what it routes under now (owner null: the default policy; absent: no such team yet). */
  teamPolicies: Record<string, { version: number; policy: Policy; owner: string | null }>;
  models: { name: string; version: string; status: string }[];
};

export type Entity = "team" | "territory" | "rep" | "account" | "site" | "policy" | "model" | "token";

export type Change = {
  entity: Entity;
  id: string;
  action: "create" | "update";
  method: "PUT" | "POST";
  path: string;
  body: Obj | null;
  /** For updates: `field: before → after`. */
  fields: string[];
};

/** The fields each admin PUT takes, read off a listed row so an update can resend what the folder leaves alone. */
const BODY_FIELDS: Record<"team" | "territory" | "rep" | "account" | "site", string[]> = {
  team: ["name", "modelFamily", "retentionDays"],
  territory: ["teamId", "name", "countries", "industries", "minEmployees", "maxEmployees"],
  rep: ["teamId", "name", "email", "role", "timezone", "workingHours", "status", "outOfOfficeUntil", "weight", "maxOpen", "maxPerDay", "winRateFactor", "territoryIds", "segments"],
  account: ["name", "teamId", "ownerRepId", "strategic", "industry", "employees", "arr", "territoryId"],
  site: ["name", "teamId", "allowedOrigins", "thankYouUrl", "requireSignature", "dedupeWindowSeconds"],
};

const PATHS = { team: "/v1/admin/teams/", territory: "/v1/admin/territories/", rep: "/v1/admin/reps/", account: "/v1/admin/accounts/", site: "/v1/admin/sites/" } as const;

const show = (v: unknown) => (v === undefined ? "—" : JSON.stringify(v));

/** A listed row as a PUT body (the rep's out-of-office time goes back as ISO, as the API takes it). */
function asBody(entity: keyof typeof BODY_FIELDS, row: Obj): Obj {
  const body = Object.fromEntries(BODY_FIELDS[entity].map((f) => [f, row[f]]));
  if (entity === "rep") body.outOfOfficeUntil = typeof row.outOfOfficeUntil === "number" ? new Date(row.outOfOfficeUntil).toISOString() : null;
  return body;
}

/** The CRM token setup makes for a team (one per team, found again by team and scope). */
export const crmTokenBody = (teamId: string) => ({ name: `crm (${teamId})`, scopes: ["crm:read", "crm:write"], teamId });

/**
 * Every change applying `desired` to `current` makes, in the order they must run, with problems only
 * the router's state reveals (a site whose secrets an update would erase).
 */
export function planChanges(desired: Desired, current: Current, model: { name: string; version: string }): { changes: Change[]; problems: Problem[]; unchanged: number } {
  const changes: Change[] = [];
  const problems: Problem[] = [];
  let unchanged = 0;
  const rows = (entity: keyof typeof BODY_FIELDS, file: string, wanted: Row[] | null, have: Obj[], key = "id") => {
    const byId = new Map(have.map((r) => [String(r[key]), r]));
    for (const row of wanted ?? []) {
      const path = `${PATHS[entity]}${encodeURIComponent(row.id)}`;
      const now = byId.get(row.id);
      if (!now) {
        changes.push({ entity, id: row.id, action: "create", method: "PUT", path, body: row.body, fields: [] });
        continue;
      }
      const fields = row.managed.filter((f) => canonicalJson(row.body[f]) !== canonicalJson(now[f])).map((f) => `${f}: ${show(now[f])} → ${show(row.body[f])}`);
      if (fields.length === 0) {
        unchanged++;
        continue;
      }
      if (entity === "site" && ((now.signingSecrets as number) > 0 || now.turnstile === true)) {
        problems.push({ file, line: row.line, column: null, message: `site ${row.id} has signing or Turnstile secrets set through the API, which an update from here would erase; change it with PUT ${path} instead` });
        continue;
      }
      changes.push({ entity, id: row.id, action: "update", method: "PUT", path, body: { ...asBody(entity, now), ...row.body }, fields });
    }
  };
  rows("team", "teams.csv", desired.teams, current.teams);
  rows("territory", "territories.csv", desired.territories, current.territories);
  rows("rep", "reps.csv", desired.reps, current.reps);
  rows("account", "accounts.csv", desired.accounts, current.accounts, "domain");
  rows("site", "sites.csv", desired.sites, current.sites);

  // Version 0 is the router's built-in default, not a stored policy: store the folder's even if equal.
  if (desired.policy) {
    if (current.policy.version === 0 || canonicalJson(desired.policy) !== canonicalJson(current.policy.policy)) {
      changes.push({ entity: "policy", id: current.policy.version === 0 ? "v1" : `after v${current.policy.version}`, action: current.policy.version === 0 ? "create" : "update", method: "POST", path: "/v1/policies", body: { policy: desired.policy }, fields: [] });
    } else unchanged++;
  }

  // A team's own policy: stored (and activated) for the team when it runs on the default or on another one.
  for (const [team, policy] of Object.entries(desired.teamPolicies)) {
    const now = current.teamPolicies[team];
    const own = now?.owner === team;
    if (own && canonicalJson(policy) === canonicalJson(now.policy)) {
      unchanged++;
      continue;
    }
    changes.push({ entity: "policy", id: own ? `team ${team} after v${now.version}` : `team ${team}`, action: own ? "update" : "create", method: "POST", path: `/v1/policies?team=${encodeURIComponent(team)}`, body: { policy }, fields: [] });
  }

  if (current.models.length === 0) changes.push({ entity: "model", id: `${model.name} ${model.version}`, action: "create", method: "POST", path: "/v1/models", body: null, fields: [] });

  for (const team of desired.teams ?? []) {
    const has = current.tokens.some((t) => t.teamId === team.id && t.revokedAt === null && t.scopes.includes("crm:read"));
    if (!has) changes.push({ entity: "token", id: `crm (${team.id})`, action: "create", method: "POST", path: "/v1/admin/tokens", body: crmTokenBody(team.id), fields: [] });
  }
  return { changes, problems, unchanged };
}

/** One line per change, as setup prints them. */
export function describeChange(c: Change): string {
  if (c.action === "create") return `+ ${c.entity} ${c.id}`;
  return `~ ${c.entity} ${c.id}: ${c.fields.join("; ") || "replaced"}`;
}
