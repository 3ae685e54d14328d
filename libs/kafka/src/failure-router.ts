import {
  planFailure,
  planInvalid,
  type FailurePolicySettings,
  type FailureRoute,
} from './failure-policy.js';

import type { ConsumedMessage } from './consumer.js';
import type { Envelope } from './envelope.js';
import type { KafkaProducer, OutgoingMessage } from './producer.js';
import type { Logger } from 'pino';

/** A consumed message whose handling failed. */
export interface MessageFailure {
  readonly message: ConsumedMessage;
  readonly error: unknown;
  /** True when the message could not be read at all (no retry can help): DLQ at once. */
  readonly invalid?: boolean;
  /** Partition key for the tier/DLQ message; the consumed message's key by default. */
  readonly key?: string;
}

export interface RoutedFailure extends MessageFailure {
  readonly route: FailureRoute;
}

export interface FailureRouterDeps {
  readonly kafkaProducer: KafkaProducer;
  readonly logger: Logger;
  readonly failurePolicy: FailurePolicySettings;
}

/**
 * Produces failed messages to their retry tier or the dead-letter topic with the failure headers
 * (STYLE R23). Callers commit the consumed offsets only after `route` resolved, so a failed
 * message is never lost; if producing fails, `route` throws and the batch is handled again.
 */
export class FailureRouter {
  readonly #producer: KafkaProducer;
  readonly #logger: Logger;
  readonly #settings: FailurePolicySettings;

  constructor({ kafkaProducer, logger, failurePolicy }: FailureRouterDeps) {
    this.#producer = kafkaProducer;
    this.#logger = logger.child({ component: 'FailureRouter' });
    this.#settings = failurePolicy;
  }

  /** Where `failure` goes (pure: no I/O). */
  plan(failure: MessageFailure, now = Date.now()): FailureRoute {
    return failure.invalid
      ? planInvalid(failure.message, failure.error, this.#settings, now)
      : planFailure(failure.message, failure.error, this.#settings, now);
  }

  /** Produces every failure to its topic (one request per topic); returns the routes in order. */
  async route(failures: readonly MessageFailure[]): Promise<RoutedFailure[]> {
    if (failures.length === 0) return [];
    const now = Date.now();
    const routed = failures.map((failure) => ({ ...failure, route: this.plan(failure, now) }));
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const { message, key, route } of routed) {
      const list = byTopic.get(route.topic) ?? [];
      list.push({
        key: key ?? message.key ?? 'invalid',
        envelope: message.envelope ?? unreadableEnvelope(message),
        headers: route.headers,
      });
      byTopic.set(route.topic, list);
    }
    for (const [topic, list] of byTopic) await this.#producer.send(topic, list);
    for (const { message, error, route } of routed) {
      this.#logger.warn(
        {
          messageId: message.envelope?.id,
          source: `${message.topic}/${message.partition}/${message.offset}`,
          attempt: route.attempt,
          topic: route.topic,
          err: error,
        },
        route.kind === 'dead' ? 'Message dead-lettered' : 'Message sent to retry tier',
      );
    }
    return routed;
  }
}

/** A stand-in envelope carrying the raw bytes of a message that could not be decoded. */
function unreadableEnvelope(message: ConsumedMessage): Envelope {
  const id = `invalid-${message.topic}-${message.partition}-${message.offset}`;
  return {
    id,
    type: 'invalid',
    occurredAt: new Date().toISOString(),
    correlationId: 'invalid',
    idempotencyKey: id,
    payload: { raw: message.value?.toString('base64') ?? null },
  };
}
