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
const keyOf = (candidates: readonly string[], rows: ReadonlyMap<string, AccountRow>): string | null => candidates.find((d) => rows.has(d)) ?? candidates[0] ?? null;

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
  const [emailParts, domainParts] = [chunks(emails), chunks(domains)];
  const events = (column: typeof signalEvents.subject | typeof signalEvents.domain, part: string[]) =>
    db.select().from(signalEvents).where(and(eq(signalEvents.teamId, teamId), inArray(column, part), gt(signalEvents.occurredAt, since)));
  const reads = [...domainParts.map((part) => accountsIn(db, teamId, part)), ...emailParts.map((part) => events(signalEvents.subject, part)), ...domainParts.map((part) => events(signalEvents.domain, part))];
  const results = (await db.batch(reads as unknown as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]])) as unknown[][];
  const rows = new Map((results.slice(0, domainParts.length).flat() as AccountRow[]).map((a) => [a.domain, a]));
  const byEmail = results.slice(domainParts.length, domainParts.length + emailParts.length) as SignalEventRow[][];
  const byDomain = results.slice(domainParts.length + emailParts.length) as SignalEventRow[][];
  const keys = candidates.map((c) => keyOf(c, rows));
  const group = (list: SignalEventRow[], key: (r: SignalEventRow) => string | null) => {
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
