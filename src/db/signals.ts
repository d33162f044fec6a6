import { and, eq, gt, inArray } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { canonicalJson } from "../lib/hashing.ts";
import { accountDomainCandidates } from "../routing/domains.ts";
import { computeSignals, LOOKBACK_DAYS, type AccountContext, type SignalEvent, type Signals } from "../signals/aggregates.ts";
import { chunks } from "./chunks.ts";
import type { Db } from "./client.ts";
import { accounts } from "./schema.ts";
import { signalEvents } from "./schema-signals.ts";

export type SignalEventRow = typeof signalEvents.$inferSelect;
export type NewSignalEvent = typeof signalEvents.$inferInsert;


type AccountRow = typeof accounts.$inferSelect;

/** The team's accounts among the given domains, by domain. */
async function accountsByDomain(db: Db, teamId: string, domains: readonly string[]): Promise<Map<string, AccountRow>> {
  const found: AccountRow[] = [];
  for (const part of chunks([...new Set(domains)])) {
    found.push(...(await db.select().from(accounts).where(and(eq(accounts.teamId, teamId), inArray(accounts.domain, part)))));
  }
  return new Map(found.map((a) => [a.domain, a]));
}

/**
 * The account key of each email: the most specific known account among its domains (`eu.acme.com` →
 * `acme.com` when only that is known), else its own normalised domain; null for free-mail (never an account).
 */
export async function accountKeys(db: Db, teamId: string, emails: readonly string[]): Promise<{ keys: (string | null)[]; rows: Map<string, AccountRow> }> {
  const candidates = emails.map(accountDomainCandidates);
  const rows = await accountsByDomain(db, teamId, candidates.flat());
  return { keys: candidates.map((c) => keyOf(c, rows)), rows };
}

/** The most specific known account among an email's candidate domains, else its own domain (null: free-mail). */
const keyOf = (candidates: readonly string[], rows: ReadonlyMap<string, AccountRow>): string | null => candidates.find((d) => rows.has(d)) ?? candidates[0] ?? null;

/**
 * Stores events once per (team, id): returns the ids that were new. Chunked so each statement stays under
 * D1's bound-parameter limit; all chunks go in one batch (one transaction).
 */
export async function insertEvents(db: Db, rows: readonly NewSignalEvent[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const statements = chunks(rows, 8).map((part) => db.insert(signalEvents).values(part).onConflictDoNothing().returning({ id: signalEvents.id }));
  const results = await db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]);
  return new Set(results.flat().map((r) => r.id));
}

/** Stored events of one team among `ids`, by id (to tell a retried event from a clashing one). */
export async function storedEvents(db: Db, teamId: string, ids: readonly string[]): Promise<Map<string, SignalEventRow>> {
  const found: SignalEventRow[] = [];
  for (const part of chunks([...new Set(ids)])) {
    found.push(...(await db.select().from(signalEvents).where(and(eq(signalEvents.teamId, teamId), inArray(signalEvents.id, part)))));
  }
  return new Map(found.map((r) => [r.id, r]));
}

/** Two events with one id say the same thing (a retry), or not (a clash). */
export const sameEvent = (a: NewSignalEvent, b: NewSignalEvent): boolean =>
  a.subjectType === b.subjectType && a.subject === b.subject && a.type === b.type && a.occurredAt === b.occurredAt && a.source === b.source && canonicalJson(a.properties) === canonicalJson(b.properties);

const asSignalEvent = (r: SignalEventRow): SignalEvent => ({ id: r.id, type: r.type, occurredAt: r.occurredAt, ingestedAt: r.ingestedAt, properties: r.properties });

const contextOf = (a: AccountRow): AccountContext => ({
  domain: a.domain,
  industry: a.industry,
  employees: a.employees,
  arr: a.arr,
  territoryId: a.territoryId,
  ownerRepId: a.ownerRepId,
  strategic: a.strategic,
});

/** A lead whose signals to compute, at a point in time. */
export type SignalSubject = { leadId: string; teamId: string; email: string; receivedAt: number; asOf: number };

/**
 * Signals for many leads of one team in a handful of queries (the training export pages up to 1,000
 * leads): the accounts, the leads' own events and their accounts' events, then the pure aggregates.
 */
export async function loadSignals(db: Db, teamId: string, subjects: readonly SignalSubject[]): Promise<Map<string, Signals>> {
  const out = new Map<string, Signals>();
  if (subjects.length === 0) return out;
  const since = Math.min(...subjects.map((s) => s.asOf)) - LOOKBACK_DAYS * 86_400_000;
  const candidates = subjects.map((s) => accountDomainCandidates(s.email));
  const emails = [...new Set(subjects.map((s) => s.email))];
  // Every domain an email's account could be keyed by: the accounts and the domains' events are read in one
  // batch with the emails' events (one round trip on the lead path), and only the chosen key's events are used.
  const domains = [...new Set(candidates.flat())];
  const accountReads = chunks(domains).map((part) => db.select().from(accounts).where(and(eq(accounts.teamId, teamId), inArray(accounts.domain, part))));
  const eventReads = [
    ...chunks(emails).map((part) => db.select().from(signalEvents).where(and(eq(signalEvents.teamId, teamId), inArray(signalEvents.subject, part), gt(signalEvents.occurredAt, since)))),
    ...chunks(domains).map((part) => db.select().from(signalEvents).where(and(eq(signalEvents.teamId, teamId), inArray(signalEvents.domain, part), gt(signalEvents.occurredAt, since)))),
  ];
  const emailReads = chunks(emails).length;
  const results = (await db.batch([...accountReads, ...eventReads] as unknown as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]])) as unknown[][];
  const rows = new Map((results.slice(0, accountReads.length).flat() as AccountRow[]).map((a) => [a.domain, a]));
  const byEmail = results.slice(accountReads.length, accountReads.length + emailReads) as SignalEventRow[][];
  const byDomain = results.slice(accountReads.length + emailReads) as SignalEventRow[][];
  const keys = candidates.map((c) => keyOf(c, rows));
  const group = (list: SignalEventRow[], key: (r: SignalEventRow) => string | null) => {
    const m = new Map<string, SignalEvent[]>();
    for (const r of list) {
      const k = key(r);
      if (k !== null) m.set(k, [...(m.get(k) ?? []), asSignalEvent(r)]);
    }
    return m;
  };
  const leadEvents = group(byEmail.flat().filter((r) => r.subjectType === "email"), (r) => r.subject);
  const accountEvents = group(byDomain.flat(), (r) => r.domain);
  subjects.forEach((s, i) => {
    const key = keys[i] ?? null;
    const row = key ? rows.get(key) : undefined;
    out.set(
      s.leadId,
      computeSignals({
        leadEvents: leadEvents.get(s.email) ?? [],
        accountEvents: key ? (accountEvents.get(key) ?? []) : [],
        accountDomain: key,
        account: row ? contextOf(row) : null,
        leadReceivedAt: s.receivedAt,
        asOf: s.asOf,
      }),
    );
  });
  return out;
}
