import { SpanStatusCode, context, type Span } from '@opentelemetry/api';
import type { IHeaders, Kafka, Producer } from 'kafkajs';

import { DependencyUnavailableError } from '@paysync/errors';

import { encodeEnvelope, type Envelope } from './envelope.js';
import { classifyProduceError, KafkaMessageRejectedError } from './produce-errors.js';
import { producerSpan, traceHeaders } from './tracing.js';

import type { Logger } from 'pino';

export interface OutgoingMessage {
  /** Partition key: one aggregate's messages share a partition and stay in order. */
  readonly key: string;
  readonly envelope: Envelope;
  /** Extra headers (retry/DLQ routing metadata), added to the envelope's own. */
  readonly headers?: Readonly<Record<string, string>>;
}

const MAX_BATCH = 500;

/**
 * Largest produce request `send` makes (keys, values and headers summed). kafkajs puts one
 * partition's messages of a request into one record batch, and the broker rejects a batch above
 * the topic's `max.message.bytes` (broker default 1 MiB) with MESSAGE_TOO_LARGE; staying well below
 * keeps a burst of ordinary messages from being refused together. A larger single message is sent
 * alone.
 */
export const MAX_REQUEST_BYTES = 512 * 1024;

/** A message as it goes on the wire, with its size as counted against `MAX_REQUEST_BYTES`. */
interface Encoded {
  readonly key: string;
  readonly value: Buffer;
  readonly headers: IHeaders;
  readonly bytes: number;
  /** Its producer span (`send <topic>`), ended when the broker answers. */
  readonly span?: Span;
}

/**
 * With a `topic`, the message gets a producer span, child of the caller's active span, whose W3C
 * trace context goes in the message headers (the consumer continues the trace from it).
 */
function encode(message: OutgoingMessage, topic?: string): Encoded {
  const { key, envelope } = message;
  const span = topic === undefined ? undefined : producerSpan(topic, message, context.active());
  const extra = span ? traceHeaders(message.headers, span) : message.headers;
  const { value, headers } = encodeEnvelope(envelope, extra);
  let bytes = Buffer.byteLength(key) + value.length;
  for (const [name, v] of Object.entries(headers)) {
    bytes += Buffer.byteLength(name) + (typeof v === 'string' ? Buffer.byteLength(v) : 64);
  }
  return { key, value, headers, bytes, ...(span && { span }) };
}

/** The encoded size of one message as `send` counts it against `MAX_REQUEST_BYTES`. */
export function encodedSize(message: OutgoingMessage): number {
  return encode(message).bytes;
}

interface TopicQueue {
  pending: { encoded: Encoded; resolve: () => void; reject: (err: unknown) => void }[];
  flushing: boolean;
}

export interface KafkaProducerDeps {
  readonly kafka: Kafka;
  readonly logger: Logger;
  /** Bound on one send, retries included; past it the caller sees KAFKA_UNAVAILABLE. */
  readonly produceTimeoutMs: number;
}

/**
 * Idempotent `acks=all` producer. `send` resolves only when every in-sync replica has the
 * messages, or rejects within `produceTimeoutMs`: with a retryable `KAFKA_UNAVAILABLE`, or with a
 * permanent `KAFKA_MESSAGE_REJECTED` when the broker refuses the messages themselves.
 */
export class KafkaProducer {
  readonly #kafka: Kafka;
  #producer: Producer;
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  #connected: Promise<void> | undefined;

  constructor({ kafka, logger, produceTimeoutMs }: KafkaProducerDeps) {
    this.#kafka = kafka;
    this.#logger = logger.child({ component: 'KafkaProducer' });
    this.#timeoutMs = produceTimeoutMs;
    this.#producer = this.#create();
  }

  #create(): Producer {
    const producer = this.#kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    producer.on(producer.events.DISCONNECT, () => {
      if (this.#producer === producer) this.#connected = undefined;
    });
    return producer;
  }

  /**
   * After a failed send the outcome of its batch is unknown (the broker may have written it and
   * died before answering). kafkajs's idempotent producer then keeps the batch's sequence number
   * and would send the next, different batch under it: the broker answers
   * OUT_OF_ORDER_SEQUENCE_NUMBER to every send from then on (seen after a broker restart in the
   * outage tests: the outbox relay never recovered). A fresh producer gets a new producer id; a
   * batch that did land is delivered twice, which the processor deduplicates by event id.
   */
  #reset(): void {
    const old = this.#producer;
    this.#producer = this.#create();
    this.#connected = undefined;
    void old.disconnect().catch(() => undefined);
  }

  /** Connects (once; concurrent callers share the attempt). */
  async connect(): Promise<void> {
    this.#connected ??= this.#producer.connect().catch((err: unknown) => {
      this.#connected = undefined;
      throw err;
    });
    await this.#connected;
  }

  /**
   * Sends `messages` in order, in requests of at most `MAX_REQUEST_BYTES`. Rejects with
   * `KafkaMessageRejectedError` (`KAFKA_MESSAGE_REJECTED`, not retryable) when the broker refuses
   * the messages for good (too large, invalid record), else with a retryable
   * `KAFKA_UNAVAILABLE`. A rejection may follow earlier requests of the same call that landed.
   */
  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    for (const chunk of chunkByBytes(
      messages.map((m) => encode(m, topic)),
      MAX_REQUEST_BYTES,
    ))
      await this.#sendOne(topic, chunk);
  }

  async #sendOne(topic: string, messages: readonly Encoded[]): Promise<void> {
    if (messages.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`produce to ${topic} timed out after ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
    });
    const producer = this.#producer;
    try {
      await Promise.race([
        (async () => {
          await this.connect();
          await this.#producer.send({
            topic,
            acks: -1,
            timeout: this.#timeoutMs,
            messages: messages.map(({ key, value, headers }) => ({ key, value, headers })),
          });
        })(),
        timeout,
      ]);
      for (const m of messages) m.span?.end();
    } catch (err) {
      for (const m of messages) {
        m.span?.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        m.span?.end();
      }
      const failure = classifyProduceError(err);
      const bytes = messages.reduce((n, m) => n + m.bytes, 0);
      this.#logger.warn(
        { topic, count: messages.length, bytes, failure: failure.kind, err },
        'Produce failed',
      );
      // Once per failure: a send that fails later on an already replaced producer changes nothing.
      if (this.#producer === producer) this.#reset();
      if (failure.kind !== 'transient') {
        throw new KafkaMessageRejectedError(
          `Kafka refused ${messages.length} message(s) for ${topic}: ${failure.reason}`,
          {
            topic,
            reason: failure.reason,
            count: messages.length,
            bytes,
            messageFault: failure.kind === 'rejected',
          },
          { cause: err },
        );
      }
      throw new DependencyUnavailableError(
        'KAFKA_UNAVAILABLE',
        `Could not produce to ${topic}`,
        { topic },
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Like `send`, but concurrent callers share produce requests: while one request is in flight,
   * new messages queue and leave together as the next request (at most `maxBatch`). Under load
   * this turns N round trips into one without adding latency when idle; each caller still
   * resolves only once its own messages are acknowledged (acks=all), or rejects.
   */
  enqueue(topic: string, message: OutgoingMessage): Promise<void> {
    let queue = this.#queues.get(topic);
    if (!queue) {
      queue = { pending: [], flushing: false };
      this.#queues.set(topic, queue);
    }
    const promise = new Promise<void>((resolve, reject) =>
      queue.pending.push({ encoded: encode(message, topic), resolve, reject }),
    );
    if (!queue.flushing) void this.#flush(topic, queue);
    return promise;
  }

  readonly #queues = new Map<string, TopicQueue>();

  async #flush(topic: string, queue: TopicQueue): Promise<void> {
    queue.flushing = true;
    try {
      while (queue.pending.length > 0) {
        const batch = takeBatch(queue.pending);
        try {
          await this.#sendOne(
            topic,
            batch.map((b) => b.encoded),
          );
          for (const b of batch) b.resolve();
        } catch (err) {
          if (err instanceof KafkaMessageRejectedError && err.messageFault && batch.length > 1) {
            // One refused message must not fail the callers it happened to share a request with.
            for (const b of batch)
              await this.#sendOne(topic, [b.encoded]).then(b.resolve, b.reject);
          } else {
            for (const b of batch) b.reject(err);
          }
        }
      }
    } finally {
      queue.flushing = false;
    }
  }

  async disconnect(): Promise<void> {
    await this.#producer.disconnect();
    this.#connected = undefined;
  }
}

/** Consecutive runs of `messages` of at most `maxBytes` each (a larger message alone). */
function chunkByBytes(messages: readonly Encoded[], maxBytes: number): Encoded[][] {
  const chunks: Encoded[][] = [];
  let current: Encoded[] = [];
  let size = 0;
  for (const message of messages) {
    if (current.length > 0 && size + message.bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(message);
    size += message.bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** The next queued messages for one request: at most `MAX_BATCH` and `MAX_REQUEST_BYTES`. */
function takeBatch<T extends { encoded: Encoded }>(pending: T[]): T[] {
  let size = 0;
  let n = 0;
  while (n < pending.length && n < MAX_BATCH) {
    const { bytes } = pending[n]!.encoded;
    if (n > 0 && size + bytes > MAX_REQUEST_BYTES) break;
    size += bytes;
    n++;
  }
  return pending.splice(0, n);
}
