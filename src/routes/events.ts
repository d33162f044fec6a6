import { and, eq, inArray, isNull } from "drizzle-orm";
import type { AppEnv } from "../app-env.ts";
import { apiApp, jsonBody, route } from "../lib/openapi-route.ts";
import { selectInChunks } from "../db/chunks.ts";
import { getDb } from "../db/client.ts";
import { reps, teams } from "../db/schema.ts";
import { insertEvents, sameEvent, storedEvents, type NewSignalEvent } from "../db/signals.ts";
import { accountKeys } from "../signals/load-signals.ts";
import { requireScope } from "../lib/auth.ts";
import { forgetTeamEvents } from "../signals/team-events.ts";
import { ApiError } from "../lib/errors.ts";
import { parseOrThrow, readJson } from "../lib/validate.ts";
import { EventsBody } from "../schemas/events.ts";
import { EventsAnswer } from "../schemas/responses.ts";
import { applyOwnerChanges } from "../signals/crm-sync.ts";
import { rescoreSubjects } from "../signals/rescore.ts";

const ingest = route({
  method: "post",
  path: "/",
  tags: ["Signals"],
  summary: "Engagement, product-usage and CRM events (up to 500); each id stored once per team (a clash with another event under that id is listed in `conflicts`); waiting leads re-scored",
  auth: "events:write",
  middleware: requireScope("events:write"),
  request: { body: jsonBody(EventsBody) },
  ok: {
    201: { description: "Stored (with duplicates, conflicts and re-scored leads listed)", schema: EventsAnswer, headers: { "X-D1-Bookmark": { description: "a bookmark of these writes: send it with a lead to read its signals at least this fresh", schema: { type: "string" } } } },
    200: { description: "Nothing new: every event was a duplicate or a conflict", schema: EventsAnswer },
  },
});

/**
 * Engagement, product-usage and CRM events. The whole batch is validated first (zod, then the time
 * window) and refused with a 422 naming every failing event; otherwise every new event is stored once,
 * with its source, ingest time and sender; a CRM owner change moves its account; and leads waiting in
 * nurture or a queue are re-scored.
 */
export const eventsApi = apiApp().openapi(ingest, async (c) => {
  const input = parseOrThrow(EventsBody, await readJson(c.req));
  const token = c.get("token");
  if (token.teamId !== null && input.teamId !== undefined && input.teamId !== token.teamId) {
    throw new ApiError("forbidden", `this token posts events for team ${token.teamId} only`);
  }
  const teamId = token.teamId ?? input.teamId;
  if (!teamId) throw new ApiError("validation_failed", "teamId: an admin token must name the team the events belong to");
  // Through a session on the primary, so the answer can carry a bookmark of these writes (`X-D1-Bookmark`):
  // a lead posted with it reads its signals from a replica at least that fresh.
  const session = c.env.DB.withSession("first-primary");
  const db = getDb(session as unknown as D1Database);
  // A team-bound token's team is trusted; a team an admin names must exist.
  if (token.teamId === null && !(await db.select({ id: teams.id }).from(teams).where(eq(teams.id, teamId)).get())) {
    throw new ApiError("validation_failed", `teamId: no team ${teamId}`);
  }

  const now = Date.now();
  const oldest = now - Number(c.env.EVENT_MAX_AGE_DAYS) * 86_400_000;
  const newest = now + Number(c.env.EVENT_MAX_FUTURE_MINUTES) * 60_000;
  const problems: string[] = [];
  const times = input.events.map((e, i) => {
    const t = Date.parse(e.occurredAt);
    if (t < oldest) problems.push(`events.${i}.occurredAt: ${e.occurredAt} is older than ${c.env.EVENT_MAX_AGE_DAYS} days`);
    if (t > newest) problems.push(`events.${i}.occurredAt: ${e.occurredAt} is more than ${c.env.EVENT_MAX_FUTURE_MINUTES} minutes in the future`);
    return t;
  });
  if (problems.length > 0) throw new ApiError("validation_failed", `outside the accepted time window: ${problems.slice(0, 10).join("; ")}`);
  // An owner change must name one of the team's reps: owner-first routing would follow it.
  const owners = input.events.flatMap((e, i) => (e.type === "owner_change" ? [{ i, repId: String(e.properties.ownerRepId) }] : []));
  if (owners.length > 0) {
    const found = await selectInChunks([...new Set(owners.map((o) => o.repId))], (part) => db.select({ id: reps.id }).from(reps).where(and(eq(reps.teamId, teamId), isNull(reps.deletedAt), inArray(reps.id, part))));
    const known = new Set(found.map((r) => r.id));
    const unknown = owners.filter((o) => !known.has(o.repId));
    if (unknown.length > 0) throw new ApiError("validation_failed", unknown.slice(0, 10).map((o) => `events.${o.i}.properties.ownerRepId: no rep ${o.repId} in team ${teamId}`).join("; "));
  }

  const subjects = input.events.map((e) => ("email" in e.subject ? e.subject.email : e.subject.domain));
  const { keys } = await accountKeys(db, teamId, input.events.map((e) => ("email" in e.subject ? e.subject.email : `x@${e.subject.domain}`)));
  const rows: NewSignalEvent[] = input.events.map((e, i) => ({
    teamId,
    id: e.id,
    subjectType: "email" in e.subject ? "email" : "domain",
    subject: subjects[i]!,
    domain: keys[i] ?? null,
    type: e.type,
    occurredAt: times[i]!,
    properties: e.properties,
    source: e.source,
    ingestedAt: now,
    ingestedBy: token.id,
  }));
  const stored = await insertEvents(db, rows);
  // This isolate's leads of the team read their events from now on (other isolates' within TEAM_EVENTS_TTL_MS;
  // until then their writes' noEventsCheck catches a lead that has some).
  if (stored.size > 0) forgetTeamEvents(teamId);
  // An id the team used before (or twice in this batch) is stored once: a retry with the same event is a
  // duplicate, another event under that id a conflict. Other teams' ids never clash (the key is team + id).
  const earlier = await storedEvents(db, teamId, rows.filter((r) => !stored.has(r.id)).map((r) => r.id));
  const firstInBatch = new Map<string, NewSignalEvent>();
  const events = rows.map((r) => {
    const first = stored.has(r.id) && !firstInBatch.has(r.id);
    const before = first ? undefined : (firstInBatch.get(r.id) ?? earlier.get(r.id));
    if (!firstInBatch.has(r.id)) firstInBatch.set(r.id, r);
    const status = first ? "stored" : before && sameEvent(r, before) ? "duplicate" : "conflict";
    return { id: r.id, occurredAt: new Date(r.occurredAt).toISOString(), stored: first, status };
  });
  const fresh = rows.filter((_, i) => events[i]!.stored);
  const conflicts = events.filter((e) => e.status === "conflict").map((e) => e.id);
  const ownersChanged = await applyOwnerChanges(db, teamId, fresh, token.name);
  const rescored = await rescoreSubjects(c.env, teamId, fresh);
  const bookmark = session.getBookmark();
  if (bookmark) c.header("x-d1-bookmark", bookmark);
  // A batch answers per event: a clashing id is named in `conflicts` (and its event's status), not stored.
  return c.json({ stored: fresh.length, duplicates: events.filter((e) => e.status === "duplicate").map((e) => e.id), conflicts, events, ownersChanged, rescored }, fresh.length > 0 ? 201 : 200);
});
