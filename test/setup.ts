import { applyD1Migrations, reset, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach } from "vitest";
import { getDb } from "../src/db/client.ts";
import { seedDefaults } from "./seed.ts";
import { invalidateAllCaches } from "../src/lib/ttl-cache.ts";
import { ManifestSchema } from "../src/scoring/manifest.ts";

/** Tokens every test may use. */
export const TOKENS = {
  crm: "lr_test_crm_demo_team",
  admin: "lr_test_admin",
  otherTeam: "lr_test_crm_other_team",
} as const;

export const defaultModel = () => ({
  bytes: Uint8Array.from(atob(env.TEST_MODEL_B64), (ch) => ch.charCodeAt(0)),
  manifest: ManifestSchema.parse(JSON.parse(env.TEST_MANIFEST)),
});

/**
 * reset() deletes Durable Object storage, D1's included, but a database still busy from the previous
 * file's last test now and then keeps its rows (seen as hundreds of leftover decisions). Emptying every
 * table makes the clean start certain.
 */
async function emptyAllTables(): Promise<void> {
  const { results } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name != 'd1_migrations'",
  ).all<{ name: string }>();
  if (results.length > 0) await env.DB.batch(results.map(({ name }) => env.DB.prepare(`DELETE FROM "${name}"`)));
}

// Every test starts from the embedded defaults on empty storage: D1, R2 and Durable Objects.
/**
 * The same for the reps' Durable Objects: a reservation the previous file's last test was still writing
 * has been seen to survive reset() (an `open` slot on rep_ada, a lead of another file), leaving the next
 * file's first test one slot short. Empty every seeded rep's counters.
 */
async function emptyRepCounters(): Promise<void> {
  const { results } = await env.DB.prepare("SELECT id FROM reps").all<{ id: string }>();
  await Promise.all(
    results.map(({ id }) =>
      runInDurableObject(env.REP_CAPACITY.getByName(id), async (_object, state) => {
        state.storage.sql.exec("DELETE FROM reservations");
        state.storage.sql.exec("DELETE FROM daily");
        state.storage.sql.exec("DELETE FROM fair");
        await state.storage.deleteAlarm();
      }),
    ),
  );
}

beforeEach(async () => {
  await reset();
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  await emptyAllTables();
  // As a fresh isolate: every per-isolate cache (sites, policy, models, experiments, drift, facts, hints) empty.
  invalidateAllCaches();
  await seedDefaults(getDb(env.DB), env.MODELS, {
    model: defaultModel(),
    tokens: [
      { name: "demo crm", secret: TOKENS.crm, scopes: ["crm:read", "crm:write"], teamId: "demo" },
      { name: "admin", secret: TOKENS.admin, scopes: ["admin"], teamId: null },
      { name: "other crm", secret: TOKENS.otherTeam, scopes: ["crm:read", "crm:write"], teamId: "other" },
    ],
  });
  await emptyRepCounters();
});
