import type { Db } from "./client.ts";
import { auditLog } from "./schema.ts";

export type AuditEntry = {
  actor: string;
  action: string;
  entityType: "model" | "policy" | "rep" | "token" | "team" | "site" | "lead" | "territory" | "account" | "experiment" | "alert" | "webhook" | "person";
  entityId: string;
  before?: unknown;
  after?: unknown;
  reason?: string | null;
};

/** An audit row, as a query to put in the same D1 batch as the change it records. */
export function auditRow(db: Db, entry: AuditEntry) {
  return db.insert(auditLog).values({ ...entry, before: entry.before ?? null, after: entry.after ?? null, reason: entry.reason ?? null });
}
