import { and, eq, inArray, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../db/client.ts";
import { decisions, leads, lineage, submissions } from "../db/schema.ts";
import { reviewHolds } from "../db/schema-signals.ts";
import { maskPayload } from "./fields.ts";

/** What stands in for personal text that was removed. */
export const ERASED = "[erased]";

/** The strings that identify the person behind a payload (its email and name), as free text might quote them. */
export function personalStrings(payload: unknown): string[] {
  const p = payload && typeof payload === "object" ? (payload as Record<string, unknown>) : {};
  return [p.email, p.name].filter((v): v is string => typeof v === "string" && v.trim().length >= 2);
}

/** SQL that replaces each of `values` in a text column (NULL stays NULL). */
export function scrubbed(column: SQLWrapper, values: readonly string[]): SQL {
  return values.reduce<SQL>((expr, v) => sql`replace(${expr}, ${v}, ${ERASED})`, sql`${column}`);
}

/** A lead whose personal fields are to be masked (at most D1_IN_LIMIT of them per call). */
export type MaskTarget = { id: string; payload: unknown };

/**
 * The statements that mask the personal fields of `targets` everywhere the lead itself is copied: the
 * lead (email, payload but its non-personal fields, input hash), its merged submissions, its decisions'
 * lineage (input hash, feature provenance, which quotes form values) and CRM notes, and its review holds'
 * notes. The decisions' non-personal lineage — model, policy, probability, tier, rep, features, candidates —
 * stays. To run in one D1 batch with the caller's other statements, so nothing is half-masked.
 */
export async function maskStatements(db: Db, targets: readonly MaskTarget[], by: "erasure" | "retention", now: number): Promise<BatchItem<"sqlite">[]> {
  if (targets.length === 0) return [];
  const ids = targets.map((t) => t.id);
  const subs = await db.select({ id: submissions.id, payload: submissions.payload }).from(submissions).where(inArray(submissions.leadId, ids));
  const decided = db.select({ id: decisions.id }).from(decisions).where(inArray(decisions.leadId, ids));
  return [
    // Free text a person wrote (a manual reassignment's reason is kept in the decision and its lineage) may quote the lead.
    ...targets.flatMap((t) => {
      const quoted = personalStrings(t.payload);
      if (quoted.length === 0) return [];
      const ofLead = db.select({ id: decisions.id }).from(decisions).where(eq(decisions.leadId, t.id));
      return [
        db.update(decisions).set({ reason: scrubbed(decisions.reason, quoted) }).where(eq(decisions.leadId, t.id)),
        db.update(lineage).set({ context: scrubbed(lineage.context, quoted) }).where(inArray(lineage.decisionId, ofLead)),
      ];
    }),
    ...targets.map((t) =>
      db.update(leads).set({ email: "", payload: maskPayload(t.payload), inputHash: "masked", lastError: null, maskedAt: now, maskedBy: by }).where(eq(leads.id, t.id)),
    ),
    ...subs.map((s) => db.update(submissions).set({ payload: maskPayload(s.payload) }).where(eq(submissions.id, s.id))),
    db
      .update(lineage)
      .set({
        inputHash: "masked",
        // The point in time features were computed at is not personal and keeps exports' as-of dates.
        provenance: sql`CASE WHEN ${lineage.provenance} IS NULL THEN NULL ELSE json_object('asOf', json_extract(${lineage.provenance}, '$.asOf'), 'masked', json('true')) END`,
      })
      .where(inArray(lineage.decisionId, decided)),
    db.update(decisions).set({ crmNote: null }).where(and(inArray(decisions.leadId, ids), sql`${decisions.crmNote} IS NOT NULL`)),
    db.update(reviewHolds).set({ note: null }).where(and(inArray(reviewHolds.leadId, ids), sql`${reviewHolds.note} IS NOT NULL`)),
  ];
}
