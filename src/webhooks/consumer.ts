import { backoffSeconds, deliver, markDead } from "./deliver.ts";
import type { WebhookMessage } from "./emit.ts";
import { fanOut } from "./fan-out.ts";

/** Queue names (wrangler.toml): the work queue, and where its messages go after the last try. */
export const WEBHOOK_QUEUE = "lead-router-webhooks";
export const WEBHOOK_DEAD_LETTER_QUEUE = "lead-router-webhooks-dlq";

/**
 * Handles one batch from either queue. Each message is acked or retried on its own: a failed POST
 * retries with backoff, and after the consumer's max_retries the queue moves it to the dead-letter
 * queue, whose batches land here too and mark the delivery dead (redeliverable from the API).
 */
export async function handleWebhookBatch(batch: MessageBatch<WebhookMessage>, env: Env, fetcher: typeof fetch = fetch): Promise<void> {
  const deadLetters = batch.queue === WEBHOOK_DEAD_LETTER_QUEUE;
  await Promise.all(
    batch.messages.map(async (m) => {
      try {
        if (deadLetters) {
          if (m.body.kind === "delivery") await markDead(env, m.body.deliveryId);
          else console.error("webhook event dropped after its last fan-out try", m.body.event.type, m.body.event.id);
          m.ack();
        } else if (m.body.kind === "event") {
          await fanOut(env, m.body.event);
          m.ack();
        } else if ((await deliver(env, m.body.deliveryId, fetcher)) === "failed") {
          m.retry({ delaySeconds: backoffSeconds(env, m.attempts) });
        } else {
          m.ack();
        }
      } catch (err) {
        console.error("webhook message failed", m.id, err);
        m.retry({ delaySeconds: backoffSeconds(env, m.attempts) });
      }
    }),
  );
}

/** The Worker's `queue` handler. */
export const queue: ExportedHandlerQueueHandler<Env, WebhookMessage> = (batch, env) => handleWebhookBatch(batch, env);
