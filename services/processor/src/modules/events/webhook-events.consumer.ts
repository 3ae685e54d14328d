import { FAILURE_HEADERS, TOPICS } from '@paysync/contracts';
import { KafkaConsumer, topicName, type BatchContext, type ConsumedMessage } from '@paysync/kafka';
import type { Kafka } from 'kafkajs';

import { isTransient, type EventProcessingService } from './event-processing.service.js';

import type { ProcessorMetrics } from './processor.metrics.js';
import type { Logger } from '@paysync/observability';

class StoppingError extends Error {}

/**
 * Consumes verified webhooks and the retry tiers. Transient failures pause the partition's batch
 * with exponential backoff and retry it (nothing goes to the DLQ for a database outage); retry
 * tier messages wait for their `x-not-before`. Offsets are committed only after a batch's
 * effects are committed (KafkaConsumer), so a crash re-delivers, and the writes are idempotent.
 */
export class WebhookEventsConsumer {
  readonly #consumer: KafkaConsumer;
  readonly #service: EventProcessingService;
  readonly #metrics: ProcessorMetrics;
  readonly #logger: Logger;
  readonly #backoffMaxMs: number;
  readonly #retryTopics: Set<string>;

  constructor(deps: {
    kafka: Kafka;
    logger: Logger;
    eventProcessingService: EventProcessingService;
    processorMetrics: ProcessorMetrics;
    groupId: string;
    topicPrefix: string;
    transientBackoffMaxMs: number;
  }) {
    this.#service = deps.eventProcessingService;
    this.#metrics = deps.processorMetrics;
    this.#logger = deps.logger.child({ component: 'WebhookEventsConsumer' });
    this.#backoffMaxMs = deps.transientBackoffMaxMs;
    const main = topicName(TOPICS.webhookReceived, deps.topicPrefix);
    this.#retryTopics = new Set([
      topicName(TOPICS.webhookRetryShort, deps.topicPrefix),
      topicName(TOPICS.webhookRetryLong, deps.topicPrefix),
    ]);
    this.#consumer = new KafkaConsumer({
      kafka: deps.kafka,
      logger: deps.logger,
      groupId: deps.groupId,
      topics: [main, ...this.#retryTopics],
      handleBatch: (messages, ctx) => this.#handle(messages, ctx),
    });
    // Lag is per owned partition: a rebalance may take partitions away, so forget them all and
    // let the next batches set the ones this replica still owns (no stale series after revoke).
    const consumer = this.#consumer.consumer;
    consumer.on(consumer.events.REBALANCING, () => this.#metrics.lag.reset());
    consumer.on(consumer.events.STOP, () => this.#metrics.lag.reset());
  }

  async start(): Promise<void> {
    await this.#consumer.start();
  }

  async stop(): Promise<void> {
    await this.#consumer.stop();
  }

  async #handle(messages: readonly ConsumedMessage[], ctx: BatchContext): Promise<void> {
    if (this.#retryTopics.has(ctx.topic)) {
      // One at a time, each when it is due; a stop in between commits what is done.
      for (const message of messages) {
        await this.#waitUntil(Number(message.headers[FAILURE_HEADERS.notBefore] ?? 0), ctx);
        await this.#withTransientRetry([message], ctx);
        ctx.resolveOffset(message.offset);
      }
    } else {
      await this.#withTransientRetry(messages, ctx);
    }
    const last = messages.at(-1);
    if (last && ctx.isRunning()) {
      this.#metrics.lag.set(
        { topic: ctx.topic, partition: String(ctx.partition) },
        Math.max(0, Number(ctx.highWatermark) - Number(last.offset) - 1),
      );
    }
  }

  async #withTransientRetry(
    messages: readonly ConsumedMessage[],
    ctx: BatchContext,
  ): Promise<void> {
    let delay = 500;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#service.processBatch(messages);
        return;
      } catch (err) {
        if (!isTransient(err) || !ctx.isRunning()) throw err;
        this.#metrics.transientPauses.inc();
        this.#logger.warn(
          { err, attempt, retryInMs: delay, topic: ctx.topic, partition: ctx.partition },
          'Dependency unavailable; pausing batch',
        );
        await this.#sleep(delay, ctx);
        delay = Math.min(delay * 2, this.#backoffMaxMs);
      }
    }
  }

  async #waitUntil(notBefore: number, ctx: BatchContext): Promise<void> {
    while (Date.now() < notBefore) await this.#sleep(Math.min(1000, notBefore - Date.now()), ctx);
  }

  /** Sleeps in short steps, heartbeating, and gives up (uncommitted) when the consumer stops. */
  async #sleep(ms: number, ctx: BatchContext): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (!ctx.isRunning()) throw new StoppingError('consumer stopping');
      await new Promise((r) => setTimeout(r, Math.min(500, until - Date.now())));
      await ctx.heartbeat().catch(() => undefined);
    }
  }
}
