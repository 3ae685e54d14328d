import { TOPICS, webhookReceivedSchema, type WebhookReceived } from '@paysync/contracts';
import { withSystem, withTenant } from '@paysync/db';
import {
  TypedConsumer,
  readFailureHeaders,
  topicName,
  type Kafka,
  type Received,
} from '@paysync/kafka';
import type { Logger } from '@paysync/observability';

import {
  RETRYABLE_CODES,
  type DeadLetterRepository,
  type RedrivePolicy,
} from './dead-letter.repository.js';

export interface DeadLettersConsumerDeps {
  readonly kafka: Kafka;
  readonly logger: Logger;
  readonly deadLetterRepository: DeadLetterRepository;
  readonly config: {
    readonly kafka: { readonly topicPrefix: string };
    readonly recovery: {
      readonly groupId: string;
      readonly redriveMaxAttempts: number;
      readonly redriveBaseMs: number;
      readonly redriveMaxDelayMs: number;
    };
  };
}

/**
 * Consumes the dead-letter topic. Every message is recorded in `dead_letters` with its error
 * class, code, message, origin and attempt count, and classified: retryable causes are scheduled
 * for an automatic re-drive, the rest stay `dead` for a human. Offsets are committed only after the
 * row is written, so nothing is lost while this service is down: the topic keeps the messages.
 */
export class DeadLettersConsumer extends TypedConsumer<WebhookReceived> {
  readonly #repo: DeadLetterRepository;
  readonly #policy: RedrivePolicy;
  readonly #logger: Logger;

  constructor({ kafka, logger, deadLetterRepository, config }: DeadLettersConsumerDeps) {
    super({
      kafka,
      logger,
      groupId: config.recovery.groupId,
      topics: [topicName(TOPICS.webhookDeadLetter, config.kafka.topicPrefix)],
      schema: webhookReceivedSchema,
      eachMessage: (received) => this.#handle(received),
    });
    this.#repo = deadLetterRepository;
    this.#policy = {
      maxAttempts: config.recovery.redriveMaxAttempts,
      baseMs: config.recovery.redriveBaseMs,
      maxDelayMs: config.recovery.redriveMaxDelayMs,
    };
    this.#logger = logger.child({ component: 'DeadLettersConsumer' });
  }

  async #handle(received: Received<WebhookReceived>): Promise<void> {
    const { message } = received;
    const failure = readFailureHeaders(message.headers);
    const webhook = received.valid ? received.value : undefined;
    const errorCode = failure.errorCode ?? 'INTERNAL_ERROR';
    const errorClass = failure.errorClass ?? errorCode;
    // An unreadable message cannot be re-driven meaningfully: it stays dead.
    const retryable =
      webhook !== undefined && (RETRYABLE_CODES.has(errorCode) || RETRYABLE_CODES.has(errorClass));
    // On behalf of the event's workspace; an unreadable message has none: system work.
    const record = (fn: () => Promise<void>) =>
      webhook ? withTenant(webhook.workspaceId, fn) : withSystem('unreadable dead letter', fn);
    await record(() =>
      this.#repo.record(
        {
          workspaceId: webhook?.workspaceId ?? null,
          provider: webhook?.provider ?? null,
          providerEventId: webhook?.event.id ?? null,
          eventType: webhook?.event.type ?? null,
          errorClass,
          errorCode,
          errorMessage: failure.errorMessage ?? (received.valid ? 'unknown' : 'invalid message'),
          retryable,
          originalTopic: failure.originalTopic ?? null,
          originalPartition: failure.originalPartition ?? null,
          originalOffset: failure.originalOffset ?? null,
          dlqPartition: message.partition,
          dlqOffset: message.offset,
          messageKey: message.key,
          envelope: message.envelope ?? null,
        },
        this.#policy,
      ),
    );
    this.#logger.info(
      { eventId: webhook?.event.id, errorClass, retryable, offset: message.offset },
      retryable
        ? 'Dead letter recorded; re-drive scheduled'
        : 'Dead letter recorded; needs a human',
    );
  }
}
