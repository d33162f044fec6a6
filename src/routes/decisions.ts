import { Hono } from "hono";
import type { AppEnv } from "../app-env.ts";
import { getDb } from "../db/client.ts";
import { getDecisionWithLineage } from "../db/decisions.ts";
import { requireScope } from "../lib/auth.ts";
import { ApiError } from "../lib/errors.ts";

export const decisions = new Hono<AppEnv>().get("/:id", requireScope("crm:read"), async (c) => {
  const found = await getDecisionWithLineage(getDb(c.env.DB), c.req.param("id"));
  const teamId = c.get("token").teamId;
  // Another team's decision answers like a missing one: its existence is not the caller's business.
  if (!found || (teamId !== null && found.decision.teamId !== teamId)) {
    throw new ApiError("not_found", "no such decision");
  }
  const { decision, lineage } = found;
  return c.json({
    ...decision,
    createdAt: new Date(decision.createdAt).toISOString(),
    lineage: {
      inputHash: lineage.inputHash,
      features: lineage.features,
      vector: lineage.vector,
      reasons: lineage.reasons,
      candidates: lineage.candidates,
      dealValue: lineage.dealValue,
      shadow: lineage.shadow,
      fallbackReason: lineage.fallbackReason,
      timings: lineage.timings,
    },
  });
});
