import { applyD1Migrations, reset, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach } from "vitest";
import { forgetCapacityHints } from "../src/capacity/capacity-client.ts";
import { getDb } from "../src/db/client.ts";
import { DEMO_REPS, seedDefaults } from "../src/db/seed.ts";
import { invalidateDriftRuns } from "../src/monitoring/drift-check.ts";
import { invalidateExperiments } from "../src/monitoring/experiments.ts";
import { invalidatePolicy } from "../src/routing/policy-store.ts";
import { invalidateRulesOnly } from "../src/routing/rules-only.ts";
import { ManifestSchema } from "../src/scoring/manifest.ts";
import { dropModelCaches } from "../src/scoring/model-store.ts";

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

/**
 * reset() can also leave a busy Durable Object's storage behind: a demo rep's object used by the previous
 * file's last test was seen keeping its open assignment, so the next test found that rep one slot short.
 * Emptying the demo reps' counters (their tables kept) makes their clean start certain too.
 */
async function emptyDemoRepObjects(): Promise<void> {
  await Promise.all(
    DEMO_REPS.map((r) =>
      runInDurableObject(env.REP_CAPACITY.getByName(r.id!), (_object, state) => {
        const present = new Set(state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").toArray().map((t) => t.name));
        for (const table of ["reservations", "daily", "fair"]) if (present.has(table)) state.storage.sql.exec(`DELETE FROM ${table}`);
      }),
    ),
  );
}

// Every test starts from the embedded defaults on empty storage: D1, R2 and Durable Objects.
beforeEach(async () => {
  await reset();
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  await emptyAllTables();
  await emptyDemoRepObjects();
  dropModelCaches();
  invalidatePolicy();
  invalidateExperiments();
  invalidateDriftRuns();
  invalidateRulesOnly();
  forgetCapacityHints();
  await seedDefaults(getDb(env.DB), env.MODELS, {
    model: defaultModel(),
    tokens: [
      { name: "demo crm", secret: TOKENS.crm, scopes: ["crm:read", "crm:write"], teamId: "demo" },
      { name: "admin", secret: TOKENS.admin, scopes: ["admin"], teamId: null },
      { name: "other crm", secret: TOKENS.otherTeam, scopes: ["crm:read", "crm:write"], teamId: "other" },
    ],
  });
});
