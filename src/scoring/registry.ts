import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { artifactKey, type ModelRow, type ModelStatus } from "../db/models.ts";
import { models } from "../db/schema.ts";
import { sha256Hex } from "../lib/hashing.ts";
import type { Manifest } from "./manifest.ts";

/**
 * Stores a model version: bytes and manifest in R2 under name/version (sha256 checked against the
 * manifest), then the registry row in D1. R2 first, so a registry row never points at nothing.
 * Registering a version that exists with the same sha256 is a no-op; another sha256 is refused.
 */
export async function registerModel(
  db: Db,
  bucket: R2Bucket,
  bytes: Uint8Array,
  manifest: Manifest,
  status: ModelStatus,
): Promise<{ row: ModelRow; created: boolean }> {
  const sha = await sha256Hex(bytes);
  if (sha !== manifest.sha256) throw new Error(`model.onnx sha256 ${sha} does not match the manifest's ${manifest.sha256}`);
  const existing = await db
    .select()
    .from(models)
    .where(and(eq(models.name, manifest.name), eq(models.version, manifest.version)))
    .get();
  if (existing) {
    if (existing.sha256 !== sha) throw new Error(`${manifest.name} ${manifest.version} exists with another sha256`);
    return { row: existing, created: false };
  }
  const key = artifactKey(manifest.name, manifest.version, "model.onnx");
  await bucket.put(key, bytes, { sha256: sha, httpMetadata: { contentType: "application/octet-stream" } });
  await bucket.put(artifactKey(manifest.name, manifest.version, "manifest.json"), JSON.stringify(manifest, null, 2), {
    httpMetadata: { contentType: "application/json" },
  });
  const [row] = await db
    .insert(models)
    .values({
      name: manifest.name,
      version: manifest.version,
      sha256: sha,
      status,
      manifest,
      artifactKey: key,
      sizeBytes: bytes.byteLength,
      activatedAt: status === "active" ? Date.now() : null,
    })
    .onConflictDoNothing()
    .returning();
  return { row: row!, created: true };
}

