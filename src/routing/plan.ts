import type { CapacitySnapshot } from "../capacity/rep-capacity.ts";
import type { AccountFacts, RepRow, TerritoryFacts } from "../db/routing-facts.ts";
import { readPath } from "../scoring/features.ts";
import { availabilityOf, type WorkingHours } from "./availability.ts";
import { accountDomainCandidates, normaliseDomain } from "./domains.ts";
import { segmentOf, tierForProbability, tierForRules, type Policy, type PolicyTier } from "./policy.ts";
import { hasRoom, rankCandidates } from "./rank.ts";

/** What routing needs to know of a rep; recorded in lineage so a decision can be replayed. */
export type RepFacts = {
  id: string;
  role: "ae" | "sdr";
  weight: number;
  winRateFactor: number;
  timezone: string;
  status: string;
  outOfOfficeUntil: number | null;
  workingHours: WorkingHours | null;
  territoryIds: string[];
  segments: string[];
};

export type { AccountFacts, TerritoryFacts };

// One facts object per row object: the isolate's facts cache hands every lead the same rows until it
// reloads, so leads share facts objects and lineage can reuse a facts set's hash (see factsVersion).
const factsOfRow = new WeakMap<RepRow, Readonly<RepFacts>>();

/** A rep's row as the facts routing records in lineage (the same object for the same row; never mutated). */
export function repFacts(r: RepRow): RepFacts {
  let facts = factsOfRow.get(r);
  if (!facts) {
    facts = Object.freeze({
      id: r.id,
      role: r.role,
      weight: r.weight,
      winRateFactor: r.winRateFactor,
      timezone: r.timezone,
      status: r.status,
      outOfOfficeUntil: r.outOfOfficeUntil,
      workingHours: r.workingHours ?? null,
      territoryIds: r.territoryIds,
      segments: r.segments,
    });
    factsOfRow.set(r, facts);
  }
  return facts;
}

export type PlanInput = {
  payload: Record<string, unknown>;
  /** Calibrated probability, or null when routing on rules only. */
  probability: number | null;
  policy: Policy;
  /** Every rep of the lead's team (any role). */
  reps: readonly RepFacts[];
  account: AccountFacts | null;
  territories: readonly TerritoryFacts[];
  snapshots: ReadonlyMap<string, CapacitySnapshot>;
  excludeReps?: ReadonlySet<string>;
  now: number;
  /** The lead's consent (its site's consent field): false keeps it out of nurture; null or absent when not asked. */
  consent?: boolean | null;
};

export type PlannedCandidate = {
  repId: string;
  stage: "owner" | "territory" | "pool";
  expectedValue: number;
  loadRatio: number;
  /** Free to take the lead as far as the plan can tell (status, hours, room in the snapshot). */
  available: boolean;
  /** Among the equals: the floor the rep's fair-share clock is lifted to when it takes the lead (./rank.ts). */
  fairFloor?: number;
  why?: string;
};

export type RoutePlan = {
  tier: PolicyTier;
  /** Why the tier was overridden, if it was. */
  escalated: string | null;
  /** Set when the lead's missing consent moved it off a nurture tier. */
  consentOverride: string | null;
  segment: string | null;
  dealValue: number;
  /** Candidates in the order to try them: available ones first, by stage, then by rank. */
  candidates: PlannedCandidate[];
  /** Where the lead waits if nobody takes it. */
  queue: "team" | "global";
};

function numberAt(payload: unknown, path: string): number | null {
  const v = Number(readPath(payload, path));
  return Number.isFinite(v) ? v : null;
}

function territoryMatches(t: TerritoryFacts, country: string, industry: string, employees: number | null): boolean {
  if (t.countries.length > 0 && !t.countries.map((c) => c.toLowerCase()).includes(country)) return false;
  if (t.industries.length > 0 && !t.industries.map((i) => i.toLowerCase()).includes(industry)) return false;
  if (t.minEmployees !== null && (employees === null || employees < t.minEmployees)) return false;
  if (t.maxEmployees !== null && (employees === null || employees > t.maxEmployees)) return false;
  return true;
}

function escalationOf(input: PlanInput, employees: number | null): string | null {
  const e = input.policy.escalation;
  if (!e) return null;
  const domains = accountDomainCandidates(String(input.payload.email ?? ""));
  const listed = e.domains.map(normaliseDomain).find((d) => domains.includes(d));
  if (listed) return `listed domain ${listed}`;
  if (e.strategicAccounts && input.account?.strategic) return `strategic account ${input.account.domain}`;
  if (e.minEmployees !== null && employees !== null && employees >= e.minEmployees) return `${employees} employees`;
  return null;
}

/**
 * Plans a lead's route without touching anything: tier (escalation first, then probability, or rules),
 * segment and deal value, then candidates — the account owner, reps whose territory and segment match,
 * the rest of the tier's pool — each stage ranked by expected value and fairness. Pure: the same input
 * gives the same plan, which is what makes replay and simulation possible.
 */
export function planRoute(input: PlanInput): RoutePlan {
  const { payload, policy } = input;
  const employees = numberAt(payload, "employees");
  const escalated = escalationOf(input, employees);
  const byName = (n: string) => policy.tiers.find((t) => t.name === n)!;
  const planned = escalated ? byName(policy.escalation!.tier) : input.probability === null ? tierForRules(policy, payload) : tierForProbability(policy, input.probability);
  // No consent, no nurture sequence: a lead without consent that would be nurtured goes to the policy's tier for it.
  const consentOverride = input.consent === false && planned.pool === null && policy.withoutConsentTier ? `no consent: tier ${policy.withoutConsentTier} instead of ${planned.name}` : null;
  const tier = consentOverride ? byName(policy.withoutConsentTier!) : planned;
  const segment = segmentOf(policy, employees);
  const declared = numberAt(payload, "deal_value");
  const dealValue = declared !== null && declared > 0 ? declared : (segment?.defaultDealValue ?? policy.defaultDealValue);
  const p = input.probability ?? 0;

  const excluded = input.excludeReps ?? new Set<string>();
  const owner = policy.ownerFirst && input.account?.ownerRepId ? input.reps.find((r) => r.id === input.account!.ownerRepId) : undefined;
  const pool = tier.pool ? input.reps.filter((r) => r.role === tier.pool && r.id !== owner?.id && !excluded.has(r.id)) : [];
  if (!tier.pool) return { tier, escalated, consentOverride, segment: segment?.name ?? null, dealValue, candidates: [], queue: "global" };

  const country = String(readPath(payload, "country") ?? "").trim().toLowerCase();
  const industry = String(readPath(payload, "industry") ?? "").trim().toLowerCase();
  const matching = new Set(input.territories.filter((t) => territoryMatches(t, country, industry, employees)).map((t) => t.id));
  const fits = (r: RepFacts) => r.territoryIds.some((id) => matching.has(id)) && (r.segments.length === 0 || (segment !== null && r.segments.includes(segment.name)));

  const stages: [PlannedCandidate["stage"], RepFacts[]][] = [
    ["owner", owner && !excluded.has(owner.id) ? [owner] : []],
    ["territory", pool.filter(fits)],
    ["pool", pool.filter((r) => !fits(r))],
  ];
  const ready: PlannedCandidate[] = [];
  const waiting: PlannedCandidate[] = [];
  for (const [stage, reps] of stages) {
    const known = reps.filter((r) => input.snapshots.has(r.id));
    for (const r of reps.filter((r) => !input.snapshots.has(r.id))) {
      const a = availabilityOf(r, input.now);
      waiting.push({ repId: r.id, stage, expectedValue: 0, loadRatio: 0, available: false, why: a.available ? "capacity unknown" : a.why });
    }
    const ranked = rankCandidates(
      known.map((r) => ({ repId: r.id, weight: r.weight, winRateFactor: r.winRateFactor, snapshot: input.snapshots.get(r.id)!, atWork: availabilityOf(r, input.now).available })),
      p,
      dealValue,
      policy.loadPenalty,
      policy.fairness,
    );
    const facts = new Map(reps.map((r) => [r.id, r]));
    for (const c of ranked) {
      const a = availabilityOf(facts.get(c.repId)!, input.now);
      const room = hasRoom(c.snapshot);
      const planned = { repId: c.repId, stage, expectedValue: c.expectedValue, loadRatio: c.loadRatio, ...(c.fairFloor === undefined ? {} : { fairFloor: c.fairFloor }) };
      if (a.available && room) ready.push({ ...planned, available: true });
      else waiting.push({ ...planned, available: false, why: a.available ? "at capacity" : a.why });
    }
  }
  return { tier, escalated, consentOverride, segment: segment?.name ?? null, dealValue, candidates: [...ready, ...waiting], queue: pool.length > 0 || owner ? "team" : "global" };
}
