import type { WebhookFormat } from "../db/schema-webhooks.ts";
import type { AlertEventData, DecisionEventData, ModelEventData, WebhookEvent } from "./events.ts";

/** What rendering adds to the event: names looked up at fan-out, and where links point. */
export type RenderContext = { repName: string | null; publicUrl: string };

/** The generic JSON body: the delivery id (dedupe on it), the event, and its data as recorded. */
export function jsonBody(deliveryId: string, event: WebhookEvent, ctx: RenderContext) {
  const data = "decision" in event.data ? { ...event.data, decision: { ...event.data.decision, repName: ctx.repName }, link: decisionLink(ctx, event.data.decision.id) } : event.data;
  return { id: deliveryId, type: event.type, eventId: event.id, occurredAt: new Date(event.occurredAt).toISOString(), teamId: event.teamId, data };
}

const decisionLink = (ctx: RenderContext, id: string) => (ctx.publicUrl ? `${ctx.publicUrl.replace(/\/$/, "")}/v1/decisions/${encodeURIComponent(id)}` : null);

/** Slack's mrkdwn treats these three as control characters; anything a lead typed is escaped. */
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

const HEADLINES: Record<string, string> = {
  "decision.assigned": "New lead assigned",
  "decision.rerouted": "Lead re-routed",
  "decision.queued": "Lead queued (no rep free)",
  "decision.nurtured": "Lead sent to nurture",
  "review.held": "Lead held for review",
};

function decisionText(type: string, data: DecisionEventData, ctx: RenderContext): string {
  const { decision: d, lead } = data;
  const who = lead.company ? `${esc(lead.company)} (${esc(lead.email)})` : esc(lead.email);
  const rep = d.repId ? ` → *${esc(ctx.repName ?? d.repId)}*` : d.queue ? ` → ${d.queue} queue` : "";
  const p = d.probability === null ? "rules only" : `p=${d.probability.toFixed(2)}`;
  const reasons = d.reasons.length ? `\nTop reasons: ${d.reasons.map((r) => `${esc(r.feature)} (${r.contribution >= 0 ? "+" : ""}${r.contribution.toFixed(2)})`).join(", ")}` : "";
  const link = decisionLink(ctx, d.id);
  return `*${HEADLINES[type] ?? type}*: ${who}${rep}\nTier ${esc(d.tier)} · ${p}${reasons}${link ? `\n<${link}|Open decision ${d.id}>` : ""}`;
}

/** A Slack-compatible message (incoming webhooks and workflow triggers read `text`; `blocks` lays it out). */
export function slackBody(event: WebhookEvent, ctx: RenderContext) {
  let text: string;
  if ("decision" in event.data) text = decisionText(event.type, event.data, ctx);
  else if ("alert" in event.data) {
    const a = (event.data as AlertEventData).alert;
    text = `${event.type === "alert.opened" ? ":rotating_light: *Alert opened*" : ":white_check_mark: *Alert resolved*"} (${esc(a.severity)}): ${esc(a.kind)} · ${esc(a.subject)}\n${esc(a.message)}`;
  } else {
    const m = (event.data as ModelEventData).model;
    text = `*Model activated*: ${esc(m.name)} version ${esc(m.version)} now scores new leads`;
  }
  return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
}

/** The exact bytes a subscription receives for an event, in its chosen shape. */
export function renderBody(format: WebhookFormat, deliveryId: string, event: WebhookEvent, ctx: RenderContext): string {
  return JSON.stringify(format === "slack" ? slackBody(event, ctx) : jsonBody(deliveryId, event, ctx));
}
