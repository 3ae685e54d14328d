import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';

import { decodeEnvelope, type Envelope } from './envelope.js';
import { readHeaders } from './headers.js';
import { commitSpan, consumerSpan } from './tracing.js';

import type { Logger } from 'pino';

/** One consumed message. `envelope` is absent when the body failed to decode (`decodeError`). */
export interface ConsumedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly headers: Record<string, string>;
  readonly timestamp: string;
  readonly value: Buffer | null;
  readonly envelope?: Envelope;
  readonly decodeError?: Error;
}

export interface KafkaConsumerOptions {
  readonly kafka: Kafka;
  readonly logger: Logger;
  readonly groupId: string;
  readonly topics: readonly string[];
  /**
   * Handles one partition's batch. Offsets are committed after it resolves, so everything it
   * wrote is durable before Kafka forgets the messages. If it throws, nothing is committed and the
   * batch is delivered again (handlers are idempotent).
   */
  readonly handleBatch: (messages: readonly ConsumedMessage[], ctx: BatchContext) => Promise<void>;
  readonly fromBeginning?: boolean;
  readonly maxBytesPerPartition?: number;
  readonly sessionTimeoutMs?: number;
  /**
   * How long one fetch may wait for data. It also bounds shutdown: leaving the group waits for the
   * in-flight fetch, so the kafkajs default (5 s) would hold every SIGTERM that long.
   */
  readonly maxWaitTimeMs?: number;
  /**
   * Bytes a fetch waits for (up to `maxWaitTimeMs`) before the broker answers; 1 (the default)
   * answers as soon as there is anything. Larger values trade up to `maxWaitTimeMs` of latency
   * for fewer, larger batches: fewer fetch requests, transactions and offset commits per message.
   */
  readonly minBytes?: number;
  /**
   * Partitions whose batches are handled at the same time (default 3). A handler that merges
   * concurrent batches (the processor's BatchCoalescer) gets larger transactions from more.
   */
  readonly partitionsConsumedConcurrently?: number;
}

export interface BatchContext {
  readonly topic: string;
  readonly partition: number;
  /** Offset after the newest message in the partition when fetched (for lag). */
  readonly highWatermark: string;
  /** Keep the group membership alive during long batches. */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or the partition was revoked: stop early, commit what is done. */
  isRunning(): boolean;
  /** Mark messages up to and including `offset` as done; committed after the handler returns. */
  resolveOffset(offset: string): void;
}

/**
 * A consumer with manual offset commits after handling. `stop()` lets the in-flight batch finish
 * and commit, then leaves the group.
 */
export class KafkaConsumer {
  readonly #consumer: Consumer;
  readonly #options: KafkaConsumerOptions;
  readonly #logger: Logger;
  #running = false;
  #stopping = false;

  constructor(options: KafkaConsumerOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'KafkaConsumer', groupId: options.groupId });
    this.#consumer = options.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: 3000,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 1_048_576,
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 1000,
      minBytes: options.minBytes ?? 1,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    this.#consumer.on(this.#consumer.events.CRASH, this.#onCrash);
  }

  get consumer(): Consumer {
    return this.#consumer;
  }

  /**
   * Calls `listener` whenever this member may lose its partitions: a rebalance starts or the
   * consumer stops (per-partition state such as lag gauges is stale from then on).
   */
  onPartitionsReleased(listener: () => void): void {
    this.#consumer.on(this.#consumer.events.REBALANCING, listener);
    this.#consumer.on(this.#consumer.events.STOP, listener);
  }

  /**
   * Connects, subscribes and runs; while Kafka is unreachable (or a topic is not there yet) it
   * keeps trying with backoff until it succeeds or `stop()` is called. A crash kafkajs does not
   * restart by itself is restarted here too, so a long broker outage never leaves a dead consumer.
   */
  async start(): Promise<void> {
    // A stop() that came first wins: a late start (e.g. after a topic bootstrap) does nothing.
    for (let attempt = 1; !this.#stopping; attempt++) {
      try {
        await this.#consumer.connect();
        await this.#consumer.subscribe({
          topics: [...this.#options.topics],
          fromBeginning: this.#options.fromBeginning ?? true,
        });
        this.#running = true;
        await this.#consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: this.#options.partitionsConsumedConcurrently ?? 3,
          eachBatch: (payload) => this.#handle(payload),
        });
        this.#logger.info({ topics: this.#options.topics }, 'Consumer started');
        return;
      } catch (err) {
        const delay = Math.min(500 * 2 ** (attempt - 1), 10_000);
        this.#logger.warn({ err, attempt, retryInMs: delay }, 'Consumer could not start; retrying');
        await this.#consumer.disconnect().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  #onCrash = ({ payload }: { payload: { error: Error; restart: boolean } }): void => {
    if (payload.restart || this.#stopping) return;
    this.#logger.error({ err: payload.error }, 'Consumer crashed; restarting');
    this.#running = false;
    void this.start();
  };

  async #handle({
    batch,
    heartbeat,
    isRunning,
    isStale,
    resolveOffset,
  }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    const messages: ConsumedMessage[] = batch.messages.map((m) => {
      const base = {
        topic: batch.topic,
        partition: batch.partition,
        offset: m.offset,
        key: m.key ? m.key.toString() : null,
        headers: readHeaders(m.headers),
        timestamp: m.timestamp,
        value: m.value,
      };
      try {
        return { ...base, envelope: decodeEnvelope(m.value) };
      } catch (err) {
        return { ...base, decodeError: err as Error };
      }
    });
    let resolved: string | undefined;
    const ctx: BatchContext = {
      topic: batch.topic,
      partition: batch.partition,
      highWatermark: batch.highWatermark,
      heartbeat,
      isRunning: () => isRunning() && !isStale(),
      resolveOffset: (offset) => {
        resolved = offset;
        resolveOffset(offset);
      },
    };
    // One consumer span per batch, child of the producer span in the first message's headers.
    await consumerSpan(batch.topic, batch.partition, this.#options.groupId, messages, async () => {
      await this.#options.handleBatch(messages, ctx);
      // A handler that did not resolve explicitly handled the whole batch.
      const last = resolved ?? batch.lastOffset();
      if (resolved === undefined) resolveOffset(last);
      await commitSpan(batch.topic, () =>
        this.#consumer.commitOffsets([
          {
            topic: batch.topic,
            partition: batch.partition,
            offset: (BigInt(last) + 1n).toString(),
          },
        ]),
      );
    });
    await heartbeat();
  }

  get isRunning(): boolean {
    return this.#running;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    if (!this.#running) {
      await this.#consumer.disconnect();
      return;
    }
    this.#running = false;
    // kafkajs waits for the running eachBatch to finish before leaving the group.
    await this.#consumer.disconnect();
    this.#logger.info('Consumer stopped');
  }
}

/**
 * A `handleBatch` that handles one message at a time and marks each done after its handler
 * resolved, stopping early when the consumer stops (what is done stays committed).
 */
export function oneByOne(
  handle: (message: ConsumedMessage) => Promise<void>,
): KafkaConsumerOptions['handleBatch'] {
  return async (messages, ctx) => {
    for (const message of messages) {
      if (!ctx.isRunning()) return;
      await handle(message);
      ctx.resolveOffset(message.offset);
    }
  };
}
