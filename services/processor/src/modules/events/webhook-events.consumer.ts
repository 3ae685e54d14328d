import {
  TOPICS,
  webhookPartitionKey,
  webhookReceivedSchema,
  type TopicSpec,
  type WebhookReceived,
} from '@paysync/contracts';
import { TypedConsumer, topicName, type Kafka, type KafkaProducer } from '@paysync/kafka';
import type { Logger } from '@paysync/observability';

import { isTransient, type EventProcessingService } from './event-processing.service.js';

import type { ProcessorMetrics } from './processor.metrics.js';

export interface WebhookEventsConsumerDeps {
  readonly kafka: Kafka;
  readonly logger: Logger;
  readonly kafkaProducer: KafkaProducer;
  readonly eventProcessingService: EventProcessingService;
  readonly processorMetrics: ProcessorMetrics;
  readonly config: {
    readonly kafka: { readonly topicPrefix: string };
    readonly processor: {
      readonly groupId: string;
      readonly retryDelaysMs: readonly number[];
      readonly transientBackoffMaxMs: number;
    };
  };
}

/**
 * Consumes verified webhooks and the retry tiers under the failure policy of libs/kafka: events
 * that fail go to the short tier, then the long tier (one delay per `PROCESSOR_RETRY_DELAYS_MS`
 * entry), then the DLQ; a database or Kafka outage pauses the partition with exponential backoff
 * (nothing goes to the DLQ for it). Offsets are committed only after a batch's effects are
 * committed, so a crash re-delivers, and the writes are idempotent.
 */
export class WebhookEventsConsumer extends TypedConsumer<WebhookReceived> {
  constructor({
    kafka,
    logger,
    kafkaProducer,
    eventProcessingService,
    processorMetrics,
    config,
  }: WebhookEventsConsumerDeps) {
    const topic = (spec: TopicSpec) => topicName(spec, config.kafka.topicPrefix);
    super({
      kafka,
      logger,
      groupId: config.processor.groupId,
      topics: [topic(TOPICS.webhookReceived)],
      schema: webhookReceivedSchema,
      eachBatch: (messages) => eventProcessingService.processBatch(messages),
      failurePolicy: {
        kafkaProducer,
        retryTopics: [topic(TOPICS.webhookRetryShort), topic(TOPICS.webhookRetryLong)],
        retryDelaysMs: config.processor.retryDelaysMs,
        deadLetterTopic: topic(TOPICS.webhookDeadLetter),
        partitionKey: webhookPartitionKey,
        isTransient,
        transientBackoffMaxMs: config.processor.transientBackoffMaxMs,
        onPause: () => processorMetrics.transientPauses.inc(),
        onRouted: (routed) => eventProcessingService.recordFailures(routed),
      },
      onBatchHandled: (messages, ctx) => {
        const last = messages.at(-1);
        if (!last || !ctx.isRunning()) return;
        processorMetrics.lag.set(
          { topic: ctx.topic, partition: String(ctx.partition) },
          Math.max(0, Number(ctx.highWatermark) - Number(last.offset) - 1),
        );
      },
    });
    // Lag is per owned partition: a rebalance may take partitions away, so forget them all and
    // let the next batches set the ones this replica still owns (no stale series after revoke).
    this.onPartitionsReleased(() => processorMetrics.lag.reset());
  }
}
