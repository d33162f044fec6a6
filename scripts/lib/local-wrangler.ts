/** What `npm start` (the crons) and the node-side tests (the storage, to migrate a bare router) need of the local wrangler setup, from Node. */
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";

export type LocalStorage = { db: D1Database; models: R2Bucket; dispose: () => Promise<void> };

/** The parts of wrangler's resolved config read here (its own types do not resolve from this package). */
type LocalConfig = {
  compatibility_date?: string;
  triggers?: { crons?: string[] };
  d1_databases: { binding: string; database_id?: string; preview_database_id?: string }[];
  r2_buckets: { binding: string; bucket_name?: string }[];
};

/**
 * The router's local D1 and R2, opened from Node where `wrangler dev` keeps them (`<state>/d1`,
 * `<state>/r2`, under the same ids as wrangler.toml gives them), to apply migrations before it starts.
 * Miniflare with only these two bindings: wrangler's platform proxy would bind the Durable Object too,
 * whose class it cannot load, and warn that calls to it will fail.
 */
export async function openLocalStorage(state = ".wrangler/state/v3", configPath = "wrangler.toml"): Promise<LocalStorage> {
  const config = unstable_readConfig({ config: configPath }) as LocalConfig;
  const d1 = config.d1_databases.find((d) => d.binding === "DB");
  const r2 = config.r2_buckets.find((b) => b.binding === "MODELS");
  if (!d1 || !r2?.bucket_name) throw new Error(`${configPath} must bind D1 as DB and R2 as MODELS`);
  const mf = new Miniflare({
    modules: true,
    script: "export default {};",
    compatibilityDate: config.compatibility_date,
    // Without a database_id (deploys find the database by name) wrangler keys local D1 by the binding name.
    d1Databases: { DB: d1.preview_database_id ?? d1.database_id ?? d1.binding },
    r2Buckets: { MODELS: r2.bucket_name },
    d1Persist: join(state, "d1"),
    r2Persist: join(state, "r2"),
  });
  const [db, models] = await Promise.all([mf.getD1Database("DB"), mf.getR2Bucket("MODELS")]);
  return { db: db as unknown as D1Database, models: models as unknown as R2Bucket, dispose: () => mf.dispose() };
}

/** The cron triggers wrangler.toml declares. */
export function localCrons(configPath = "wrangler.toml"): string[] {
  return (unstable_readConfig({ config: configPath }) as LocalConfig).triggers?.crons ?? [];
}
