import { app } from "./app.ts";
import { scheduled } from "./scheduled.ts";
import type { WebhookMessage } from "./webhooks/emit.ts";
import { queue } from "./webhooks/consumer.ts";

export default { fetch: app.fetch, scheduled, queue } satisfies ExportedHandler<Env, WebhookMessage>;

export { RepCapacity } from "./capacity/rep-capacity.ts";
