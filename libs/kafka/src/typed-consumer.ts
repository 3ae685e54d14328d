import {
  KafkaConsumer,
  oneByOne,
  type BatchContext,
  type ConsumedMessage,
  type KafkaConsumerOptions,
} from './consumer.js';
import { FailureRouter, type MessageFailure, type RoutedFailure } from './failure-router.js';
import { adoptCommittedOffsets } from './group-offsets.js';
import { readFailureHeaders } from './headers.js';
import { HANDLER_HEARTBEAT_MS, withHeartbeat } from './heartbeat.js';
import { retryWhileTransient, waitUntil, type TransientPauseOptions } from './transient-pause.js';

import type { Envelope } from './envelope.js';
import type { FailurePolicySettings, FailureRoute } from './failure-policy.js';
import type { KafkaProducer } from './producer.js';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { ZodType } from 'zod';

/** A consumed message whose envelope and payload passed the topic's schema. */
export interface ValidMessage<T> {
  readonly valid: true;
  readonly message: ConsumedMessage;
  readonly envelope: Envelope;
  readonly value: T;
}

/** A consumed message that is not what the topic carries (undecodable, other type, bad payload). */
export interface InvalidMessage {
  readonly valid: false;
  readonly message: ConsumedMessage;
  readonly error: Error;
}

export type Received<T> = ValidMessage<T> | InvalidMessage;

/** A valid message its handler could not apply (not a transient outage: that pauses instead). */
export interface HandlerFailure<T> {
  readonly received: ValidMessage<T>;
  readonly error: unknown;
}

/** A failed or invalid message after it was produced to its retry tier or the DLQ. */
export interface RoutedMessage<T> {
  readonly received: Received<T>;
  readonly error: unknown;
  readonly route: FailureRoute;
}

/** Validates a message at the boundary (STYLE R27): its envelope, its `type`, its payload. */
export function parseMessage<T>(
  message: ConsumedMessage,
  schema: ZodType<T>,
  messageType?: string,
): Received<T> {
  const { envelope } = message;
  if (!envelope) {
    return { valid: false, message, error: message.decodeError ?? new Error('invalid message') };
  }
  if (messageType !== undefined && envelope.type !== messageType) {
    return { valid: false, message, error: new Error(`unexpected message type ${envelope.type}`) };
  }
  const parsed = schema.safeParse(envelope.payload);
  return parsed.success
    ? { valid: true, message, envelope, value: parsed.data }
    : { valid: false, message, error: new Error(parsed.error.message) };
}

/** The failure policy of a batch consumer: retry tiers, DLQ, pause on outages. */
export interface ConsumerFailurePolicy<T>
  extends FailurePolicySettings, Omit<TransientPauseOptions, 'backoffMaxMs'> {
  readonly kafkaProducer: KafkaProducer;
  readonly transientBackoffMaxMs: number;
  /** Partition key of a failed message in its tier/DLQ; the consumed key by default. */
  readonly partitionKey?: (value: T) => string;
  /**
   * Bookkeeping once failed messages are produced and before the offsets are committed (an event
   * log, metrics). A transient error thrown here pauses and retries the batch like any other.
   */
  readonly onRouted?: (routed: readonly RoutedMessage<T>[]) => Promise<void>;
  /**
   * Consume the retry tiers in a consumer group of their own (its own kafkajs consumer and
   * fetches). kafkajs fetches the next batches from a broker only once every batch of the previous
   * fetch is handled, so a retry-tier message waiting for its delay, or a slow retry, held in the
   * same consumer would stall every partition of the main topics too. Absent: one consumer.
   */
  readonly retryGroupId?: string;
}

interface CommonOptions<T> {
  readonly kafka: Kafka;
  readonly logger: Logger;
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Schema of the envelope's payload. */
  readonly schema: ZodType<T>;
  /** The envelope `type` the topic carries; any other type is invalid. */
  readonly messageType?: string;
  readonly fromBeginning?: boolean;
  /** Group session timeout (default 30 s): a member silent for longer loses its partitions. */
  readonly sessionTimeoutMs?: number;
  /** Heartbeat tick while a handler runs (default 1 s), so long batches keep the membership. */
  readonly heartbeatIntervalMs?: number;
  /**
   * Fetch batching of the main consumer (the retry tiers' own group, when they have one, keeps the
   * defaults): a fetch waits for `minBytes` or `maxWaitTimeMs`, whichever comes first, and up to
   * `partitionsConsumedConcurrently` of its partitions' batches are handled at the same time.
   */
  readonly fetch?: {
    readonly minBytes: number;
    readonly maxWaitTimeMs: number;
    readonly partitionsConsumedConcurrently?: number;
  };
}

/** One message at a time, valid or not; its offset is committed once `eachMessage` resolved. */
interface EachMessageOptions<T> extends CommonOptions<T> {
  readonly eachMessage: (received: Received<T>) => Promise<void>;
}

/**
 * Batches of valid messages under a failure policy: invalid messages go to the DLQ, the failures
 * `eachBatch` returns go to their retry tier or the DLQ, and a transient error it throws pauses the
 * partition and retries the batch. Retry-tier topics (subscribed too) are handled one message at a
 * time, each once its `x-not-before` has passed.
 */
interface EachBatchOptions<T> extends CommonOptions<T> {
  readonly eachBatch: (
    messages: readonly ValidMessage<T>[],
    ctx: BatchContext,
  ) => Promise<readonly HandlerFailure<T>[]>;
  readonly failurePolicy: ConsumerFailurePolicy<T>;
  /** Called once a partition's batch is done, before its offsets are committed (lag metrics). */
  readonly onBatchHandled?: (messages: readonly ConsumedMessage[], ctx: BatchContext) => void;
}

export type TypedConsumerOptions<T> = EachMessageOptions<T> | EachBatchOptions<T>;

/**
 * The one consumer the services build on: parses every message against the topic's schema and
 * hands typed values to the service; with a failure policy it also owns retries, dead-lettering
 * and pausing on outages, so services keep only their domain work. Offsets are committed after
 * handling (`KafkaConsumer`); handlers must be idempotent.
 */
export class TypedConsumer<T> {
  /** The main topics' consumer, and the retry tiers' when they have a group of their own. */
  readonly #consumers: readonly KafkaConsumer[];
  /** Runs before the retry tiers' own consumer starts (see the constructor). */
  readonly #beforeRetryStart: (() => Promise<void>) | undefined;

  constructor(options: TypedConsumerOptions<T>) {
    const { kafka, logger, groupId, topics, fromBeginning, sessionTimeoutMs } = options;
    const base = { kafka, logger, groupId, fromBeginning, sessionTimeoutMs };
    const heartbeatMs = options.heartbeatIntervalMs ?? HANDLER_HEARTBEAT_MS;
    // Every handler heartbeats while it runs: a batch longer than the session timeout must not
    // cost the partitions (and redeliver the batch to the next member, which would stall alike).
    const keepAlive =
      (handle: KafkaConsumerOptions['handleBatch']): KafkaConsumerOptions['handleBatch'] =>
      (messages, ctx) =>
        withHeartbeat(ctx, () => handle(messages, ctx), heartbeatMs);
    const consumers =
      'eachMessage' in options
        ? [{ ...base, topics, handleBatch: eachMessageHandler(options) }]
        : policyConsumers(base, options);
    const main = consumers[0];
    if (main && options.fetch) consumers[0] = { ...main, ...options.fetch };
    this.#consumers = consumers.map(
      (c) => new KafkaConsumer({ ...c, handleBatch: keepAlive(c.handleBatch) }),
    );
    const retryGroupId =
      'failurePolicy' in options ? options.failurePolicy.retryGroupId : undefined;
    const retry = consumers[1];
    // The retry tiers moved to a group of their own: that group starts where this one committed
    // on them (once, when it has no offsets yet), not at the start of their retention.
    this.#beforeRetryStart =
      retryGroupId !== undefined && retry
        ? () =>
            adoptCommittedOffsets(kafka, {
              fromGroupId: groupId,
              toGroupId: retryGroupId,
              topics: retry.topics,
              logger,
            })
        : undefined;
  }

  async start(): Promise<void> {
    const [main, ...rest] = this.#consumers;
    await Promise.all([
      main?.start(),
      (async () => {
        await this.#beforeRetryStart?.();
        await Promise.all(rest.map((c) => c.start()));
      })(),
    ]);
  }

  async stop(): Promise<void> {
    await Promise.all(this.#consumers.map((c) => c.stop()));
  }

  get isRunning(): boolean {
    return this.#consumers.every((c) => c.isRunning);
  }

  /** See `KafkaConsumer.onPartitionsReleased` (any of its consumers). */
  onPartitionsReleased(listener: () => void): void {
    for (const c of this.#consumers) c.onPartitionsReleased(listener);
  }
}

function eachMessageHandler<T>({
  schema,
  messageType,
  eachMessage,
}: EachMessageOptions<T>): KafkaConsumerOptions['handleBatch'] {
  return oneByOne((message) => eachMessage(parseMessage(message, schema, messageType)));
}

type BaseOptions = Pick<
  KafkaConsumerOptions,
  'kafka' | 'logger' | 'groupId' | 'fromBeginning' | 'sessionTimeoutMs'
>;

function policyConsumers<T>(
  base: BaseOptions,
  options: EachBatchOptions<T>,
): KafkaConsumerOptions[] {
  const { schema, messageType, eachBatch, failurePolicy: policy } = options;
  const router = new FailureRouter({
    kafkaProducer: policy.kafkaProducer,
    logger: base.logger,
    failurePolicy: policy,
  });
  const logger = base.logger.child({ component: 'TypedConsumer', groupId: base.groupId });
  const pauseOptions = (ctx: BatchContext): TransientPauseOptions => ({
    ...policy,
    backoffMaxMs: policy.transientBackoffMaxMs,
    onPause: (pause) => {
      logger.warn(
        {
          err: pause.error,
          attempt: pause.attempt,
          retryInMs: pause.delayMs,
          topic: ctx.topic,
          partition: ctx.partition,
        },
        'Dependency unavailable; pausing batch',
      );
      policy.onPause?.(pause);
    },
  });
  const retryTopics = new Set(policy.retryTopics);

  const toFailure = (received: Received<T>, error: unknown): MessageFailure =>
    received.valid
      ? { message: received.message, error, key: policy.partitionKey?.(received.value) }
      : { message: received.message, error, invalid: true };

  /** Handle, route what failed, book-keep; the whole of it again after a transient failure. */
  const handle = (batch: readonly Received<T>[], ctx: BatchContext): Promise<void> =>
    retryWhileTransient(
      async () => {
        const valid = batch.filter((r): r is ValidMessage<T> => r.valid);
        const failed: { received: Received<T>; error: unknown }[] = [
          ...batch.flatMap((r) => (r.valid ? [] : [{ received: r, error: r.error }])),
          ...(valid.length > 0 ? await eachBatch(valid, ctx) : []),
        ];
        if (failed.length === 0) return;
        const routed: RoutedFailure[] = await router.route(
          failed.map(({ received, error }) => toFailure(received, error)),
        );
        await policy.onRouted?.(
          failed.map(({ received, error }, i) => ({
            received,
            error,
            route: (routed[i] as RoutedFailure).route,
          })),
        );
      },
      ctx,
      pauseOptions(ctx),
    );

  const handleBatch: KafkaConsumerOptions['handleBatch'] = async (messages, ctx) => {
    const batch = messages.map((m) => parseMessage(m, schema, messageType));
    if (!retryTopics.has(ctx.topic)) {
      await handle(batch, ctx);
    } else {
      // A retry tier: one at a time, each when it is due.
      for (const received of batch) {
        await waitUntil(readFailureHeaders(received.message.headers).notBefore, ctx, policy.pause);
        await handle([received], ctx);
        ctx.resolveOffset(received.message.offset);
      }
    }
    options.onBatchHandled?.(messages, ctx);
  };

  if (policy.retryGroupId === undefined || policy.retryTopics.length === 0) {
    return [
      { ...base, topics: [...new Set([...options.topics, ...policy.retryTopics])], handleBatch },
    ];
  }
  return [
    { ...base, topics: [...options.topics], handleBatch },
    { ...base, groupId: policy.retryGroupId, topics: [...policy.retryTopics], handleBatch },
  ];
}
