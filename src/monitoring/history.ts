import { desc, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { monitoringRuns } from "../db/schema-governance.ts";

/** The last `limit` runs of one kind, oldest first (what a chart over time wants). */
export async function monitoringHistory(db: Db, kind: "drift" | "calibration" | "ops", limit: number) {
  const rows = await db.select().from(monitoringRuns).where(eq(monitoringRuns.kind, kind)).orderBy(desc(monitoringRuns.id)).limit(limit);
  return rows.reverse().map((r) => ({ ...r, at: new Date(r.windowTo).toISOString() }));
}
