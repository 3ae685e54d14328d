import { TOPICS } from '@paysync/contracts';
import { withSystem } from '@paysync/db';
import { createEnvelope, topicName, type Envelope, type KafkaProducer } from '@paysync/kafka';
import type { Logger } from '@paysync/observability';

import type { RecoveryMetrics } from '../heartbeats/recovery.metrics.js';
import type { DeadLetterRepository } from './dead-letter.repository.js';

export interface RedriverDeps {
  readonly deadLetterRepository: DeadLetterRepository;
  readonly kafkaProducer: KafkaProducer;
  readonly recoveryMetrics: RecoveryMetrics;
  readonly logger: Logger;
  readonly config: { readonly kafka: { readonly topicPrefix: string } };
}

/**
 * Sends due retryable dead letters back to `billing.webhook.received.v1` (same key, same
 * envelope: the processor's writes are idempotent and version-gated), then marks re-driven
 * letters whose event has since been applied as resolved. One claim at a time across replicas
 * (`SKIP LOCKED`); a failed send leaves the letters due. Runs as the `redrive` periodic task.
 */
export class Redriver {
  readonly #repo: DeadLetterRepository;
  readonly #producer: KafkaProducer;
  readonly #topic: string;
  readonly #metrics: RecoveryMetrics;
  readonly #logger: Logger;

  constructor({
    deadLetterRepository,
    kafkaProducer,
    recoveryMetrics,
    logger,
    config,
  }: RedriverDeps) {
    this.#repo = deadLetterRepository;
    this.#producer = kafkaProducer;
    this.#topic = topicName(TOPICS.webhookReceived, config.kafka.topicPrefix);
    this.#metrics = recoveryMetrics;
    this.#logger = logger.child({ component: 'Redriver' });
  }

  /**
   * One pass (also used by tests). Dead letters of every workspace: system work (row-level
   * security; paysync_system may read and update dead letters and read the event log).
   */
  tick(): Promise<{ redriven: number; resolved: number }> {
    return withSystem('dead-letter re-drive', () => this.#tick());
  }

  async #tick(): Promise<{ redriven: number; resolved: number }> {
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
    if (sent > 0) {
      this.#metrics.redrives.inc(sent);
      this.#logger.info({ count: sent }, 'Dead letters re-driven');
    }
    const resolved = await this.#repo.resolveApplied();
    if (resolved > 0) this.#logger.info({ count: resolved }, 'Re-driven dead letters resolved');
    return { redriven: sent, resolved };
  }
}
