import type { Context } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../app-env.ts";
import { apiApp, bodyOf, route } from "../lib/openapi-route.ts";
import { bookmarkOf, getDb } from "../db/client.ts";
import type { Db } from "../db/client.ts";
import { firstDecisionStatements } from "../db/decisions.ts";
import { storeDecidedLead, storeLeadOnce } from "../db/leads.ts";
import type { leads as leadsTable } from "../db/schema.ts";
import { releaseSlot } from "../capacity/capacity-client.ts";
import { ApiError } from "../lib/errors.ts";
import { canonicalJson, newId, sha256Hex } from "../lib/hashing.ts";
import { parseOrThrow } from "../lib/validate.ts";
import { readLeadBody, type LeadBody } from "../intake/body.ts";
import { consentOf } from "../intake/consent.ts";
import { claimKey, completeKey, releaseKey } from "../intake/idempotency.ts";
import { isReplayedSignature, rememberSignature, replayRefused } from "../intake/replay.ts";
import { SIGNATURE_HEADER, verifySignature } from "../intake/signature.ts";
import { getSite, siteToRead, type SiteRow } from "../intake/sites.ts";
import { CONTROL_FIELDS, suspicionOf } from "../intake/spam.ts";
import { verifyTurnstile } from "../intake/turnstile.ts";
import { afterCommit, afterRefusal, askRep, commitDecision, lineageWrite, reserveForPlan, speculativePlan } from "../routing/commit-decision.ts";
import { summarise, type DecisionPlan } from "../routing/decide.ts";
import { loadDecisionContext, warmContext, type DecisionContext, type LoadedContext } from "../routing/decision-context.ts";
import { LeadInputSchema } from "../schemas/lead.ts";
import { LeadAnswer } from "../schemas/responses.ts";
import type { Reason } from "../scoring/score.ts";
import { forgetTeamEvents, isFailedNoEventsCheck } from "../signals/team-events.ts";
import { enqueueDecisionEvent } from "../webhooks/emit.ts";

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

/**
 * Per site always; per client IP for browser posts (a signed server posts for many people from one IP).
 * True when the post is within both limits.
 */
async function rateLimits(c: Ctx, siteId: string, signed: boolean): Promise<boolean> {
  const ip = c.req.header("cf-connecting-ip");
  const checks = [c.env.SITE_RATE_LIMITER.limit({ key: `site:${siteId}` })];
  if (ip && !signed) checks.push(c.env.IP_RATE_LIMITER.limit({ key: `ip:${ip}` }));
  return (await Promise.all(checks)).every((r) => r.success);
}

/** What the post answers, and the status to answer it with. */
type Answer = { status: 200 | 201 | 202; text: string; replayed?: boolean };

const json = (status: Answer["status"], payload: unknown): Answer => ({ status, text: JSON.stringify(payload) });

/**
 * The careful way to store a lead, when it is not routed (review) or when the one-batch write failed: the
 * idempotency claim, then the lead stored once (or merged into the lead that owns its email inside the
 * dedupe window), then the answer kept for the key. A routed lead stored this way is pending: the cron
 * trigger decides it.
 */
async function storeCarefully(db: Db, lead: typeof leadsTable.$inferInsert, windowMs: number, idem: { siteId: string; key: string; requestHash: string } | null, signature: string | undefined, failure: unknown): Promise<Answer> {
  if (idem) {
    const claim = await claimKey(db, idem.siteId, idem.key, idem.requestHash);
    if (claim.kind === "conflict") throw new ApiError("conflict", claim.message);
    if (claim.kind === "replay") return { status: claim.status as Answer["status"], text: claim.body, replayed: true };
  }
  try {
    const row = failure === undefined ? lead : { ...lead, attempts: 1, lastError: String(failure).slice(0, 500) };
    // A signed post's signature rides in the batch that stores the lead: a replay fails it, storing nothing.
    const { result: stored } = await storeLeadOnce(db, row, windowMs, newId("sub"), signature ? [rememberSignature(db, lead.siteId, signature)] : []).catch((err) => {
      throw isReplayedSignature(err) ? replayRefused() : err;
    });
    let answer: Answer;
    if (!stored.stored) answer = json(200, { lead: { id: stored.mergedInto, status: "merged" }, decision: null });
    // Said as little as a normal acceptance: a bot learns nothing from the answer.
    else if (lead.status === "review") answer = json(202, { lead: { id: lead.id, status: "received" }, decision: null });
    else {
      console.error("decision failed; lead kept pending", lead.id, failure);
      answer = json(202, { lead: { id: lead.id, status: "pending" }, decision: null });
    }
    if (idem) await completeKey(db, idem.siteId, idem.key, answer.status, answer.text);
    return answer;
  } catch (err) {
    if (idem) await releaseKey(db, idem.siteId, idem.key).catch(() => undefined);
    throw err;
  }
}

/**
 * The intake's entry in the document. The handler reads the body itself (JSON, urlencoded or multipart,
 * within LEAD_BODY_BOUNDS) and validates it with LeadInputSchema, so the body is documented, not validated, here.
 */
const intake = route({
  method: "post",
  path: "/",
  tags: ["Intake"],
  summary: "Submit a lead (JSON, urlencoded or multipart; signed server-to-server posts with Lead-Router-Signature)",
  auth: "site",
  parameters: [
    { name: "site", in: "query", required: false, description: "the site key, when not sent as X-Site-Key or the `site_key` field", schema: { type: "string" } },
    { name: "Idempotency-Key", in: "header", required: false, description: "the same key and body answer the same response, never a second lead", schema: { type: "string" } },
    { name: SIGNATURE_HEADER, in: "header", required: false, description: "a server's HMAC signature of the raw body (`t=<unix seconds>,v1=<hex>`); a replayed signature is refused", schema: { type: "string" } },
    { name: "X-D1-Bookmark", in: "header", required: false, description: "the bookmark a POST /v1/events answered with: the lead's signals are read at least that fresh", schema: { type: "string" } },
  ],
  request: { body: bodyOf(LeadInputSchema, ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"]) },
  ok: {
    201: { description: "Stored, scored and routed", schema: LeadAnswer },
    200: { description: "Merged into an earlier lead of the same email", schema: LeadAnswer },
    202: { description: "Stored; decision pending or under review", schema: LeadAnswer },
    303: "Plain HTML form: redirect to the thank-you page",
  },
});

const corsForForms = cors({
  // Any origin may ask; the post itself is checked against its site's allowlist.
  origin: (origin) => origin,
  allowMethods: ["POST", "OPTIONS"],
  allowHeaders: ["content-type", "idempotency-key", "x-site-key", "x-d1-bookmark", SIGNATURE_HEADER],
  exposeHeaders: ["x-request-id", "idempotent-replayed"],
  maxAge: 86_400,
});

export const leads = apiApp(
    // CORS headers are for browsers, which send Origin; a server's post (no Origin) is answered without them
    // (and without the Response copy setting them costs).
    (c, next) => (c.req.header("origin") === undefined ? next() : corsForForms(c, next)),
  )
  .openapi(intake, async (c) => {
    const t0 = performance.now();
    // The rate limits run beside parsing and authentication; their verdict is read once the site is known.
    const headerKey = c.req.header("x-site-key") ?? c.req.query("site");
    let limits = headerKey ? rateLimits(c, headerKey, c.req.header(SIGNATURE_HEADER) !== undefined) : undefined;
    limits?.catch(() => undefined);
    // When the site must be read (a new isolate, or one idle past its TTL), so must the lead's context: read
    // beside the site what needs no team, and the context of the team this isolate last saw the site in (a
    // wrong guess only costs those reads).
    const toRead = headerKey ? siteToRead(headerKey) : undefined;
    const warming = toRead && warmContext(c.env, toRead.lastTeam, c.req.header("x-d1-bookmark") === undefined);
    // Whatever the post turns out to be (refused, limited), the reads finish and fill the caches.
    if (warming) c.executionCtx.waitUntil(warming);
    const body = await readLeadBody(c.req.raw);
    const { site, signed, signature } = await authenticate(c, body);
    limits ??= rateLimits(c, site.id, signed);
    // Checked before anything is written (a hold, a lead): a limited client makes the router write nothing.
    const withinLimits = async () => {
      if (!(await limits)) {
        c.header("Retry-After", "60");
        throw new ApiError("rate_limited", "too many leads from this client or site; slow down");
      }
    };
    if (!signed && site.turnstileSecret) {
      const token = body.fields["cf-turnstile-response"];
      if (typeof token !== "string" || !(await verifyTurnstile(site.turnstileSecret, token, c.req.header("cf-connecting-ip")))) {
        throw new ApiError("forbidden", "the Turnstile challenge was not passed");
      }
    }
    const fields = Object.fromEntries(Object.entries(body.fields).filter(([k]) => !(CONTROL_FIELDS as readonly string[]).includes(k)));
    const input = parseOrThrow(LeadInputSchema, fields);
    const db = getDb(c.env.DB);
    const idemKey = c.req.header("idempotency-key");
    if (idemKey !== undefined && !/^[\x21-\x7e]{1,255}$/.test(idemKey)) throw new ApiError("bad_request", "Idempotency-Key must be 1-255 visible ASCII characters");
    const [inputHash, requestHash] = await Promise.all([sha256Hex(canonicalJson(input)), idemKey === undefined ? "" : sha256Hex(body.raw)]);
    const idem = idemKey === undefined ? null : { siteId: site.id, key: idemKey, requestHash };
    const suspicion = signed ? null : suspicionOf(body.fields, input.email, Date.now());
    const lead = {
      id: newId("lead"),
      teamId: site.teamId,
      siteId: site.id,
      email: input.email,
      payload: input,
      inputHash,
      status: suspicion ? ("review" as const) : ("pending" as const),
      reviewReason: suspicion,
      channel: signed ? "signed" : body.format,
      attempts: 0,
      lastError: null,
      receivedAt: Date.now(),
      consent: consentOf(site.consentField, input),
    };
    const windowMs = site.dedupeWindowSeconds * 1000;
    const tParsed = performance.now();

    let answer: Answer | undefined;
    let failure: unknown;
    // Work that runs after the answer: stale capacity hints re-read, the webhook event.
    const background = (work: Promise<unknown>) => c.executionCtx.waitUntil(work);
    // Signals from the nearest read replica, as fresh as the events the client's bookmark says it wrote.
    const bookmark = bookmarkOf(c.req.header("x-d1-bookmark"));
    const load = (skipEmptyTeams: boolean) =>
      loadDecisionContext(c.env, { ...lead, payload: input as Record<string, unknown> }, { background, replica: { bookmark, skipEmptyTeams } });
    // The reads it began are awaited (not raced: a cache stores only what a read finished).
    if (warming && (toRead.lastTeam === undefined || toRead.lastTeam === site.teamId)) await warming;
    // A routed lead's context (isolate caches, scoring) loads while the limiter answers.
    const loading = suspicion ? undefined : load(true).catch((err: unknown) => err as Error);
    await withinLimits();
    // What the request committed, and whether its after-commit steps ran already (commitDecision runs them);
    // else they run after the try (the answer is durable by then, whatever they do).
    let committed: ({ plan: DecisionPlan; reasons: Reason[] } & ({ noted: true } | { noted: false; factsHash: string })) | undefined;

    /**
     * Decides the lead on a loaded context and makes the one durable write: lead, decision, lineage, idempotent
     * answer, dedupe claim, signature and the context's checks. If the write fails, the lead's hold is freed and
     * the error thrown (nothing of the batch landed).
     */
    const decideAndStore = async (loaded: LoadedContext) => {
      let held: string | null = null;
      try {
        const t2 = performance.now();
        const timings = { context: loaded.stages.context, score: loaded.stages.score, reserve: loaded.stages.snapshots };
        const decidedAnswer = (plan: DecisionPlan, context: DecisionContext) => json(201, { lead: { id: lead.id, status: "decided" }, decision: summarise(plan, context, timings) });
        const store = async (context: DecisionContext, plan: DecisionPlan) => {
          const write = await lineageWrite(db, plan, context.now, { ...timings, parse: tParsed - t0 });
          // The answer kept for an Idempotency-Key rides in the batch; without a key it is built while the batch is out.
          const kept = idem ? decidedAnswer(plan, context) : undefined;
          const stored = storeDecidedLead(db, { ...lead, status: "decided" }, windowMs, idem && kept ? { ...idem, status: kept.status, body: kept.text } : null, [
            ...firstDecisionStatements(db, plan.decision, write.lineage),
            ...write.extra,
            ...loaded.checks,
            ...(signature ? [rememberSignature(db, site.id, signature)] : []),
          ]);
          const decided = kept ?? decidedAnswer(plan, context);
          await stored;
          return { decided, factsHash: write.factsHash };
        };
        // Usually the write and the reservation go out together (one round trip between them): the plan as if
        // the pick's object agrees. Near its caps the pick is asked first, then the plan written.
        const guess = speculativePlan(loaded.context);
        if (guess) {
          const [asked, written] = await Promise.allSettled([guess.ask ? askRep(c.env, guess.plan, guess.ask, loaded.caps, { decisionId: guess.plan.decision.id }) : null, store(guess.context, guess.plan)]);
          const attempt = asked.status === "fulfilled" ? asked.value : null;
          if (attempt?.result === "reserved") held = guess.ask;
          if (written.status === "rejected") throw written.reason;
          answer = written.value.decided;
          if (!guess.ask || attempt?.result === "reserved") {
            committed = { plan: guess.plan, reasons: guess.context.score?.reasons ?? [], noted: false, factsHash: written.value.factsHash };
          } else {
            // The rep refused (it filled since its snapshot) or failed while its decision was written. The lead
            // is stored; decide again without that rep and supersede the written decision (and the answer kept
            // for the key). Should this fail, the rep's object returns the lead to pending (see RepCapacity.reserve).
            try {
              const retry = await reserveForPlan(c.env, afterRefusal(loaded.context, guess.plan, guess.ask, attempt ?? { result: "error" }), loaded.caps);
              const decided = decidedAnswer(retry.plan, retry.context);
              const kept = idem ? [completeKey(db, idem.siteId, idem.key, decided.status, decided.text)] : [];
              await commitDecision(c.env, db, retry.context, retry.plan, { ...timings, parse: tParsed - t0 }, kept);
              committed = { plan: retry.plan, reasons: retry.context.score?.reasons ?? [], noted: true };
              answer = decided;
            } catch (err) {
              console.error("re-deciding after a refused reservation failed; the rep's object returns the lead to pending", lead.id, err);
            }
          }
        } else {
          const { context, plan } = await reserveForPlan(c.env, loaded.context, loaded.caps);
          held = plan.repId;
          const written = await store(context, plan);
          committed = { plan, reasons: context.score?.reasons ?? [], noted: false, factsHash: written.factsHash };
          answer = written.decided;
        }
        // Server-Timing also names the signals read, a part of the context stage (lineage keeps stages that add up).
        const stages = { parse: tParsed - t0, context: timings.context, signals: loaded.stages.signals, score: timings.score, reserve: timings.reserve, commit: performance.now() - t2 };
        c.header("Server-Timing", Object.entries(stages).map(([k, v]) => `${k};dur=${v.toFixed(1)}`).join(", "));
      } catch (err) {
        // A duplicate, a used key, a failed check or a failed write: nothing of the batch landed. Free the hold.
        if (held) await releaseSlot(c.env, held, lead.id).catch(() => undefined);
        throw err;
      }
    };

    if (loading) {
      try {
        const loaded = await loading;
        if (loaded instanceof Error) throw loaded;
        await decideAndStore(loaded).catch(async (err: unknown) => {
          if (!isFailedNoEventsCheck(err)) throw err;
          // The lead has events its team was thought not to have (sent through another isolate): decide it on a read.
          forgetTeamEvents(lead.teamId);
          await decideAndStore(await load(false));
        });
      } catch (err) {
        failure = err;
      }
    }
    if (committed) {
      if (!committed.noted) afterCommit(committed.plan, committed.factsHash);
      // Its webhook event goes out after the answer too (a lost send costs a notification, not the lead).
      void enqueueDecisionEvent(c.env, lead, committed.plan.decision, committed.reasons, { waitUntil: background });
    }
    answer ??= await storeCarefully(db, lead, windowMs, idem, signature, failure);

    if (answer.replayed) return c.body(answer.text, answer.status, { "content-type": "application/json", "idempotent-replayed": "true" });
    const wantsJson = (c.req.header("accept") ?? "").includes("application/json");
    if (body.format === "form" && !wantsJson) {
      const target = new URL(site.thankYouUrl ?? "/thanks", c.req.url);
      target.searchParams.set("lead", String((JSON.parse(answer.text) as { lead: { id: string } }).lead.id));
      return c.redirect(target.toString(), 303);
    }
    return c.body(answer.text, answer.status, { "content-type": "application/json" });
  });
