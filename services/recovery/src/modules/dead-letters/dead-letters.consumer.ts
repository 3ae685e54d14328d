import type { Kafka } from 'kafkajs';

import { FAILURE_HEADERS, TOPICS, webhookReceivedSchema } from '@paysync/contracts';
import { KafkaConsumer, oneByOne, topicName, type ConsumedMessage } from '@paysync/kafka';
import type { Logger } from '@paysync/observability';

import {
  RETRYABLE_CODES,
  type DeadLetterRepository,
  type RedrivePolicy,
} from './dead-letter.repository.js';

/**
 * Consumes the dead-letter topic. Every message is recorded in `dead_letters` with its error
 * class, code, message, origin and attempt count, and classified: retryable causes are scheduled
 * for an automatic re-drive, the rest stay `dead` for a human. Offsets are committed only after the
 * row is written, so nothing is lost while this service is down: the topic keeps the messages.
 */
export class DeadLettersConsumer {
  readonly #consumer: KafkaConsumer;
  readonly #repo: DeadLetterRepository;
  readonly #policy: RedrivePolicy;
  readonly #logger: Logger;

  constructor(deps: {
    kafka: Kafka;
    logger: Logger;
    deadLetterRepository: DeadLetterRepository;
    policy: RedrivePolicy;
    groupId: string;
    topicPrefix: string;
  }) {
    this.#repo = deps.deadLetterRepository;
    this.#policy = deps.policy;
    this.#logger = deps.logger.child({ component: 'DeadLettersConsumer' });
    this.#consumer = new KafkaConsumer({
      kafka: deps.kafka,
      logger: deps.logger,
      groupId: deps.groupId,
      topics: [topicName(TOPICS.webhookDeadLetter, deps.topicPrefix)],
      handleBatch: oneByOne((message) => this.#handle(message)),
    });
  }

  async start(): Promise<void> {
    await this.#consumer.start();
  }

  async stop(): Promise<void> {
    await this.#consumer.stop();
  }

  async #handle(message: ConsumedMessage): Promise<void> {
    const h = message.headers;
    const parsed = webhookReceivedSchema.safeParse(message.envelope?.payload);
    const webhook = parsed.success ? parsed.data : undefined;
    const errorCode = h[FAILURE_HEADERS.errorCode] ?? 'INTERNAL_ERROR';
    const errorClass = h[FAILURE_HEADERS.errorClass] ?? errorCode;
    // An unreadable message cannot be re-driven meaningfully: it stays dead.
    const retryable =
      webhook !== undefined && (RETRYABLE_CODES.has(errorCode) || RETRYABLE_CODES.has(errorClass));
    await this.#repo.record(
      {
        workspaceId: webhook?.workspaceId ?? null,
        provider: webhook?.provider ?? null,
        providerEventId: webhook?.event.id ?? null,
        eventType: webhook?.event.type ?? null,
        errorClass,
        errorCode,
        errorMessage:
          h[FAILURE_HEADERS.errorMessage] ?? (parsed.success ? 'unknown' : 'invalid message'),
        retryable,
        originalTopic: h[FAILURE_HEADERS.originalTopic] ?? null,
        originalPartition: h[FAILURE_HEADERS.originalPartition]
          ? Number(h[FAILURE_HEADERS.originalPartition])
          : null,
        originalOffset: h[FAILURE_HEADERS.originalOffset] ?? null,
        dlqPartition: message.partition,
        dlqOffset: message.offset,
        messageKey: message.key,
        envelope: message.envelope ?? null,
      },
      this.#policy,
    );
    this.#logger.info(
      { eventId: webhook?.event.id, errorClass, retryable, offset: message.offset },
      retryable
        ? 'Dead letter recorded; re-drive scheduled'
        : 'Dead letter recorded; needs a human',
    );
  }
}
