import { isNotNull } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { teams } from "../db/schema.ts";

/**
 * The model families the router scores with: the default (`MODEL_NAME`) and every family a team names
 * (`teams.model_family`). A model uploaded under any other name would be stored and then never used, so
 * the registry refuses it; the cron's drift and calibration checks run over each. Without `db` (offline
 * checks) only the default is known.
 */
export async function servedModelFamilies(env: Pick<Env, "MODEL_NAME">, db?: Db): Promise<string[]> {
  if (!db) return [env.MODEL_NAME];
  const rows = await db.selectDistinct({ family: teams.modelFamily }).from(teams).where(isNotNull(teams.modelFamily));
  return [...new Set([env.MODEL_NAME, ...rows.map((r) => r.family!)])];
}
