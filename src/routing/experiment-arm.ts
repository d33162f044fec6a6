import { eq } from "drizzle-orm";
import { getDb } from "../db/client.ts";
import { experiments } from "../db/schema-governance.ts";
import { ttlCache } from "../lib/ttl-cache.ts";
import { getLiveModels, getModelVersion, liveModelRows, preloadModels, type LiveModels } from "../scoring/model-store.ts";
import { familyForTeam, knownFamily } from "../scoring/team-family.ts";
import { getActivePolicy, getPolicyVersion, type ActivePolicy } from "./policy-store.ts";

/*
 * Deterministic experiment assignment: a lead id hashed with the experiment id gives a point in [0, 1);
 * the holdout takes the first `holdoutShare` of the line, the arms split the rest by their shares. The
 * same lead always lands in the same arm of the same experiment, on every isolate, with no state.
 */

export type ArmSpec = { name: string; share: number };
export type ExperimentSpec = { id: string; holdoutShare: number; arms: readonly ArmSpec[] };

export const HOLDOUT = "holdout";

/** FNV-1a over UTF-16 code units, finished with murmur3's avalanche so near-identical ids spread out. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Where a lead falls on [0, 1) for an experiment (salting by experiment keeps experiments independent). */
export function bucketOf(experimentId: string, leadId: string): number {
  return hash32(`${experimentId}:${leadId}`) / 2 ** 32;
}

/** The arm (or `holdout`) of a lead. Arm shares are relative weights over what the holdout leaves. */
export function assignArm(experiment: ExperimentSpec, leadId: string): string {
  const u = bucketOf(experiment.id, leadId);
  if (u < experiment.holdoutShare) return HOLDOUT;
  const total = experiment.arms.reduce((s, a) => s + a.share, 0);
  let edge = experiment.holdoutShare;
  for (const arm of experiment.arms) {
    edge += ((1 - experiment.holdoutShare) * arm.share) / total;
    if (u < edge) return arm.name;
  }
  return experiment.arms[experiment.arms.length - 1]!.name;
}

export type ExperimentRow = typeof experiments.$inferSelect;

/** How long an isolate trusts its list of running experiments (as for the active policy). */
const EXPERIMENTS_TTL_MS = 5_000;
const running = ttlCache<"running", ExperimentRow[]>(EXPERIMENTS_TTL_MS);

export function invalidateExperiments(): void {
  running.invalidate();
}

export function runningExperiments(env: Env): Promise<ExperimentRow[]> {
  return running.get("running", () => getDb(env.DB).select().from(experiments).where(eq(experiments.status, "running")));
}

/**
 * The running experiment of `kind` a team's lead falls under: the team's own, else (for a team on the
 * default policy or model family) the one that splits the default's leads.
 */
function experimentFor(rows: readonly ExperimentRow[], kind: ExperimentRow["kind"], teamId: string, onDefault: boolean) {
  return rows.find((e) => e.kind === kind && e.teamId === teamId) ?? (onDefault ? rows.find((e) => e.kind === kind && e.teamId === null) : undefined);
}

/** The arm of `leadId` in an experiment, if any (holdout leads get the baseline). */
function armIn(exp: ExperimentRow | undefined, leadId: string) {
  if (!exp) return undefined;
  const name = assignArm(exp, leadId);
  return name === HOLDOUT ? undefined : exp.arms.find((a) => a.name === name);
}

/** The running experiments, never failing a lead (none when they cannot be read). */
export const runningForLead = (env: Env): Promise<ExperimentRow[]> => runningExperiments(env).catch(() => []);

/**
 * The policy a lead is routed under: its policy experiment arm's version, else its team's active one.
 * `experiments`: the running experiments, when the caller reads them for the models too (one read).
 */
export async function policyForLead(env: Env, leadId: string, teamId: string, experiments = runningForLead(env)): Promise<ActivePolicy> {
  const [active, rows] = await Promise.all([getActivePolicy(env, teamId), experiments]);
  const arm = armIn(experimentFor(rows, "policy", teamId, active.owner === null), leadId);
  if (arm?.policyVersion !== undefined) {
    const policy = await getPolicyVersion(env, arm.policyVersion).catch(() => undefined);
    if (policy) return { version: arm.policyVersion, policy, owner: active.owner };
  }
  return active;
}

/**
 * The models a lead is scored with: its team's model family (the default unless the team names its own),
 * with its model experiment arm's version as the routing model, else the family's active one.
 */
export async function liveModelsForLead(env: Env, leadId: string, teamId: string, experiments = runningForLead(env)): Promise<LiveModels> {
  // When the team's settings must be read, the default family's (most teams') registry is read and its models
  // loaded beside them, not after: on a new isolate, loading the model is the lead's longest piece of work.
  const guessed = knownFamily(env, teamId) === undefined ? liveModelRows(env, env.MODEL_NAME) : undefined;
  guessed?.catch(() => undefined);
  const preloaded = guessed && preloadModels(env, guessed);
  const family = await familyForTeam(env, teamId);
  // Awaited when the guess was right, so the sessions it loads are not loaded twice.
  if (family === env.MODEL_NAME) await preloaded;
  const [live, rows] = await Promise.all([getLiveModels(env, family, family === env.MODEL_NAME ? guessed : undefined), experiments]);
  const arm = armIn(experimentFor(rows, "model", teamId, family === env.MODEL_NAME), leadId);
  if (!arm?.modelVersion || arm.modelVersion === live.active?.version) return live;
  const challenger = await getModelVersion(env, family, arm.modelVersion).catch(() => undefined);
  return challenger ? { ...live, active: challenger, error: undefined } : live;
}
