import { backoffSeconds, deliver, markDead } from "./deliver.ts";
import type { WebhookMessage } from "./emit.ts";
import type { WebhookEvent } from "./events.ts";
import { fanOut } from "./fan-out.ts";

/** Queue names (wrangler.toml): the work queue, and where its messages go after the last try. */
export const WEBHOOK_QUEUE = "lead-router-webhooks";
export const WEBHOOK_DEAD_LETTER_QUEUE = "lead-router-webhooks-dlq";

type EventMessage = Message<WebhookMessage & { kind: "event" }>;
type DeliveryMessage = Message<WebhookMessage & { kind: "delivery" }>;

/**
 * Handles one batch from either queue. Events are fanned out together (their first attempts made at
 * once); a delivery message is a retry or a redelivery, acked or retried on its own with backoff. After
 * the consumer's max_retries the queue moves a delivery message to the dead-letter queue, whose batches
 * land here too and mark the delivery dead (redeliverable from the API).
 */
export async function handleWebhookBatch(batch: MessageBatch<WebhookMessage>, env: Env, fetcher: typeof fetch = fetch): Promise<void> {
  if (batch.queue === WEBHOOK_DEAD_LETTER_QUEUE) {
    for (const m of batch.messages) {
      if (m.body.kind === "delivery") await markDead(env, m.body.deliveryId);
      else console.error("webhook event dropped after its last fan-out try", m.body.event.type, m.body.event.id);
      m.ack();
    }
    return;
  }
  const events = batch.messages.filter((m): m is EventMessage => m.body.kind === "event");
  const retries = batch.messages.filter((m): m is DeliveryMessage => m.body.kind === "delivery");
  await Promise.all([
    events.length > 0 &&
      fanOut(env, events.map((m): WebhookEvent => m.body.event), fetcher, events.some((m) => m.attempts > 1)).then(
        () => events.forEach((m) => m.ack()),
        (err) => {
          console.error("webhook fan-out failed", err);
          events.forEach((m) => m.retry({ delaySeconds: backoffSeconds(env, m.attempts) }));
        },
      ),
    ...retries.map(async (m) => {
      try {
        const r = await deliver(env, m.body.deliveryId, fetcher);
        if (r.result === "failed") m.retry({ delaySeconds: backoffSeconds(env, r.attempts) });
        else m.ack();
      } catch (err) {
        console.error("webhook delivery failed", m.body.deliveryId, err);
        m.retry({ delaySeconds: backoffSeconds(env, m.attempts) });
      }
    }),
  ]);
}

/** The Worker's `queue` handler. */
export const queue: ExportedHandlerQueueHandler<Env, WebhookMessage> = (batch, env) => handleWebhookBatch(batch, env);
