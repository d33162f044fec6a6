import { exports } from "cloudflare:workers";
import { TOKENS } from "./setup.ts";

export const BASE = "http://router.test";

/** Calls the Worker's own fetch handler (inside workerd), as a client would. */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`${BASE}${path}`, init));
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
