import type { BatchItem } from "drizzle-orm/batch";
import { capsOf, readSnapshots, withoutHints } from "../capacity/capacity-client.ts";
import type { CapacitySnapshot, RepCaps } from "../capacity/rep-capacity.ts";
import { getDb, type Db } from "../db/client.ts";
import type { RepRow, RoutingFacts } from "../db/routing-facts.ts";
import { eventsSince, loadLeadSignals, loadSignals, signalsWithoutEvents } from "../signals/load-signals.ts";
import { noEventsCheck, teamHasEvents } from "../signals/team-events.ts";
import { newId } from "../lib/hashing.ts";
import { driftGuardReason } from "../monitoring/drift-check.ts";
import { liveModelRows, type LoadedModel } from "../scoring/model-store.ts";
import { scorePayloads, type Score } from "../scoring/score.ts";
import type { Signals } from "../signals/aggregates.ts";
import { featureInput, featureProvenance, usesSignals, type FeatureProvenance } from "../signals/feature-input.ts";
import { availabilityOf } from "./availability.ts";
import { accountDomainCandidates } from "./domains.ts";
import { liveModelsForLead, policyForLead, runningForLead } from "./experiment-arm.ts";
import { cachedAccountContexts, cachedRoutingFacts, lastKnownReps } from "./facts-cache.ts";
import { rulesOnlyReason } from "./rules-only.ts";
import { prefetchSkewWindow, skewGuardReason } from "./skew-guard.ts";
import { planRoute, repFacts, type AccountFacts, type RepFacts, type TerritoryFacts } from "./plan.ts";
import type { Policy } from "./policy.ts";

/** What a reservation on a rep's Durable Object answered. */
export type Attempt = { result: "reserved" | "max_open" | "max_per_day" | "error"; detail?: string };

/** The lead as the decision sees it. */
export type ContextLead = { id: string; teamId: string; email: string; payload: Record<string, unknown>; inputHash: string; consent?: boolean | null };

/**
 * Everything one decision depends on, gathered by I/O (models, policy, facts, signals, guards, snapshots)
 * so that `decide` is a pure function of it. Live routing, replay and simulation build one and call the
 * same `decide`; reservations the live path made are `attempts`, so the final decision is decided again
 * with what the reps' objects answered.
 */
export type DecisionContext = {
  decisionId: string;
  lead: ContextLead;
  now: number;
  policy: Policy;
  policyVersion: number;
  /** The model routing used (null on rules only) and its score. */
  model: { name: string; version: string; sha256: string } | null;
  score: Score | null;
  /** Why routing is on rules only, when it is. */
  fallbackReason: string | null;
  shadow: { version: string; sha256: string; probability: number } | null;
  provenance: { asOf: number; features: Record<string, FeatureProvenance> } | null;
  reps: readonly RepFacts[];
  account: AccountFacts | null;
  territories: readonly TerritoryFacts[];
  snapshots: ReadonlyMap<string, CapacitySnapshot>;
  attempts: ReadonlyMap<string, Attempt>;
  excludeReps: readonly string[];
  supersedes: string | null;
  trigger: string | null;
};

export type ContextOptions = {
  /** Reps that may not get the lead (e.g. the rep who just rejected it). */
  excludeReps?: readonly string[];
  /** The decision this one replaces, kept in its lineage. */
  supersedes?: string;
  /** What caused this decision (e.g. `nurture-forward`), kept in its reason and lineage. */
  trigger?: string;
  /** The lead's routing facts, when already read; else from the isolate's cache. */
  facts?: RoutingFacts;
  /** The time the decision is made as of (default now). */
  now?: number;
  /** Runs work after the answer (ExecutionContext.waitUntil): stale capacity hints are refreshed there. */
  background?: (work: Promise<unknown>) => void;
  /** Decide under this policy instead of the lead's (a simulation's draft). */
  policy?: { version: number; policy: Policy };
  /**
   * Read the lead's signals from the nearest D1 read replica (Sessions API), as fresh as this bookmark when
   * given (`null`: whatever the replica has). Absent: from the primary (replay, the cron, reports).
   * `skipEmptyTeams`: a lead of a team with no events (this isolate's view) is decided without reading them,
   * and `checks` proves it in the write (the live path; not with a bookmark, whose client just wrote events).
   */
  replica?: { bookmark: string | null; skipEmptyTeams?: boolean };
};

/**
 * A loaded context, with what only the live path needs: each rep's caps for reserving, and `checks`, statements
 * its write must carry to prove what the context assumed instead of reading (they fail the batch if wrong).
 */
export type LoadedContext = { context: DecisionContext; caps: Map<string, RepCaps>; checks: BatchItem<"sqlite">[]; stages: { context: number; signals: number; score: number; snapshots: number } };

async function scoreOrError(model: LoadedModel | undefined, input: unknown): Promise<Score | string> {
  if (!model) return "no model";
  try {
    return (await scorePayloads(model, [input]))[0]!;
  } catch (err) {
    return `scoring failed: ${String(err)}`;
  }
}

/**
 * Why the model must stay out of routing by the policy's guards, or null: the drift guard (./drift-check.ts),
 * else the skew guard (./skew-guard.ts). Their reads go out together; the skew guard is only consulted (and
 * its alert only raised) when the drift guard lets the model route.
 */
async function guardReason(env: Env, db: Db, policy: Policy, active: LoadedModel | undefined, teamId: string): Promise<string | null> {
  const rules = active ? policy.guardrail : null;
  const window = rules ? prefetchSkewWindow(db, rules, teamId) : undefined;
  window?.catch(() => undefined);
  const drift = await driftGuardReason(env, policy, active);
  if (drift || !rules) return drift;
  // A failed prefetch is read again (and fails the lead as before if it fails again).
  await window!.catch(() => undefined);
  return skewGuardReason(db, rules, teamId);
}

/**
 * Gathers a decision's context for a lead: its experiment arms' policy and models, the team's facts (isolate
 * cache), signal aggregates when a live model names them, the drift and skew guards, the score (and shadow
 * score), and capacity snapshots of the reps the plan could use (per-isolate hints, else their objects).
 */
export async function loadDecisionContext(env: Env, lead: ContextLead & { receivedAt: number }, options: ContextOptions = {}): Promise<LoadedContext> {
  const t0 = performance.now();
  const db = getDb(env.DB);
  const replica = options.replica;
  const session = replica ? env.DB.withSession(replica.bookmark ?? "first-unconstrained") : undefined;
  // Whether the lead's team has signal events at all (the live path, see ../signals/team-events.ts) is read
  // beside the rest, not after it: every read below that needs only the lead starts now.
  const teamEvents = replica?.skipEmptyTeams && !replica.bookmark && !options.facts ? teamHasEvents(session!, lead.teamId) : undefined;
  teamEvents?.catch(() => undefined);
  // A running experiment may put the lead under a challenger model or another policy version (one read of them
  // for both, this request's own).
  const experiments = runningForLead(env);
  const [models, { version: policyVersion, policy }, facts, switchedToRules] = await Promise.all([
    liveModelsForLead(env, lead.id, lead.teamId, experiments),
    options.policy ?? policyForLead(env, lead.id, lead.teamId, experiments),
    options.facts ?? cachedRoutingFacts(env, lead.teamId, lead.email),
    // A team's deliberate rules-only switch (see ./rules-only.ts).
    rulesOnlyReason(env, lead.teamId),
  ]);
  const asOf = options.now ?? Date.now();
  const specs = [models.active, models.shadow].flatMap((m) => m?.manifest.features ?? []);
  const checks: BatchItem<"sqlite">[] = [];

  const readSignals = async (): Promise<{ signals: Signals | null; error: string | null; ms: number }> => {
    const tSignals = performance.now();
    if (!usesSignals(specs)) return { signals: null, error: null, ms: 0 };
    try {
      const subject = { leadId: lead.id, teamId: lead.teamId, email: lead.email, receivedAt: lead.receivedAt, asOf };
      // The team's accounts come from its cached facts when it has few enough; then one statement reads the events.
      const accounts = options.facts ? null : await cachedAccountContexts(env, lead.teamId);
      const read = async (from: D1Database | D1DatabaseSession) =>
        accounts ? loadLeadSignals(from, subject, accounts) : (await loadSignals(getDb(from as D1Database), lead.teamId, [subject])).get(lead.id)!;
      let signals: Signals;
      if (teamEvents && accounts && !(await teamEvents)) {
        // A team with no events: no read; the write proves the lead has none (see ../signals/team-events.ts).
        signals = signalsWithoutEvents(subject, accounts);
        checks.push(noEventsCheck(db, { teamId: lead.teamId, email: lead.email, since: eventsSince(asOf) }, accountDomainCandidates(lead.email)));
      } else if (session) {
        // From the nearest replica; a bookmark D1 refuses (a client's) costs a second read, unconstrained, never the model.
        signals = await read(session).catch((err: unknown) => (replica?.bookmark ? read(env.DB.withSession("first-unconstrained")) : Promise.reject(err)));
      } else {
        signals = await read(env.DB);
      }
      return { signals, error: null, ms: performance.now() - tSignals };
    } catch (err) {
      return { signals: null, error: `signals unavailable: ${String(err)}`, ms: performance.now() - tSignals };
    }
  };
  // The signals, the guards' reads and (live leads) the counters the lead has no hint of go out together.
  const [{ signals, error: signalError, ms: signalsMs }, guard] = await Promise.all([
    readSignals(),
    guardReason(env, db, policy, models.active, lead.teamId),
    replica ? readCountersEarly(env, facts.reps, Date.now()) : undefined,
  ]);
  const input = featureInput(lead.payload, signals);
  const t1 = performance.now();
  const [scored, shadow] = await Promise.all([
    switchedToRules ?? signalError ?? guard ?? scoreOrError(models.active, input),
    models.shadow && !signalError ? scoreOrError(models.shadow, input) : Promise.resolve(undefined),
  ]);
  const score = typeof scored === "string" ? null : scored;
  const model = score && models.active ? models.active : null;
  const t2 = performance.now();

  const now = options.now ?? Date.now();
  const reps = facts.reps.map(repFacts);
  const context: DecisionContext = {
    decisionId: newId("dec"),
    lead: { id: lead.id, teamId: lead.teamId, email: lead.email, payload: lead.payload, inputHash: lead.inputHash, consent: lead.consent ?? null },
    now,
    policy,
    policyVersion,
    model: model ? { name: model.name, version: model.version, sha256: model.sha256 } : null,
    score,
    fallbackReason: score ? null : (models.error ?? (scored as string)),
    shadow: shadow && typeof shadow !== "string" && models.shadow ? { version: models.shadow.version, sha256: models.shadow.sha256, probability: shadow.probability } : null,
    provenance: model ? { asOf, features: featureProvenance(model.manifest.features, input, signals) } : null,
    reps,
    account: facts.account,
    territories: facts.territories,
    snapshots: new Map(),
    attempts: new Map(),
    excludeReps: options.excludeReps ?? [],
    supersedes: options.supersedes ?? null,
    trigger: options.trigger ?? null,
  };
  // Only reps the plan could use, and that are at work, are worth a round trip to their Durable Object.
  const rows = new Map(facts.reps.map((r) => [r.id, r]));
  const wanted = planRoute(planInput(context)).candidates.map((c) => rows.get(c.repId)!).filter((r) => availabilityOf(repFacts(r), now).available);
  const { snapshots } = await readSnapshots(env, wanted, { hints: true, background: options.background });
  return {
    context: { ...context, snapshots },
    caps: new Map(facts.reps.map((r) => [r.id, capsOf(r)])),
    checks,
    stages: { context: t1 - t0, signals: signalsMs, score: t2 - t1, snapshots: performance.now() - t2 },
  };
}

/** At most this many reps' counters are read early (a bigger team's others, when the plan wants them, after scoring). */
const MAX_EARLY_COUNTERS = 20;

/**
 * Reads the counters of the reps at work, of `reps`, that a lead would otherwise read from their objects after
 * scoring (no usable hint: an isolate idle for a while, a rep not asked yet), so they go out beside other
 * reads instead. Never rejects (a failed read is read again by the lead).
 */
async function readCountersEarly(env: Env, reps: readonly RepRow[], now: number): Promise<void> {
  // Hints first: on a warm isolate they leave no rep, and availability is then worked out for none.
  const due = withoutHints(reps, now).filter((r) => availabilityOf(repFacts(r), now).available).slice(0, MAX_EARLY_COUNTERS);
  if (due.length > 0) await readSnapshots(env, due);
}

/**
 * Reads into this isolate's caches what loading a lead of `teamId` reads first — the team's settings and
 * models, its policy, its facts, the running experiments, the rules-only switches and (`replica`, the live
 * path) whether it has signal events — so that loading a lead after this finds them; and the counters of the
 * team's reps at work (as this isolate last knew the team), so ranking it waits for no Durable Object. With no
 * team (an isolate that never read the site), what every team's lead reads: the running experiments, the
 * rules-only switches and the default family's model registry. The intake runs it beside the site's read
 * (../intake/sites.ts siteToRead). Never rejects.
 */
export async function warmContext(env: Env, teamId: string | undefined, replica: boolean): Promise<void> {
  const experiments = runningForLead(env);
  if (teamId === undefined) {
    // The switches are read for every team at once. The default family's registry only: its models load once
    // the team's reads are out (../routing/experiment-arm.ts), not here, where loading them would hold the
    // isolate's one thread while the site's answer waits.
    await Promise.allSettled([experiments, liveModelRows(env, env.MODEL_NAME), rulesOnlyReason(env, "")]);
    return;
  }
  await Promise.allSettled([
    readCountersEarly(env, lastKnownReps(teamId) ?? [], Date.now()),
    liveModelsForLead(env, "", teamId, experiments),
    policyForLead(env, "", teamId, experiments),
    cachedAccountContexts(env, teamId),
    rulesOnlyReason(env, teamId),
    replica ? teamHasEvents(env.DB.withSession("first-unconstrained"), teamId) : undefined,
  ]);
}

/** The plan's input a context describes. */
export function planInput(context: DecisionContext) {
  return {
    payload: context.lead.payload,
    probability: context.score?.probability ?? null,
    policy: context.policy,
    reps: context.reps,
    account: context.account,
    territories: context.territories,
    snapshots: context.snapshots,
    excludeReps: new Set(context.excludeReps),
    now: context.now,
    consent: context.lead.consent ?? null,
  };
}
