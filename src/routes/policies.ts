import { and, desc, eq, inArray, max } from "drizzle-orm";
import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import { auditRow } from "../db/audit.ts";
import { selectInChunks } from "../db/chunks.ts";
import { getDb } from "../db/client.ts";
import { leads, policies } from "../db/schema.ts";
import { requireScope } from "../lib/auth.ts";
import { ApiError } from "../lib/errors.ts";
import { requireTeam } from "../lib/references.ts";
import { parseOrThrow, readJson } from "../lib/validate.ts";
import { getActivePolicy, getPolicyVersion, invalidatePolicy, policyHistory } from "../routing/policy-store.ts";
import { simulatePolicy } from "../routing/simulate.ts";
import { ReasonBody } from "../schemas/admin.ts";
import { LeadInputSchema } from "../schemas/lead.ts";
import { PolicyBody, SimulateBody } from "../schemas/routing.ts";

type Ctx = { env: Env; get(key: "token"): { name: string } };

/** Makes `version` the active policy in one batch with its audit row; the old one retires. */
async function activate(c: Ctx, version: number, reason: string, action: string) {
  const db = getDb(c.env.DB);
  const current = await db.select().from(policies).where(eq(policies.status, "active")).get();
  if (current?.version === version) throw new ApiError("conflict", `policy ${version} is already active`);
  await db.batch([
    db.update(policies).set({ status: "retired" }).where(eq(policies.status, "active")),
    db.update(policies).set({ status: "active", activatedAt: Date.now() }).where(eq(policies.version, version)),
    auditRow(db, { actor: c.get("token").name, action, entityType: "policy", entityId: String(version), before: { active: current?.version ?? null }, after: { active: version }, reason }),
  ]);
  invalidatePolicy();
}

/** Versioned routing policies: history, drafts, activation, rollback and simulation. */
export const policiesApi = new Hono<AppEnv>()
  .use(requireScope("admin"))
  .get("/", async (c) => c.json({ data: await policyHistory(c.env) }))
  .get("/active", async (c) => c.json(await getActivePolicy(c.env)))
  .post("/", async (c) => {
    // A bad policy is refused here, before anything is written: the active one is untouched.
    const { policy, reason, activate: now } = parseOrThrow(PolicyBody, await readJson(c.req));
    const db = getDb(c.env.DB);
    const top = (await db.select({ top: max(policies.version) }).from(policies).get())?.top ?? 0;
    const version = top + 1;
    await db.batch([
      db.insert(policies).values({ version, status: "draft", body: policy }),
      auditRow(db, { actor: c.get("token").name, action: "policy.create", entityType: "policy", entityId: String(version), after: policy, reason }),
    ]);
    if (now) await activate(c, version, reason, "policy.activate");
    return c.json({ version, status: now ? "active" : "draft" }, 201);
  })
  .post("/simulate", async (c) => {
    const body = parseOrThrow(SimulateBody, await readJson(c.req));
    const db = getDb(c.env.DB);
    await requireTeam(db, body.teamId);
    // Only the named team's leads: another team's lead id is as unknown as a made-up one.
    const stored = body.leadIds?.length ? await selectInChunks(body.leadIds, (part) => db.select().from(leads).where(and(inArray(leads.id, part), eq(leads.teamId, body.teamId)))) : [];
    const missing = (body.leadIds ?? []).filter((id) => !stored.some((l) => l.id === id));
    if (missing.length) throw new ApiError("validation_failed", `leadIds: no lead ${missing.slice(0, 5).join(", ")} in team ${body.teamId}`);
    const posted = (body.leads ?? []).map((raw, i) => {
      const parsed = LeadInputSchema.safeParse(raw);
      if (!parsed.success) throw new ApiError("validation_failed", `leads.${i}: ${parsed.error.issues[0]?.message}`);
      return { ref: `posted:${i}`, payload: parsed.data as Record<string, unknown> };
    });
    const inputs = [...stored.map((l) => ({ ref: l.id, payload: l.payload as Record<string, unknown> })), ...posted];
    return c.json(await simulatePolicy(c.env, db, body.policy, body.teamId, inputs));
  })
  .post("/rollback", async (c) => {
    const { reason } = parseOrThrow(ReasonBody, await readJson(c.req));
    const db = getDb(c.env.DB);
    const history = await db.select().from(policies).orderBy(desc(policies.activatedAt));
    const active = history.find((p) => p.status === "active");
    const previous = history.find((p) => p.status === "retired" && p.activatedAt !== null && p.version !== active?.version);
    if (!previous) throw new ApiError("conflict", "no earlier active policy to roll back to");
    await activate(c, previous.version, reason, "policy.rollback");
    return c.json({ active: previous.version, previous: active?.version ?? null });
  })
  .get("/:version{[0-9]+}", async (c) => {
    const policy = await getPolicyVersion(c.env, Number(c.req.param("version")));
    if (!policy) throw new ApiError("not_found", "no such policy version");
    return c.json({ version: Number(c.req.param("version")), policy });
  })
  .post("/:version{[0-9]+}/activate", async (c) => {
    const { reason } = parseOrThrow(ReasonBody, await readJson(c.req));
    const version = Number(c.req.param("version"));
    if (!(await getPolicyVersion(c.env, version)) || version === 0) throw new ApiError("not_found", "no such policy version");
    await activate(c, version, reason, "policy.activate");
    return c.json({ active: version });
  });
