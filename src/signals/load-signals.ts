/**
 * A lead's signals as of a point in time, read from D1: its account (by the most specific known domain) and
 * the events of the lead and of its account, then the pure aggregates (./aggregates.ts). Shared by live
 * scoring, replay and the training export.
 */

import { and, eq, gt, inArray } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { chunks } from "../db/chunks.ts";
import type { Db } from "../db/client.ts";
import { accounts } from "../db/schema.ts";
import { signalEvents } from "../db/schema-signals.ts";
import type { SignalEventRow } from "../db/signals.ts";
import { accountDomainCandidates } from "../routing/domains.ts";
import { computeSignals, LOOKBACK_DAYS, type AccountContext, type SignalEvent, type Signals } from "./aggregates.ts";

type AccountRow = typeof accounts.$inferSelect;

/** The team's accounts among one slice of domains. */
const accountsIn = (db: Db, teamId: string, domains: string[]) => db.select().from(accounts).where(and(eq(accounts.teamId, teamId), inArray(accounts.domain, domains)));

/** The team's accounts among the given domains, by domain. */
async function accountsByDomain(db: Db, teamId: string, domains: readonly string[]): Promise<Map<string, AccountRow>> {
  const found: AccountRow[] = [];
  for (const part of chunks([...new Set(domains)])) found.push(...(await accountsIn(db, teamId, part)));
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
const keyOf = (candidates: readonly string[], rows: ReadonlyMap<string, unknown>): string | null => candidates.find((d) => rows.has(d)) ?? candidates[0] ?? null;

/** What the aggregates read of a stored event (both reads select at least this). */
type EventRow = Pick<SignalEventRow, "id" | "type" | "occurredAt" | "ingestedAt" | "properties" | "subject" | "subjectType" | "domain">;

const asSignalEvent = (r: EventRow): SignalEvent => ({ id: r.id, type: r.type, occurredAt: r.occurredAt, ingestedAt: r.ingestedAt, properties: r.properties });

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

/** Where a lead's events are read from: occurred after this (its point in time less the lookback). */
export const eventsSince = (asOf: number) => asOf - LOOKBACK_DAYS * 86_400_000;

/** The rows a set of subjects' signals are computed from. */
type SignalRows = { accounts: ReadonlyMap<string, AccountContext>; byEmail: readonly EventRow[]; byDomain: readonly EventRow[] };

/** Each subject's signals from the rows read for them: the pure aggregates (./aggregates.ts) of its own events and its account's. */
function signalsFrom(subjects: readonly SignalSubject[], candidates: readonly string[][], rows: SignalRows): Map<string, Signals> {
  const group = (list: readonly EventRow[], key: (r: EventRow) => string | null) => {
    const m = new Map<string, SignalEvent[]>();
    for (const r of list) {
      const k = key(r);
      if (k === null) continue;
      const bucket = m.get(k);
      if (bucket) bucket.push(asSignalEvent(r));
      else m.set(k, [asSignalEvent(r)]);
    }
    return m;
  };
  const leadEvents = group(rows.byEmail.filter((r) => r.subjectType === "email"), (r) => r.subject);
  const accountEvents = group(rows.byDomain, (r) => r.domain);
  const out = new Map<string, Signals>();
  subjects.forEach((s, i) => {
    const key = keyOf(candidates[i]!, rows.accounts);
    out.set(
      s.leadId,
      computeSignals({
        leadEvents: leadEvents.get(s.email) ?? [],
        accountEvents: key ? (accountEvents.get(key) ?? []) : [],
        accountDomain: key,
        account: key ? (rows.accounts.get(key) ?? null) : null,
        leadReceivedAt: s.receivedAt,
        asOf: s.asOf,
      }),
    );
  });
  return out;
}

/**
 * Signals for many leads of one team in a handful of queries (replay; the training export pages up to 1,000
 * leads): the accounts, the leads' own events and their accounts' events, then the pure aggregates.
 */
export async function loadSignals(db: Db, teamId: string, subjects: readonly SignalSubject[]): Promise<Map<string, Signals>> {
  if (subjects.length === 0) return new Map();
  const since = eventsSince(Math.min(...subjects.map((s) => s.asOf)));
  const candidates = subjects.map((s) => accountDomainCandidates(s.email));
  const emails = [...new Set(subjects.map((s) => s.email))];
  // Every domain an email's account could be keyed by: the accounts and the domains' events are read in one
  // batch with the emails' events (one round trip), and only the chosen key's events are used.
  const domains = [...new Set(candidates.flat())];
  const [emailParts, domainParts] = [chunks(emails), chunks(domains)];
  const events = (column: typeof signalEvents.subject | typeof signalEvents.domain, part: string[]) =>
    db.select().from(signalEvents).where(and(eq(signalEvents.teamId, teamId), inArray(column, part), gt(signalEvents.occurredAt, since)));
  const reads = [...domainParts.map((part) => accountsIn(db, teamId, part)), ...emailParts.map((part) => events(signalEvents.subject, part)), ...domainParts.map((part) => events(signalEvents.domain, part))];
  const results = (await db.batch(reads as unknown as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]])) as unknown[][];
  const accountRows = results.slice(0, domainParts.length).flat() as AccountRow[];
  return signalsFrom(subjects, candidates, {
    accounts: new Map(accountRows.map((a) => [a.domain, contextOf(a)])),
    byEmail: results.slice(domainParts.length, domainParts.length + emailParts.length).flat() as SignalEventRow[],
    byDomain: results.slice(domainParts.length + emailParts.length).flat() as SignalEventRow[],
  });
}

/** The columns of signal_events the aggregates read, as the lead's one statement selects them (after `via`). */
const EVENT_COLUMNS = "id, type, occurred_at, ingested_at, properties, subject, subject_type, domain";
type EventTuple = [via: 0 | 1, id: string, type: string, occurredAt: number, ingestedAt: number, properties: string, subject: string, subjectType: "email" | "domain", domain: string | null];

/**
 * One lead's signals in one statement, for the lead path: its own events and its account domains' events
 * (UNION ALL, each part on its index), with the team's accounts already known (the isolate's routing facts).
 * The same aggregates as loadSignals; `d1` may be a read-replica session (Sessions API).
 */
export async function loadLeadSignals(d1: Pick<D1Database, "prepare">, subject: SignalSubject, accounts: ReadonlyMap<string, AccountContext>): Promise<Signals> {
  const since = eventsSince(subject.asOf);
  const candidates = accountDomainCandidates(subject.email);
  let query = `SELECT 0, ${EVENT_COLUMNS} FROM signal_events WHERE team_id = ?1 AND subject = ?2 AND subject_type = 'email' AND occurred_at > ?3`;
  if (candidates.length > 0) query += ` UNION ALL SELECT 1, ${EVENT_COLUMNS} FROM signal_events WHERE team_id = ?1 AND domain IN (${candidates.map((_, i) => `?${i + 4}`).join(", ")}) AND occurred_at > ?3`;
  const tuples = await d1.prepare(query).bind(subject.teamId, subject.email, since, ...candidates).raw<EventTuple>();
  const byEmail: EventRow[] = [];
  const byDomain: EventRow[] = [];
  for (const [via, id, type, occurredAt, ingestedAt, properties, subj, subjectType, domain] of tuples) {
    const row: EventRow = { id, type, occurredAt, ingestedAt, properties: JSON.parse(properties) as EventRow["properties"], subject: subj, subjectType, domain };
    (via === 0 ? byEmail : byDomain).push(row);
  }
  return signalsFrom([subject], [candidates], { accounts, byEmail, byDomain }).get(subject.leadId)!;
}

/** A lead's signals when it has no events (its account's context aside): what loadLeadSignals gives for it. */
export function signalsWithoutEvents(subject: SignalSubject, accounts: ReadonlyMap<string, AccountContext>): Signals {
  return signalsFrom([subject], [accountDomainCandidates(subject.email)], { accounts, byEmail: [], byDomain: [] }).get(subject.leadId)!;
}
