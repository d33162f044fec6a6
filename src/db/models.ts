import { and, desc, eq, inArray } from "drizzle-orm";
import type { Db } from "./client.ts";
import { models } from "./schema.ts";

export type ModelRow = typeof models.$inferSelect;
export type ModelStatus = ModelRow["status"];

/** R2 key of a model artifact: content lives under name/version, its sha256 checked on every load. */
export const artifactKey = (name: string, version: string, file: "model.onnx" | "manifest.json") =>
  `models/${name}/${version}/${file}`;

/** A family's live registry rows: its active version and its shadow, when it has them. */
export type LiveRows = { active?: ModelRow; shadow?: ModelRow };

/** The active and shadow versions of a model family. */
export async function liveModels(db: Db, name: string): Promise<LiveRows> {
  const rows = await db
    .select()
    .from(models)
    .where(and(eq(models.name, name), inArray(models.status, ["active", "shadow"])));
  return { active: rows.find((r) => r.status === "active"), shadow: rows.find((r) => r.status === "shadow") };
}

/** Every version of a model family, newest first. */
export function familyVersions(db: Db, name: string): Promise<ModelRow[]> {
  return db.select().from(models).where(eq(models.name, name)).orderBy(desc(models.id));
}
