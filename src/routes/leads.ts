import { Hono, type Context } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../app-env.ts";
import { getDb } from "../db/client.ts";
import { markAttemptFailed, storeLeadOnce } from "../db/leads.ts";
import { routingFactReads } from "../db/routing-facts.ts";
import { ApiError } from "../lib/errors.ts";
import { canonicalJson, newId, sha256Hex } from "../lib/hashing.ts";
import { parseOrThrow } from "../lib/validate.ts";
import { readLeadBody, type LeadBody } from "../intake/body.ts";
import { consentOf } from "../intake/consent.ts";
import { claimKey, completeKey, releaseKey } from "../intake/idempotency.ts";
import { isReplayedSignature, rememberSignature, replayRefused } from "../intake/replay.ts";
import { SIGNATURE_HEADER, verifySignature } from "../intake/signature.ts";
import { getSite, type SiteRow } from "../intake/sites.ts";
import { CONTROL_FIELDS, suspicionOf } from "../intake/spam.ts";
import { verifyTurnstile } from "../intake/turnstile.ts";
import { decideLead } from "../routing/decide.ts";
import { LeadInputSchema } from "../schemas/lead.ts";

type Ctx = Context<AppEnv>;

/** Who posted: the site, and whether the post was signed by one of its servers. */
async function authenticate(c: Ctx, body: LeadBody): Promise<{ site: SiteRow; signed: boolean; signature?: string }> {
  const key = c.req.header("x-site-key") ?? c.req.query("site") ?? body.fields.site_key;
  if (typeof key !== "string" || key === "") {
    throw new ApiError("unauthorized", "name the site: `X-Site-Key` header, `site` query parameter or `site_key` field");
  }
  const site = await getSite(c.env, key);
  if (!site || site.revokedAt !== null) throw new ApiError("unauthorized", "unknown or revoked site key");
  const signature = c.req.header(SIGNATURE_HEADER);
  if (signature !== undefined) {
    const check = await verifySignature(signature, body.raw, site.signingSecrets);
    if (!check.ok) throw new ApiError("unauthorized", `bad ${SIGNATURE_HEADER}: ${check.reason}`);
    return { site, signed: true, signature: check.signature };
  }
  if (site.requireSignature) throw new ApiError("unauthorized", `this site only accepts posts signed with ${SIGNATURE_HEADER}`);
  const origin = c.req.header("origin");
  if (origin !== undefined && site.allowedOrigins.length > 0 && !site.allowedOrigins.includes(origin)) {
    throw new ApiError("forbidden", `origin ${origin} may not post leads for this site`);
  }
  return { site, signed: false };
}

/** Per site always; per client IP for browser posts (a signed server posts for many people from one IP). */
async function rateLimit(c: Ctx, site: SiteRow, signed: boolean): Promise<void> {
  const ip = c.req.header("cf-connecting-ip");
  const checks = [c.env.SITE_RATE_LIMITER.limit({ key: `site:${site.id}` })];
  if (ip && !signed) checks.push(c.env.IP_RATE_LIMITER.limit({ key: `ip:${ip}` }));
  const results = await Promise.all(checks);
  if (results.some((r) => !r.success)) {
    c.header("Retry-After", "60");
    throw new ApiError("rate_limited", "too many leads from this client or site; slow down");
  }
}

export const leads = new Hono<AppEnv>()
  .use(
    cors({
      // Any origin may ask; the post itself is checked against its site's allowlist.
      origin: (origin) => origin,
      allowMethods: ["POST", "OPTIONS"],
      allowHeaders: ["content-type", "idempotency-key", "x-site-key", SIGNATURE_HEADER],
      exposeHeaders: ["x-request-id", "idempotent-replayed"],
      maxAge: 86_400,
    }),
  )
  .post("/", async (c) => {
    const t0 = performance.now();
    const body = await readLeadBody(c.req.raw);
    const { site, signed, signature } = await authenticate(c, body);
    await rateLimit(c, site, signed);
    if (!signed && site.turnstileSecret) {
      const token = body.fields["cf-turnstile-response"];
      if (typeof token !== "string" || !(await verifyTurnstile(site.turnstileSecret, token, c.req.header("cf-connecting-ip")))) {
        throw new ApiError("forbidden", "the Turnstile challenge was not passed");
      }
    }
    const fields = Object.fromEntries(Object.entries(body.fields).filter(([k]) => !(CONTROL_FIELDS as readonly string[]).includes(k)));
    const input = parseOrThrow(LeadInputSchema, fields);
    const db = getDb(c.env.DB);
    const inputHash = await sha256Hex(canonicalJson(input));

    const idemKey = c.req.header("idempotency-key");
    if (idemKey !== undefined) {
      if (!/^[\x21-\x7e]{1,255}$/.test(idemKey)) throw new ApiError("bad_request", "Idempotency-Key must be 1-255 visible ASCII characters");
      const claim = await claimKey(db, site.id, idemKey, await sha256Hex(body.raw));
      if (claim.kind === "conflict") throw new ApiError("conflict", claim.message);
      if (claim.kind === "replay") {
        return c.body(claim.body, claim.status as 201, { "content-type": "application/json", "idempotent-replayed": "true" });
      }
    }

    const tParsed = performance.now();
    try {
      const suspicion = signed ? null : suspicionOf(body.fields, input.email, Date.now());
      // A lead that will be routed reads its routing facts in the batch that stores it: one round trip.
      const factReads = suspicion ? null : routingFactReads(db, site.teamId, input.email);
      const { result: stored, reads } = await storeLeadOnce(
        db,
        {
          id: newId("lead"),
          teamId: site.teamId,
          siteId: site.id,
          email: input.email,
          payload: input,
          inputHash,
          status: suspicion ? "review" : "pending",
          reviewReason: suspicion,
          channel: signed ? "signed" : body.format,
          receivedAt: Date.now(),
          consent: consentOf(site.consentField, input),
        },
        site.dedupeWindowSeconds * 1000,
        newId("sub"),
        // A signed post's signature rides in the same batch: a replay fails it, storing nothing.
        [...(factReads?.reads ?? []), ...(signature ? [rememberSignature(db, site.id, signature)] : [])],
      ).catch((err) => {
        throw isReplayedSignature(err) ? replayRefused() : err;
      });
      let status: 200 | 201 | 202;
      let payload: Record<string, unknown>;
      if (!stored.stored) {
        status = 200;
        payload = { lead: { id: stored.mergedInto, status: "merged" }, decision: null };
      } else if (suspicion) {
        // Said as little as a normal acceptance: a bot learns nothing from the answer.
        status = 202;
        payload = { lead: { id: stored.lead.id, status: "received" }, decision: null };
      } else {
        const t1 = performance.now();
        try {
          const decision = await decideLead(c.env, stored.lead, {
            facts: factReads?.collect(reads),
            waitUntil: (work) => c.executionCtx.waitUntil(work),
          });
          const stages = { parse: tParsed - t0, store: t1 - tParsed, ...decision.timings };
          c.header("Server-Timing", Object.entries(stages).map(([k, v]) => `${k};dur=${v.toFixed(1)}`).join(", "));
          status = 201;
          payload = { lead: { id: stored.lead.id, status: "decided" }, decision };
        } catch (err) {
          // The lead is stored: answer 202 and let the cron trigger retry the decision.
          console.error("decision failed; lead kept pending", stored.lead.id, err);
          await markAttemptFailed(db, stored.lead.id, String(err)).catch(() => undefined);
          status = 202;
          payload = { lead: { id: stored.lead.id, status: "pending" }, decision: null };
        }
      }
      const text = JSON.stringify(payload);
      if (idemKey !== undefined) await completeKey(db, site.id, idemKey, status, text);
      const wantsJson = (c.req.header("accept") ?? "").includes("application/json");
      if (body.format === "form" && !wantsJson) {
        const target = new URL(site.thankYouUrl ?? "/thanks", c.req.url);
        target.searchParams.set("lead", String((payload.lead as { id: string }).id));
        return c.redirect(target.toString(), 303);
      }
      return c.body(text, status, { "content-type": "application/json" });
    } catch (err) {
      if (idemKey !== undefined) await releaseKey(db, site.id, idemKey).catch(() => undefined);
      throw err;
    }
  });
