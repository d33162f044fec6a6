import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../src/index.ts";
import type { CandidateTrace } from "../src/routing/decide.ts";
import { decodeCandidates } from "../src/routing/lineage-codec.ts";
import { TOKENS } from "./setup.ts";

export const BASE = "http://router.test";

/**
 * Calls the Worker's fetch handler (inside workerd) as a client would, then waits for the work it left
 * running after the answer (ctx.waitUntil: a webhook event, a cache refresh), so none of it lands in the next test.
 * `bindings` swaps in another env (a test's stand-in binding).
 */
export async function call(path: string, init: RequestInit = {}, bindings: Env = env): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, init), bindings, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

export function postLead(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return call("/v1/leads", {
    method: "POST",
    headers: { "content-type": "application/json", "x-site-key": "pk_demo", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export function crmGet(path: string, token: string = TOKENS.crm): Promise<Response> {
  return call(path, { headers: { authorization: `Bearer ${token}` } });
}

let serial = 0;
/** A fresh email each call: the demo site merges repeat submissions of one email within a day. */
export const uniqueEmail = (prefix = "lead") => `${prefix}${++serial}-${crypto.randomUUID().slice(0, 8)}@bigcorp.example`;

/** A lead the default model scores high (demo requested, senior, large company). */
export const HOT_LEAD = {
  email: "cto@bigcorp.example",
  company: "BigCorp",
  employees: 5000,
  industry: "software",
  country: "US",
  job_title: "CTO",
  source: "referral",
  pages_viewed: 25,
  demo_requested: true,
};

export type ErrorJson = { error: { code: string; message: string; requestId: string } };

/** A decision's lineage candidates as stored in D1, expanded from their compact form (src/routing/lineage-codec.ts). */
export async function storedCandidates(decisionId: string): Promise<CandidateTrace[]> {
  const row = await env.DB.prepare(
    "SELECT l.candidates, l.context, f.facts FROM lineage l LEFT JOIN rep_facts_versions f ON f.hash = json_extract(l.candidates, '$.facts') WHERE l.decision_id = ?",
  )
    .bind(decisionId)
    .first<{ candidates: string; context: string; facts: string | null }>();
  return decodeCandidates(JSON.parse(row!.candidates), row!.facts, (JSON.parse(row!.context) as { now: number }).now);
}
