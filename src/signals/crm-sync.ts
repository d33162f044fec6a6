import { invalidateRoutingFacts } from "../routing/facts-cache.ts";
import { and, desc, eq } from "drizzle-orm";
import { auditRow } from "../db/audit.ts";
import type { Db } from "../db/client.ts";
import { accounts } from "../db/schema.ts";
import { signalEvents } from "../db/schema-signals.ts";
import type { NewSignalEvent } from "../db/signals.ts";

/**
 * A CRM `owner_change` moves a known account to its new owner, so owner-first routing follows the CRM:
 * only the newest owner change of the account counts (a late, older event changes nothing). Audited.
 */
export async function applyOwnerChanges(db: Db, teamId: string, events: readonly NewSignalEvent[], actor: string): Promise<string[]> {
  const changed: string[] = [];
  const domains = new Set(events.filter((e) => e.type === "owner_change" && e.subjectType === "domain" && e.domain).map((e) => e.domain!));
  for (const domain of domains) {
    const account = await db.select().from(accounts).where(and(eq(accounts.teamId, teamId), eq(accounts.domain, domain))).get();
    if (!account) continue;
    const newest = await db
      .select()
      .from(signalEvents)
      .where(and(eq(signalEvents.teamId, teamId), eq(signalEvents.domain, domain), eq(signalEvents.type, "owner_change")))
      .orderBy(desc(signalEvents.occurredAt), desc(signalEvents.id))
      .limit(1)
      .get();
    const owner = newest ? String(newest.properties.ownerRepId) : null;
    if (!newest || !events.some((e) => e.id === newest.id) || owner === account.ownerRepId) continue;
    await db.batch([
      db.update(accounts).set({ ownerRepId: owner }).where(and(eq(accounts.teamId, teamId), eq(accounts.domain, domain))),
      auditRow(db, { actor, action: "account.owner_change", entityType: "account", entityId: domain, before: { ownerRepId: account.ownerRepId }, after: { ownerRepId: owner }, reason: `event ${newest.id} from ${newest.source}` }),
    ]);
    changed.push(domain);
  }
  if (changed.length > 0) invalidateRoutingFacts();
  return changed;
}
