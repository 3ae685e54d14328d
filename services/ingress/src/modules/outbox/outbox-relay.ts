import { KafkaMessageRejectedError, MAX_REQUEST_BYTES, type KafkaProducer } from '@paysync/kafka';
import type { Gauge, Logger } from '@paysync/observability';

import type { OutboxRepository, OutboxRow, PublishOutcome } from './outbox.repository.js';

const BATCH_ROWS = 500;

export interface OutboxRelayDeps {
  readonly outboxRepository: OutboxRepository;
  readonly kafkaProducer: KafkaProducer;
  readonly ingressMetrics: { readonly outboxDepth: Gauge };
  readonly logger: Logger;
  readonly config: {
    readonly ingress: {
      readonly outboxRelayIntervalMs: number;
      readonly outboxMaxAttempts: number;
    };
  };
}

/**
 * Drains the outbox to Kafka whenever it has rows: polls every INGRESS_OUTBOX_RELAY_INTERVAL_MS,
 * drains in id order in batches of at most 500 rows and `MAX_REQUEST_BYTES` of envelopes, backs
 * off while Kafka is still down. A row Kafka refuses for good (MESSAGE_TOO_LARGE, INVALID_RECORD)
 * holds the rows behind it back until it has failed INGRESS_OUTBOX_MAX_ATTEMPTS times, then is
 * quarantined (a `dead` event with error class KAFKA_MESSAGE_REJECTED) and the relay moves on.
 * Stops on dispose.
 */
export class OutboxRelay {
  readonly #outbox: OutboxRepository;
  readonly #producer: KafkaProducer;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #maxAttempts: number;
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
    this.#maxAttempts = config.ingress.outboxMaxAttempts;
    this.#depth = ingressMetrics.outboxDepth;
  }

  start(): void {
    this.#schedule(0);
  }

  /**
   * Runs drains until the outbox is empty or a drain cannot move on (tests, and right after a
   * fallback write); returns how many rows went to Kafka. Rejects on a transient Kafka failure.
   */
  async drainOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await this.#outbox.drain(
        { rows: BATCH_ROWS, bytes: MAX_REQUEST_BYTES, maxAttempts: this.#maxAttempts },
        (rows) => this.#publish(rows),
      );
      total += result.moved;
      for (const q of result.quarantined) {
        this.#logger.error(
          {
            outboxId: String(q.id),
            workspaceId: q.workspaceId,
            eventId: q.eventId,
            bytes: q.bytes,
            reason: q.reason,
          },
          'Kafka refused an outbox event for good; quarantined as a dead event',
        );
      }
      if (result.error !== undefined) throw toError(result.error);
      if (result.held || result.moved + result.quarantined.length === 0) break;
    }
    return total;
  }

  /**
   * Sends the rows in id order, topic by topic (the producer keeps order per partition key).
   * When Kafka refuses the batch for good, sends the rows one at a time to find the one at
   * fault: the rows before it are sent, it is reported, the rows after it wait.
   */
  async #publish(rows: readonly OutboxRow[]): Promise<PublishOutcome> {
    const sent: bigint[] = [];
    try {
      for (const group of byTopic(rows)) {
        await this.#producer.send(
          group[0]!.topic,
          group.map((r) => ({ key: r.messageKey, envelope: r.envelope })),
        );
        sent.push(...group.map((r) => r.id));
      }
      return { sent };
    } catch (err) {
      if (!isMessageFault(err)) return { sent, error: err };
    }
    for (const row of rows.filter((r) => !sent.includes(r.id))) {
      try {
        await this.#producer.send(row.topic, [{ key: row.messageKey, envelope: row.envelope }]);
        sent.push(row.id);
      } catch (err) {
        if (!isMessageFault(err)) return { sent, error: err };
        return { sent, rejected: { id: row.id, reason: err.reason, message: err.message } };
      }
    }
    return { sent };
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
      let depth = await this.#outbox.depth();
      this.#depth.set(depth);
      if (depth > 0) {
        const moved = await this.drainOnce();
        if (moved > 0) this.#logger.info({ moved }, 'Outbox relayed to Kafka');
        depth = await this.#outbox.depth();
        this.#depth.set(depth);
      }
      // An empty outbox costs one query a tick (an idle ingress polls all day).
      this.pending = depth > 0;
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

function isMessageFault(err: unknown): err is KafkaMessageRejectedError {
  return err instanceof KafkaMessageRejectedError && err.messageFault;
}

/** Consecutive runs of rows with the same topic, in id order. */
function byTopic(rows: readonly OutboxRow[]): OutboxRow[][] {
  const groups: OutboxRow[][] = [];
  for (const row of rows) {
    const last = groups.at(-1);
    if (last && last[0]!.topic === row.topic) last.push(row);
    else groups.push([row]);
  }
  return groups;
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
