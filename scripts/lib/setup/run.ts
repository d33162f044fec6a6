/**
 * `npm run setup` as a function (the CLI and `npm start` both call it): read and check the folder, get an
 * admin token (creating the first one with the bootstrap secret if that is what was given), read the
 * router's state, plan, and apply the plan through the public admin API, in order.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { DEFAULT_MODEL_DIR } from "../default-model.ts";
import { prepareModel, uploadModel } from "../model-upload.ts";
import { FILE_SPECS, POLICY_FILE, TEAM_POLICY_DIR } from "./columns.ts";
import { describeChange, planChanges, type Change, type Current } from "./plan.ts";
import { formatProblem, readSetup, type Known, type Problem } from "./validate.ts";

export type SetupOptions = {
  url: string;
  /** An admin token, or the router's BOOTSTRAP_TOKEN (then the first admin token is created and returned). */
  token: string;
  dir: string;
  dryRun?: boolean;
  /** The model uploaded (and activated) when the router has none. */
  modelDir?: string;
  log?: (line: string) => void;
};

export type SetupResult = {
  problems: Problem[];
  changes: Change[];
  /** Set when the token given was the bootstrap secret: the new admin token, shown once. */
  adminToken: string | null;
  /** CRM tokens created by this run (teams that had none), shown once. */
  crmTokens: { teamId: string; secret: string }[];
};

/** A refusal with a one-line message (the CLI prints it without a stack). */
export class SetupError extends Error {}

/** The folder's files that setup knows, as text (absent ones undefined), and each `policies/*.json`. */
export function readFolder(dir: string): Record<string, string | undefined> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new SetupError(`${dir} is not a folder`);
  const policies = join(dir, TEAM_POLICY_DIR);
  const teamFiles = existsSync(policies) && statSync(policies).isDirectory() ? readdirSync(policies).filter((f) => f.endsWith(".json")).map((f) => `${TEAM_POLICY_DIR}/${f}`) : [];
  return Object.fromEntries([...FILE_SPECS.map((s) => s.file), POLICY_FILE, ...teamFiles].map((f) => [f, existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8") : undefined]));
}

const EMPTY: Current = { teams: [], territories: [], reps: [], accounts: [], sites: [], tokens: [], policy: { version: 0, policy: null as never }, teamPolicies: {}, models: [] };

export async function runSetup(opts: SetupOptions): Promise<SetupResult> {
  const log = opts.log ?? (() => undefined);
  const base = new URL(opts.url);
  const vars = { router: base.origin, port: base.port || (base.protocol === "https:" ? "443" : "80") };
  const reason = `setup from ${basename(opts.dir.replace(/\/+$/, "")) || opts.dir}`;
  const files = readFolder(opts.dir);
  const result: SetupResult = { problems: [], changes: [], adminToken: null, crmTokens: [] };

  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(new URL(path, base), {
      method,
      headers: { authorization: `Bearer ${token}`, "x-audit-reason": reason, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).catch((err: unknown) => {
      throw new SetupError(`cannot reach ${base.origin}: ${err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err)}`);
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON: reported below with the status
    }
    return { status: res.status, json, text };
  };
  const ok = async <T>(token: string, method: string, path: string, body?: unknown): Promise<T> => {
    const res = await call(token, method, path, body);
    if (res.status >= 300) throw new SetupError(`${method} ${path}: ${res.status} ${(res.json as { error?: { message?: string } } | null)?.error?.message ?? res.text.slice(0, 200)}`);
    return res.json as T;
  };

  // Which token is it? An admin token lists tokens; anything else is tried as the bootstrap secret later.
  const probe = await call(opts.token, "GET", "/v1/admin/tokens");
  if (probe.status === 403) throw new SetupError("that token is not an admin token: pass an admin token or the router's BOOTSTRAP_TOKEN");
  if (probe.status !== 200 && probe.status !== 401) throw new SetupError(`GET /v1/admin/tokens: ${probe.status} ${probe.text.slice(0, 200)}`);
  const isAdmin = probe.status === 200;

  // Everything in the folder is checked before anything is written, the first admin token included.
  const first = readSetup(files, vars);
  if (!isAdmin && first.problems.length > 0) return { ...result, problems: first.problems };

  let admin = opts.token;
  let current = EMPTY;
  if (!isAdmin && opts.dryRun) {
    log("the token is not an admin token: if it is the bootstrap secret, the first run creates an admin token; planned against an empty router");
  } else {
    if (!isAdmin) {
      const boot = await call(opts.token, "POST", "/v1/bootstrap", { name: "admin (setup)" });
      if (boot.status === 409) throw new SetupError("this router already has an admin token: pass it with --token");
      if (boot.status === 403) throw new SetupError("the token is not an admin token, and the router has no usable BOOTSTRAP_TOKEN");
      if (boot.status !== 201) throw new SetupError("the token is neither an admin token nor the router's bootstrap secret");
      admin = (boot.json as { secret: string }).secret;
      result.adminToken = admin;
      log(`+ admin token (created with the bootstrap secret; shown once): ${admin}`);
    }
    const [teams, territories, reps, accounts, sites, tokens, policy, models] = await Promise.all([
      ok<{ data: Current["teams"] }>(admin, "GET", "/v1/admin/teams"),
      ok<{ data: Current["territories"] }>(admin, "GET", "/v1/admin/territories"),
      ok<{ data: Current["reps"] }>(admin, "GET", "/v1/admin/reps"),
      ok<{ data: Current["accounts"] }>(admin, "GET", "/v1/admin/accounts"),
      ok<{ data: Current["sites"] }>(admin, "GET", "/v1/admin/sites"),
      ok<{ data: Current["tokens"] }>(admin, "GET", "/v1/admin/tokens"),
      ok<Current["policy"]>(admin, "GET", "/v1/policies/active"),
      ok<{ data: Current["models"] }>(admin, "GET", "/v1/models"),
    ]);
    // What each team with a policy file routes under now (a team not on the router yet has none).
    const teamPolicies: Current["teamPolicies"] = {};
    for (const team of Object.keys(first.desired.teamPolicies)) {
      const res = await call(admin, "GET", `/v1/policies/active?team=${encodeURIComponent(team)}`);
      if (res.status === 200) teamPolicies[team] = res.json as Current["teamPolicies"][string];
      else if (res.status !== 404) throw new SetupError(`GET /v1/policies/active?team=${team}: ${res.status} ${res.text.slice(0, 200)}`);
    }
    current = { teams: teams.data, territories: territories.data, reps: reps.data, accounts: accounts.data, sites: sites.data, tokens: tokens.data, policy, teamPolicies, models: models.data };
  }

  const known: Known = {
    teams: current.teams.map((t) => String(t.id)),
    reps: current.reps.map((r) => ({ id: String(r.id), teamId: String(r.teamId) })),
    territories: current.territories.map((t) => ({ id: String(t.id), teamId: String(t.teamId) })),
  };
  const { desired, problems } = readSetup(files, vars, known);
  if (problems.length > 0) return { ...result, problems };
  const modelDir = opts.modelDir ?? DEFAULT_MODEL_DIR;
  const manifest = JSON.parse(readFileSync(join(modelDir, "manifest.json"), "utf8")) as { name: string; version: string };
  const plan = planChanges(desired, current, manifest);
  if (plan.problems.length > 0) return { ...result, problems: plan.problems };
  result.changes = plan.changes;
  for (const change of plan.changes) log(describeChange(change));
  log(plan.changes.length === 0 ? `no changes (${plan.unchanged} already as the folder says)` : `${plan.changes.length} change(s), ${plan.unchanged} unchanged${opts.dryRun ? " — dry run: nothing written" : ""}`);
  if (opts.dryRun) return result;

  let done = 0;
  try {
    for (const change of plan.changes) {
      await applyChange(change);
      done++;
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new SetupError(`${describeChange(plan.changes[done]!)} failed: ${message} (${done} of ${plan.changes.length} changes were applied before it; run setup again once fixed)`);
  }
  return result;

  async function applyChange(change: Change): Promise<void> {
    if (change.entity === "model") {
      await uploadModel(base.href, admin, await prepareModel(modelDir), { to: "active", reason });
    } else if (change.entity === "policy") {
      await ok(admin, "POST", change.path, { ...change.body, reason, activate: true });
    } else if (change.entity === "token") {
      const made = await ok<{ secret: string; teamId: string }>(admin, "POST", change.path, change.body);
      result.crmTokens.push({ teamId: made.teamId, secret: made.secret });
      log(`  CRM token for team ${made.teamId} (shown once): ${made.secret}`);
    } else {
      await ok(admin, change.method, change.path, change.body);
    }
  }
}

export { formatProblem };
