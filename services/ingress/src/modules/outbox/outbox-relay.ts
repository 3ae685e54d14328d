import type { KafkaProducer } from '@paysync/kafka';
import type { Gauge, Logger } from '@paysync/observability';

import type { OutboxRepository } from './outbox.repository.js';

export interface OutboxRelayDeps {
  readonly outboxRepository: OutboxRepository;
  readonly kafkaProducer: KafkaProducer;
  readonly ingressMetrics: { readonly outboxDepth: Gauge };
  readonly logger: Logger;
  readonly config: { readonly ingress: { readonly outboxRelayIntervalMs: number } };
}

/**
 * Drains the outbox to Kafka whenever it has rows: polls every INGRESS_OUTBOX_RELAY_INTERVAL_MS,
 * drains in batches of 500 in id order, backs off while Kafka is still down. Stops on dispose.
 */
export class OutboxRelay {
  readonly #outbox: OutboxRepository;
  readonly #producer: KafkaProducer;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #depth: Gauge;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #failures = 0;
  /** Set while the outbox may hold rows, so new events queue behind them instead of overtaking. */
  pending = false;

  constructor({
    outboxRepository,
    kafkaProducer,
    ingressMetrics,
    logger,
    config,
  }: OutboxRelayDeps) {
    this.#outbox = outboxRepository;
    this.#producer = kafkaProducer;
    this.#logger = logger.child({ component: 'OutboxRelay' });
    this.#intervalMs = config.ingress.outboxRelayIntervalMs;
    this.#depth = ingressMetrics.outboxDepth;
  }

  start(): void {
    this.#schedule(0);
  }

  /** Runs one drain now (tests, and right after a fallback write). */
  async drainOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const moved = await this.#outbox.drain(500, async (rows) => {
        // Rows of one topic in order; the producer keeps order per partition key.
        const byTopic = new Map<string, typeof rows>();
        for (const row of rows) byTopic.set(row.topic, [...(byTopic.get(row.topic) ?? []), row]);
        for (const [topic, list] of byTopic) {
          await this.#producer.send(
            topic,
            list.map((r) => ({ key: r.messageKey, envelope: r.envelope })),
          );
        }
      });
      total += moved;
      if (moved < 500) break;
    }
    return total;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.#tick().finally(() => {
        this.#running = undefined;
      });
    }, delay);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    try {
      const depth = await this.#outbox.depth();
      this.#depth.set(depth);
      if (depth > 0) {
        const moved = await this.drainOnce();
        if (moved > 0) this.#logger.info({ moved }, 'Outbox relayed to Kafka');
        this.#depth.set(await this.#outbox.depth());
      }
      this.pending = (await this.#outbox.depth()) > 0;
      this.#failures = 0;
    } catch (err) {
      this.#failures++;
      this.#logger.warn({ err, failures: this.#failures }, 'Outbox relay failed; retrying');
    }
    this.#schedule(
      this.#failures > 0
        ? Math.min(this.#intervalMs * 2 ** this.#failures, 10_000)
        : this.#intervalMs,
    );
  }
}
