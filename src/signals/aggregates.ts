/**
 * Rolling aggregates of signal events, per lead and per account. Pure: the Worker (live scoring) and the
 * training export call the same function with the same point in time, so training and serving can never
 * compute a feature differently. Only events that had both happened and been ingested by `asOf` count:
 * an event that arrived after a decision cannot leak into that decision's training row.
 */

export type SignalEvent = {
  id: string;
  type: string;
  occurredAt: number;
  ingestedAt: number;
  properties: Record<string, unknown>;
};

/** What the account row says (accounts table), or null when the lead's domain has none. */
export type AccountContext = {
  domain: string;
  industry: string | null;
  employees: number | null;
  arr: number | null;
  territoryId: string | null;
  ownerRepId: string | null;
  strategic: boolean;
};

export type SignalInput = {
  leadEvents: readonly SignalEvent[];
  accountEvents: readonly SignalEvent[];
  /** The lead's account key (normalised email domain), null for free-mail. */
  accountDomain: string | null;
  account: AccountContext | null;
  leadReceivedAt: number;
  asOf: number;
};

/** Values a feature spec can name (`events.demo_request.count_7d`, `account.arr`), and where each came from. */
export type Signals = {
  values: { events: Record<string, unknown>; account: Record<string, unknown> };
  /** Per value path: the event ids (or `account:<domain>`) that produced it. */
  sources: Record<string, string[]>;
};

const DAY = 86_400_000;
const HOUR = 3_600_000;
export const WINDOWS = [1, 7, 30] as const;
/** How far back aggregates look (also the oldest event accepted by default). */
export const LOOKBACK_DAYS = 90;

const round = (x: number) => Math.round(x * 1e6) / 1e6;

type Counted = Record<string, number>;

/** Counts per window and days since the last one, for one group of events (newest last). */
function windowed(events: readonly SignalEvent[], asOf: number, prefix: string, sources: Record<string, string[]>): Counted {
  const out: Counted = {};
  for (const w of WINDOWS) {
    const inside = events.filter((e) => e.occurredAt > asOf - w * DAY);
    out[`count_${w}d`] = inside.length;
    sources[`${prefix}.count_${w}d`] = inside.map((e) => e.id);
  }
  const last = events.at(-1);
  if (last) {
    out.days_since_last = round((asOf - last.occurredAt) / DAY);
    sources[`${prefix}.days_since_last`] = [last.id];
  }
  return out;
}

/** Aggregates of one subject's events: per type, `any`, and product usage. */
function aggregate(events: readonly SignalEvent[], asOf: number, prefix: string, sources: Record<string, string[]>): Record<string, unknown> {
  const out: Record<string, unknown> = { any: windowed(events, asOf, `${prefix}.any`, sources) };
  const byType = new Map<string, SignalEvent[]>();
  for (const e of events) byType.set(e.type, [...(byType.get(e.type) ?? []), e]);
  for (const [type, list] of byType) out[type] = windowed(list, asOf, `${prefix}.${type}`, sources);
  const seats = byType.get("seats")?.at(-1);
  if (seats) {
    out.seats_latest = Number(seats.properties.seats);
    sources[`${prefix}.seats_latest`] = [seats.id];
  }
  const adopted = byType.get("feature_adopted") ?? [];
  const firstPerFeature = new Map<string, string>();
  for (const e of adopted) if (!firstPerFeature.has(String(e.properties.feature))) firstPerFeature.set(String(e.properties.feature), e.id);
  out.features_adopted = firstPerFeature.size;
  sources[`${prefix}.features_adopted`] = [...firstPerFeature.values()];
  return out;
}

/** The events that count at `asOf`, oldest first (ties broken by id, so the order is total). */
function visible(events: readonly SignalEvent[], asOf: number): SignalEvent[] {
  return events
    .filter((e) => e.occurredAt <= asOf && e.ingestedAt <= asOf && e.occurredAt > asOf - LOOKBACK_DAYS * DAY)
    .sort((a, b) => a.occurredAt - b.occurredAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Every signal value for one lead at one point in time. Missing values (no event of a kind) are left
 * out, so the feature spec's default applies.
 */
export function computeSignals(input: SignalInput): Signals {
  const { asOf } = input;
  const sources: Record<string, string[]> = {};
  const lead = visible(input.leadEvents, asOf);
  const events = aggregate(lead, asOf, "events", sources);

  // Time to first interaction: from the lead's arrival to its first event at or after it.
  const first = lead.find((e) => e.occurredAt >= input.leadReceivedAt);
  if (first) {
    events.hours_to_first_interaction = round((first.occurredAt - input.leadReceivedAt) / HOUR);
    sources["events.hours_to_first_interaction"] = [first.id];
  }
  // Response latency: from the first email opened to the first click that followed it.
  const open = lead.find((e) => e.type === "email_open");
  const click = open && lead.find((e) => e.type === "email_click" && e.occurredAt >= open.occurredAt);
  if (open && click) {
    events.response_latency_hours = round((click.occurredAt - open.occurredAt) / HOUR);
    sources["events.response_latency_hours"] = [open.id, click.id];
  }

  const acct = visible(input.accountEvents, asOf);
  const account: Record<string, unknown> = { known: input.account !== null, events: aggregate(acct, asOf, "account.events", sources) };
  if (input.account) {
    const a = input.account;
    const ref = [`account:${a.domain}`];
    const fields: [string, unknown][] = [["industry", a.industry], ["employees", a.employees], ["arr", a.arr], ["territory", a.territoryId], ["owner", a.ownerRepId], ["strategic", a.strategic]];
    for (const [k, v] of fields) {
      if (v === null) continue;
      account[k] = v;
      sources[`account.${k}`] = ref;
    }
    sources["account.known"] = ref;
  }
  // CRM updates are newer than the account row: the latest of each wins.
  const latest = (type: string) => acct.filter((e) => e.type === type).at(-1);
  for (const [type, key, prop] of [["account_arr", "arr", "arr"], ["owner_change", "owner", "ownerRepId"], ["stage_change", "stage", "stage"]] as const) {
    const e = latest(type);
    if (!e) continue;
    account[key] = e.properties[prop];
    sources[`account.${key}`] = [e.id];
  }
  return { values: { events, account }, sources };
}
