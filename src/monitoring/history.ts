import { and, desc, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { monitoringRuns } from "../db/schema-governance.ts";

/** The last `limit` runs of one kind (optionally of one model family), oldest first (what a chart over time wants). */
export async function monitoringHistory(db: Db, kind: "drift" | "calibration" | "ops", limit: number, modelName: string | null = null) {
  const rows = await db
    .select()
    .from(monitoringRuns)
    .where(and(eq(monitoringRuns.kind, kind), modelName === null ? undefined : eq(monitoringRuns.modelName, modelName)))
    .orderBy(desc(monitoringRuns.id))
    .limit(limit);
  return rows.reverse().map((r) => ({ ...r, at: new Date(r.windowTo).toISOString() }));
}
