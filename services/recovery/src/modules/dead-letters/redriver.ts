import { TOPICS } from '@paysync/contracts';
import { createEnvelope, topicName, type Envelope, type KafkaProducer } from '@paysync/kafka';
import type { Logger } from '@paysync/observability';

import type { DeadLetterRepository } from './dead-letter.repository.js';

/**
 * Sends due retryable dead letters back to `billing.webhook.received.v1` (same key, same
 * envelope: the processor's writes are idempotent and version-gated), then marks re-driven
 * letters whose event has since been applied as resolved. One claim at a time across replicas
 * (`SKIP LOCKED`); a failed send leaves the letters due.
 */
export class Redriver {
  readonly #repo: DeadLetterRepository;
  readonly #producer: KafkaProducer;
  readonly #topic: string;
  readonly #intervalMs: number;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(deps: {
    deadLetterRepository: DeadLetterRepository;
    kafkaProducer: KafkaProducer;
    topicPrefix: string;
    intervalMs: number;
    logger: Logger;
  }) {
    this.#repo = deps.deadLetterRepository;
    this.#producer = deps.kafkaProducer;
    this.#topic = topicName(TOPICS.webhookReceived, deps.topicPrefix);
    this.#intervalMs = deps.intervalMs;
    this.#logger = deps.logger.child({ component: 'Redriver' });
  }

  start(): void {
    this.#stopped = false;
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }

  /** One pass (also used by tests). */
  async tick(): Promise<void> {
    const sent = await this.#repo.redriveDue(100, async (due) => {
      await this.#producer.send(
        this.#topic,
        due.map((d) => {
          const original = d.envelope as Envelope;
          return {
            key: d.messageKey ?? d.providerEventId ?? String(d.id),
            // A new message id and time; the same event, tenant, trace and idempotency key.
            envelope: createEnvelope({
              type: original.type,
              payload: original.payload,
              workspaceId: original.workspaceId,
              correlationId: original.correlationId,
              idempotencyKey: original.idempotencyKey,
              traceparent: original.traceparent,
            }),
            headers: { 'x-redrive': String(d.redrives + 1) },
          };
        }),
      );
    });
    if (sent > 0) this.#logger.info({ count: sent }, 'Dead letters re-driven');
    const resolved = await this.#repo.resolveApplied();
    if (resolved > 0) this.#logger.info({ count: resolved }, 'Re-driven dead letters resolved');
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.tick()
        .catch((err: unknown) => this.#logger.warn({ err }, 'Re-drive pass failed; will retry'))
        .finally(() => this.#schedule());
    }, this.#intervalMs);
  }
}
