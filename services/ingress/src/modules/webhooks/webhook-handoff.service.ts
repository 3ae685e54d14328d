import { TOPICS, type WebhookReceived } from '@paysync/contracts';
import { DependencyUnavailableError } from '@paysync/errors';
import { webhookReceivedMessage, topicName, type KafkaProducer } from '@paysync/kafka';
import { currentTraceparent, type Logger } from '@paysync/observability';

import type { OutboxRelay } from '../outbox/outbox-relay.js';
import type { OutboxRepository } from '../outbox/outbox.repository.js';
import type { IngressMetrics } from './ingress.metrics.js';

export type HandoffPath = 'kafka' | 'outbox';

export interface WebhookHandoffServiceDeps {
  readonly kafkaProducer: KafkaProducer;
  readonly outboxRepository: OutboxRepository;
  readonly outboxRelay: OutboxRelay;
  readonly ingressMetrics: IngressMetrics;
  readonly logger: Logger;
  readonly config: {
    readonly kafka: { readonly topicPrefix: string };
    readonly ingress: { readonly kafkaCircuitOpenMs: number; readonly retryAfterSeconds: number };
  };
}

/**
 * The durable hand-off (DESIGN §2 rule 1): Kafka with acks=all within the produce timeout, else
 * the PostgreSQL outbox; if neither accepts, a retryable 503 so the provider sends it again.
 * After a Kafka failure (and while the outbox still holds events) new events go straight to the
 * outbox for a few seconds: no request waits out a dead broker's timeout, and newer events do
 * not overtake older ones.
 */
export class WebhookHandoffService {
  readonly #producer: KafkaProducer;
  readonly #outbox: OutboxRepository;
  readonly #relay: OutboxRelay;
  readonly #metrics: IngressMetrics;
  readonly #logger: Logger;
  readonly #topic: string;
  readonly #circuitOpenMs: number;
  readonly #retryAfterSeconds: number;
  #kafkaDownUntil = 0;

  constructor({
    kafkaProducer,
    outboxRepository,
    outboxRelay,
    ingressMetrics,
    logger,
    config,
  }: WebhookHandoffServiceDeps) {
    this.#producer = kafkaProducer;
    this.#outbox = outboxRepository;
    this.#relay = outboxRelay;
    this.#metrics = ingressMetrics;
    this.#logger = logger.child({ component: 'WebhookHandoff' });
    this.#topic = topicName(TOPICS.webhookReceived, config.kafka.topicPrefix);
    this.#circuitOpenMs = config.ingress.kafkaCircuitOpenMs;
    this.#retryAfterSeconds = config.ingress.retryAfterSeconds;
  }

  async handOff(message: WebhookReceived, traceparent?: string): Promise<HandoffPath> {
    const { key, envelope } = webhookReceivedMessage(message, {
      // The event's origin: the request's span when tracing is on, else the caller's traceparent
      // header. Kafka headers carry the producer span's own context (libs/kafka).
      traceparent: currentTraceparent() ?? traceparent,
    });
    const started = performance.now();
    if (Date.now() >= this.#kafkaDownUntil && !this.#relay.pending) {
      try {
        await this.#producer.enqueue(this.#topic, { key, envelope });
        this.#observe('kafka', started);
        return 'kafka';
      } catch (err) {
        this.#kafkaDownUntil = Date.now() + this.#circuitOpenMs;
        this.#logger.warn(
          { err, eventId: message.event.id },
          'Kafka hand-off failed; using the outbox',
        );
      }
    }
    try {
      await this.#outbox.insert(this.#topic, key, envelope);
      this.#relay.pending = true;
      this.#observe('outbox', started);
      return 'outbox';
    } catch (err) {
      this.#logger.error(
        { err, eventId: message.event.id },
        'Neither Kafka nor the outbox accepted a verified event',
      );
      throw new DependencyUnavailableError(
        'SERVICE_UNAVAILABLE',
        'The event could not be stored; retry later',
        { eventId: message.event.id, retryAfterSeconds: this.#retryAfterSeconds },
        { cause: err },
      );
    }
  }

  #observe(path: HandoffPath, started: number): void {
    this.#metrics.handoffSeconds.observe({ path }, (performance.now() - started) / 1000);
  }
}
