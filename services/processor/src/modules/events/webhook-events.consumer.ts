import {
  TOPICS,
  webhookPartitionKey,
  webhookReceivedSchema,
  type TopicSpec,
  type WebhookReceived,
} from '@paysync/contracts';
import { TypedConsumer, topicName, type Kafka, type KafkaProducer } from '@paysync/kafka';
import { activeContext, type Logger, type TraceContext } from '@paysync/observability';

import { BatchCoalescer } from './batch-coalescer.js';
import {
  isTransient,
  type EventProcessingService,
  type WebhookMessage,
} from './event-processing.service.js';

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
      readonly sessionTimeoutMs: number;
      readonly fetchMinBytes: number;
      readonly fetchMaxWaitMs: number;
      readonly partitionsConcurrently: number;
    };
  };
}

/**
 * Consumes verified webhooks and the retry tiers under the failure policy of libs/kafka: events
 * that fail go to the short tier, then the long tier (one delay per `PROCESSOR_RETRY_DELAYS_MS`
 * entry), then the DLQ; a database or Kafka outage pauses the partition with exponential backoff
 * (nothing goes to the DLQ for it). Offsets are committed only after a batch's effects are
 * committed, so a crash re-delivers, and the writes are idempotent.
 *
 * A slow provider never holds the webhook topic: a tie's re-fetch there gets one short attempt,
 * then the event goes to the retry tier. The retry tiers are consumed in a group of their own
 * (`<PROCESSOR_GROUP_ID>.retry`), so their delays and their full-budget re-fetches never stall the
 * webhook topic's fetches; every handler heartbeats while it runs.
 */
/** Beyond this, larger transactions save little and hold their row locks longer. */
const MAX_EVENTS_PER_TRANSACTION = 1_000;

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
    const webhooks = topic(TOPICS.webhookReceived);
    // Partitions consumed at the same time share one transaction (batch-coalescer.ts), of at most
    // MAX_EVENTS_PER_TRANSACTION events unless one partition's batch alone is larger.
    // Each batch brings its consumer span's context: the merged apply span is the child of the
    // first and links the others, whichever call of the event loop it runs from.
    const coalescer = new BatchCoalescer(
      (
        fetch: 'inline' | 'retry',
        messages: readonly WebhookMessage[],
        traces: readonly TraceContext[],
      ) => eventProcessingService.processBatch(messages, { fetch, traces }),
      { maxItems: MAX_EVENTS_PER_TRANSACTION },
    );
    super({
      kafka,
      logger,
      groupId: config.processor.groupId,
      sessionTimeoutMs: config.processor.sessionTimeoutMs,
      fetch: {
        minBytes: config.processor.fetchMinBytes,
        maxWaitTimeMs: config.processor.fetchMaxWaitMs,
        partitionsConsumedConcurrently: config.processor.partitionsConcurrently,
      },
      topics: [webhooks],
      schema: webhookReceivedSchema,
      eachBatch: (messages, ctx) =>
        coalescer.run(ctx.topic === webhooks ? 'inline' : 'retry', messages, activeContext()),
      failurePolicy: {
        kafkaProducer,
        retryGroupId: retryGroupId(config.processor.groupId),
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

/** The consumer group of the retry tiers: the processor's group id with `.retry`. */
function retryGroupId(groupId: string): string {
  return `${groupId}.retry`;
}
