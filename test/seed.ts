import { eq } from "drizzle-orm";
import { createToken, type Scope } from "../src/lib/auth.ts";
import { sha256Hex } from "../src/lib/hashing.ts";
import { DEFAULT_POLICY } from "../src/routing/policy.ts";
import type { Manifest } from "../src/scoring/manifest.ts";
import { registerModel } from "../src/scoring/registry.ts";
import type { Db } from "../src/db/client.ts";
import { apiTokens, models, policies, reps, sites, teams } from "../src/db/schema.ts";

/**
 * The workers tests' fixture: the demo folder's team, reps, site and policy (scripts/setup/demo, which
 * `npm start` and deployed routers apply over HTTP with `npm run setup`), written straight into D1 so each
 * test starts from them in milliseconds. test/node/setup-files.test.ts checks the two stay the same.
 */
export const DEMO_TEAM = { id: "demo", name: "Demo inbound team" };

/** The demo reps `npm start` seeds: two AEs and three SDRs with mixed caps and timezones. */
export const DEMO_REPS: (typeof reps.$inferInsert)[] = [
  { id: "rep_ada", teamId: "demo", name: "Ada Lovelace", email: "ada@example.com", role: "ae", timezone: "America/New_York", maxOpen: 5, maxPerDay: 25, winRateFactor: 1.2 },
  { id: "rep_grace", teamId: "demo", name: "Grace Hopper", email: "grace@example.com", role: "ae", timezone: "Europe/London", maxOpen: 4, maxPerDay: 20, winRateFactor: 1.0 },
  { id: "rep_alan", teamId: "demo", name: "Alan Turing", email: "alan@example.com", role: "sdr", timezone: "Europe/London", maxOpen: 12, maxPerDay: 60 },
  { id: "rep_katherine", teamId: "demo", name: "Katherine Johnson", email: "katherine@example.com", role: "sdr", timezone: "America/Chicago", maxOpen: 10, maxPerDay: 50, winRateFactor: 1.1 },
  { id: "rep_linus", teamId: "demo", name: "Linus Torvalds", email: "linus@example.com", role: "sdr", timezone: "Europe/Helsinki", maxOpen: 8, maxPerDay: 40, winRateFactor: 0.9 },
];

/** The demo site: its public key is what the demo form at `/` and the README's curl examples send. */
export const DEMO_SITE: typeof sites.$inferInsert = {
  id: "pk_demo",
  name: "Demo website",
  teamId: "demo",
  allowedOrigins: ["http://127.0.0.1:8787", "http://localhost:8787"],
  thankYouUrl: null,
  signingSecrets: [],
  dedupeWindowSeconds: 86_400,
};

export type SeedInput = {
  model: { bytes: Uint8Array; manifest: Manifest };
  /** Token secrets to make sure exist (local development only: real tokens come from the admin API). */
  tokens: { name: string; secret: string; scopes: Scope[]; teamId: string | null }[];
};

/**
 * Seeds the embedded defaults: demo team, reps and site, policy v1, the default model (active unless another
 * version of it is), and the given tokens. Idempotent: running it twice duplicates nothing.
 */
export async function seedDefaults(db: Db, bucket: R2Bucket, input: SeedInput): Promise<void> {
  await db.insert(teams).values(DEMO_TEAM).onConflictDoNothing();
  await db.insert(reps).values(DEMO_REPS).onConflictDoNothing();
  await db.insert(sites).values(DEMO_SITE).onConflictDoNothing();
  await db.insert(policies).values({ version: 1, status: "active", body: DEFAULT_POLICY, activatedAt: Date.now() }).onConflictDoNothing();
  const live = await db.select().from(models).where(eq(models.status, "active")).get();
  await registerModel(db, bucket, input.model.bytes, input.model.manifest, live ? "staged" : "active");
  for (const t of input.tokens) {
    const known = await db.select().from(apiTokens).where(eq(apiTokens.tokenHash, await sha256Hex(t.secret))).get();
    if (!known) await createToken(db, t);
  }
}
