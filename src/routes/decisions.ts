import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { AppEnv } from "../app-env.ts";
import { apiApp, jsonBody, route } from "../lib/openapi-route.ts";
import { getDb } from "../db/client.ts";
import { getDecisionWithLineage, type DecisionRow, type LineageRow } from "../db/decisions.ts";
import type { Db } from "../db/client.ts";
import { teamFacts } from "../db/routing-facts.ts";
import { repFacts } from "../routing/plan.ts";
import { leads, models } from "../db/schema.ts";
import { featureColumns } from "../scoring/features.ts";
import { parseManifest } from "../scoring/manifest.ts";
import { loadSignals } from "../signals/load-signals.ts";
import { requireScope } from "../lib/auth.ts";
import { ApiError } from "../lib/errors.ts";
import { parseOrThrow, readJson } from "../lib/validate.ts";
import { getPolicyVersion } from "../routing/policy-store.ts";
import { decodeCandidates } from "../routing/lineage-codec.ts";
import { replayDecision } from "../routing/replay.ts";
import { readSnapshots } from "../capacity/capacity-client.ts";
import { ReplayBody } from "../schemas/routing.ts";
import { getModelVersion } from "../scoring/model-store.ts";
import { familyForTeam } from "../scoring/team-family.ts";
import { featureInput, usesSignals } from "../signals/feature-input.ts";

/**
 * The named feature values of a decision: lineage keeps them once, as the vector; their names are the
 * scoring model's feature columns (older rows stored the named map itself).
 */
async function namedFeatures(db: Db, decision: DecisionRow, lineage: LineageRow): Promise<Record<string, unknown>> {
  const stored = lineage.features as Record<string, unknown>;
  const vector = lineage.vector as number[];
  if (Object.keys(stored).length > 0 || vector.length === 0 || !decision.modelName || !decision.modelVersion) return stored;
  const row = await db.select().from(models).where(and(eq(models.name, decision.modelName), eq(models.version, decision.modelVersion))).get();
  if (!row) return stored;
  const columns = featureColumns(parseManifest(row).features);
  return Object.fromEntries(columns.map((c, i) => [c, vector[i]]));
}

const IdPath = z.object({ id: z.string().describe("a decision id") });

/** The operations of this sub-app, as the API document shows them; their handlers follow. */
const definitions = {
  "GET /{id}": route({ method: "get", path: "/{id}", tags: ["CRM"], summary: "A decision with its lineage", auth: "crm:read", middleware: requireScope("crm:read"), request: { params: IdPath }, ok: { 200: "The decision" } }),
  "POST /{id}/replay": route({
    method: "post",
    path: "/{id}/replay",
    tags: ["Routing"],
    summary: "Re-run a decision from its lineage under the recorded (or another) model and policy version",
    auth: "admin",
    middleware: requireScope("admin"),
    request: { params: IdPath, body: jsonBody(ReplayBody, { required: false }) },
    ok: { 200: "The replayed decision next to the recorded one" },
  }),
};

export const decisions = apiApp()
  .openapi(definitions["GET /{id}"], async (c) => {
    const db = getDb(c.env.DB);
    const found = await getDecisionWithLineage(db, c.req.param("id"));
    const teamId = c.get("token").teamId;
    // Another team's decision answers like a missing one: its existence is not the caller's business.
    if (!found || (teamId !== null && found.decision.teamId !== teamId)) throw new ApiError("not_found", "no such decision");
    const { decision, lineage, factsJson } = found;
    const { decisionId: _, createdAt: __, ...trail } = lineage;
    const candidates = decodeCandidates(lineage.candidates, factsJson, (lineage.context as { now: number }).now);
    const features = await namedFeatures(db, decision, lineage);
    return c.json({ ...decision, createdAt: new Date(decision.createdAt).toISOString(), lineage: { ...trail, features, candidates } });
  })
  /** Recomputes a decision from its lineage, under its own or another model / policy version. */
  .openapi(definitions["POST /{id}/replay"], async (c) => {
    const { modelVersion, policyVersion } = parseOrThrow(ReplayBody, c.req.header("content-type") ? await readJson(c.req) : {});
    const db = getDb(c.env.DB);
    const found = await getDecisionWithLineage(db, c.req.param("id"));
    const own = c.get("token").teamId;
    // As for GET: a team-bound token's view of another team's decision is a missing one.
    if (!found || (own !== null && found.decision.teamId !== own)) throw new ApiError("not_found", "no such decision");
    const { decision, lineage, factsJson } = found;
    const candidates = decodeCandidates(lineage.candidates, factsJson, (lineage.context as { now: number }).now);
    const lead = (await db.select().from(leads).where(eq(leads.id, decision.leadId)).get())!;
    // The inputs are gone; the decision and its non-personal lineage stay readable at GET /v1/decisions/:id.
    if (lead.maskedAt !== null) {
      throw new ApiError("gone", `the lead's personal data was ${lead.maskedBy === "erasure" ? "erased" : "masked by the retention policy"} at ${new Date(lead.maskedAt).toISOString()}: its decision cannot be replayed`);
    }
    const version = modelVersion ?? decision.modelVersion;
    // A rules-only decision names no model: another version is looked up in the lead's team's family.
    const model = version ? await getModelVersion(c.env, decision.modelName ?? (await familyForTeam(c.env, decision.teamId)), version) : undefined;
    // A version the client names must exist (422 naming the field); one the lineage names that is gone is a 404.
    if (version && !model) throw modelVersion ? new ApiError("validation_failed", `modelVersion: no model version ${version}`) : new ApiError("not_found", `no model version ${version}`);
    const usedPolicy = policyVersion ?? decision.policyVersion;
    const policy = await getPolicyVersion(c.env, usedPolicy);
    if (!policy) throw policyVersion !== undefined ? new ApiError("validation_failed", `policyVersion: no policy version ${policyVersion}`) : new ApiError("not_found", `no policy version ${decision.policyVersion}`);
    // Reps the original never considered are read as they are now (only another policy can reach them).
    const team = await teamFacts(db, decision.teamId);
    const { snapshots } = policyVersion !== undefined ? await readSnapshots(c.env, team.reps) : { snapshots: new Map() };
    // Signal features are recomputed as of the decision, from the events ingested by then: the same values.
    const asOf = (lineage.provenance as { asOf?: number } | null)?.asOf ?? (lineage.context as { now: number }).now;
    const signals = model && usesSignals(model.manifest.features) ? (await loadSignals(db, lead.teamId, [{ leadId: lead.id, teamId: lead.teamId, email: lead.email, receivedAt: lead.receivedAt, asOf }])).get(lead.id)! : null;
    const featureInputs = featureInput(lead.payload as Record<string, unknown>, signals);
    const result = await replayDecision({ decision, lineage, candidates, policyVersion: usedPolicy, lead, model: model ?? null, policy, extraReps: team.reps.map(repFacts), extraSnapshots: snapshots, featureInput: featureInputs });
    return c.json({ decisionId: decision.id, modelVersion: version ?? null, policyVersion: usedPolicy, ...result });
  });
