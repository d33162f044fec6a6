import { app } from "./app.ts";
import { withBackground } from "./lib/background.ts";
import { withBenchDelays } from "./lib/bench-delay.ts";
import { scheduled } from "./scheduled.ts";
import type { WebhookMessage } from "./webhooks/emit.ts";
import { queue } from "./webhooks/consumer.ts";

// The bench's edge simulation (src/lib/bench-delay.ts) is off unless the bench sets its vars.
const bindings = { d1: ["DB"], durableObjects: ["REP_CAPACITY"] } satisfies Parameters<typeof withBenchDelays<Env>>[1];

export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext) => withBackground((work) => ctx.waitUntil(work), () => app.fetch(request, withBenchDelays(env, bindings), ctx)),
  scheduled: (controller: ScheduledController, env: Env, ctx: ExecutionContext) => scheduled(controller, withBenchDelays(env, bindings), ctx),
  queue: (batch: MessageBatch<WebhookMessage>, env: Env, ctx: ExecutionContext) => queue(batch, withBenchDelays(env, bindings), ctx),
} satisfies ExportedHandler<Env, WebhookMessage>;

export { RepCapacity } from "./capacity/rep-capacity.ts";
