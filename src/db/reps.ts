import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "./client.ts";
import { reps } from "./schema.ts";

export type RepRow = typeof reps.$inferSelect;

/** The team's reps that serve `role`, not deleted (status is filtered by the router, so it is traced). */
export function teamRepsForRole(db: Db, teamId: string, role: RepRow["role"]): Promise<RepRow[]> {
  return db
    .select()
    .from(reps)
    .where(and(eq(reps.teamId, teamId), eq(reps.role, role), isNull(reps.deletedAt)))
    .orderBy(reps.id);
}
