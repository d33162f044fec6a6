import { and, desc, eq, inArray, like, or, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { auditRow } from "../db/audit.ts";
import { chunks } from "../db/chunks.ts";
import { getDb } from "../db/client.ts";
import { artifactKey } from "../db/models.ts";
import { auditLog, decisions, idempotencyKeys, leadDedupe, leads, models } from "../db/schema.ts";
import { signalEvents } from "../db/schema-signals.ts";
import { sha256Hex } from "../lib/hashing.ts";
import { webhookDeliveries } from "../db/schema-webhooks.ts";
import { normaliseEmail, personalValues } from "./fields.ts";
import { maskStatements, scrubbed } from "./mask.ts";

export type ErasureResult = {
  /** `sha256:<hex>` of the normalised email: what the audit row names instead of the email. */
  subject: string;
  leads: number;
  events: number;
  webhookDeliveries: number;
  idempotencyRecords: number;
  auditRowsScrubbed: number;
  modelManifests: number;
  /** When an earlier erasure of the same person was recorded, if one was. */
  previouslyErasedAt: string | null;
};


/**
 * Erases one person, found by email, everywhere the router stores them: their leads' personal fields
 * (and each lead's submissions, lineage input hash and provenance, CRM and review notes: see
 * maskStatements), their signal events, dedupe and idempotency records, webhook delivery bodies (every
 * personal value of their leads scrubbed), any audit row quoting the email
 * (or, on rows about their leads, the name), and golden rows of model manifests (D1 and R2) that carry
 * the email. Decisions keep their non-personal lineage. One D1 batch for the database; then manifests in
 * R2. Idempotent: a second call finds nothing left and says when the first was. The audit row names a
 * hash of the email, never the email.
 */
export async function erasePerson(env: Env, input: { email: string; actor: string; reason: string }, now = Date.now()): Promise<ErasureResult> {
  const db = getDb(env.DB);
  const email = normaliseEmail(input.email);
  const subject = `sha256:${await sha256Hex(email)}`;
  const [found, previous] = await Promise.all([
    db.select({ id: leads.id, payload: leads.payload }).from(leads).where(eq(leads.email, email)),
    db.select({ at: auditLog.at }).from(auditLog).where(and(eq(auditLog.action, "person.erase"), eq(auditLog.entityId, subject))).orderBy(desc(auditLog.id)).limit(1).get(),
  ]);
  const names = [...new Set(found.map((l) => (l.payload as { name?: unknown }).name).filter((n): n is string => typeof n === "string" && n.trim().length >= 2))];
  const leadIds = found.map((l) => l.id);
  const decisionIds = leadIds.length ? (await db.select({ id: decisions.id }).from(decisions).where(inArray(decisions.leadId, leadIds))).map((d) => d.id) : [];
  // Audit rows about their leads or decisions may quote the name (a manager's reason); any row may quote the email.
  const about = [...leadIds, ...decisionIds];
  const mentions = (value: string) => or(sql`instr(${auditLog.reason}, ${value}) > 0`, sql`instr(${auditLog.before}, ${value}) > 0`, sql`instr(${auditLog.after}, ${value}) > 0`);
  const quoting = await db
    .select({ id: auditLog.id })
    .from(auditLog)
    .where(or(mentions(email), ...(about.length && names.length ? chunks(about, 40).map((part) => and(inArray(auditLog.entityId, part), or(...names.map(mentions)))) : [])));
  const idem = leadIds.length
    ? (await Promise.all(chunks(leadIds, 40).map((part) => db.select({ siteId: idempotencyKeys.siteId, key: idempotencyKeys.key }).from(idempotencyKeys).where(or(...part.map((id) => like(idempotencyKeys.body, `%"${id}"%`))))))).flat()
    : [];
  // Webhook deliveries copied the lead (email, company) into their bodies: scrub every personal value there.
  const quoted = [...new Set([email, ...names, ...found.flatMap((l) => personalValues(l.payload))])].sort((a, b) => b.length - a.length);
  const deliveries = await db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(or(sql`instr(${webhookDeliveries.body}, ${email}) > 0`, ...leadIds.map((id) => sql`instr(${webhookDeliveries.body}, ${id}) > 0`)));
  const events = await db.select({ teamId: signalEvents.teamId, id: signalEvents.id }).from(signalEvents).where(and(eq(signalEvents.subjectType, "email"), eq(signalEvents.subject, email)));

  const statements: BatchItem<"sqlite">[] = [];
  for (const part of chunks(found, 40)) statements.push(...(await maskStatements(db, part, "erasure", now)));
  statements.push(
    db.delete(signalEvents).where(and(eq(signalEvents.subjectType, "email"), eq(signalEvents.subject, email))),
    db.delete(leadDedupe).where(eq(leadDedupe.email, email)),
    ...idem.map((k) => db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.siteId, k.siteId), eq(idempotencyKeys.key, k.key)))),
    ...deliveries.map((row) => db.update(webhookDeliveries).set({ body: scrubbed(webhookDeliveries.body, quoted) }).where(eq(webhookDeliveries.id, row.id))),
    ...quoting.map((row) =>
      db
        .update(auditLog)
        .set({ reason: scrubbed(auditLog.reason, [email, ...names]), before: scrubbed(auditLog.before, [email, ...names]), after: scrubbed(auditLog.after, [email, ...names]) })
        .where(eq(auditLog.id, row.id)),
    ),
    auditRow(db, {
      actor: input.actor,
      action: "person.erase",
      entityType: "person",
      entityId: subject,
      after: { leads: leadIds.length, decisions: decisionIds.length, events: events.length, webhookDeliveries: deliveries.length, idempotencyRecords: idem.length, auditRowsScrubbed: quoting.length },
      reason: input.reason,
    }),
  );
  await db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  const modelManifests = await scrubManifests(env, email, names);
  return {
    subject,
    leads: leadIds.length,
    events: events.length,
    webhookDeliveries: deliveries.length,
    idempotencyRecords: idem.length,
    auditRowsScrubbed: quoting.length,
    modelManifests,
    previouslyErasedAt: previous ? new Date(previous.at).toISOString() : null,
  };
}

/**
 * Drops the golden rows that carry the person from every model manifest quoting the email, in D1 and in
 * R2 (the artifact itself holds no lead data; its sha256 covers model.onnx only, so the manifest may change).
 */
async function scrubManifests(env: Env, email: string, names: string[]): Promise<number> {
  const db = getDb(env.DB);
  const rows = await db.select().from(models).where(sql`instr(${models.manifest}, ${email}) > 0`);
  for (const row of rows) {
    const manifest = row.manifest as { golden?: { payload: Record<string, unknown> }[] };
    const carries = (p: Record<string, unknown>) => {
      const text = JSON.stringify(p).toLowerCase();
      return text.includes(email) || names.some((n) => JSON.stringify(p).includes(n));
    };
    const next = { ...manifest, golden: (manifest.golden ?? []).filter((g) => !carries(g.payload)) };
    await db.update(models).set({ manifest: next }).where(eq(models.id, row.id));
    await env.MODELS.put(artifactKey(row.name, row.version, "manifest.json"), JSON.stringify(next, null, 2), { httpMetadata: { contentType: "application/json" } });
  }
  return rows.length;
}
