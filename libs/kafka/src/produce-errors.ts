import { AppError } from '@paysync/errors';

/**
 * Broker error types that reject the message itself: sending the same bytes again fails the same
 * way, so the caller must set the message aside (quarantine, dead letter) instead of retrying.
 * kafkajs marks them non-retriable and wraps them in `KafkaJSNonRetriableError` (cause chain).
 */
const MESSAGE_REJECTIONS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TIMESTAMP',
  'CORRUPT_MESSAGE',
]);

export type ProduceFailure =
  /** The cluster is down, slow or moving leaders: the same send may succeed later. */
  | { readonly kind: 'transient' }
  /** The broker refused these messages for good (`reason` is the broker's error type). */
  | { readonly kind: 'rejected'; readonly reason: string }
  /**
   * Any other non-retriable broker error (authorization, unknown topic, unsupported version): a
   * configuration problem, not the message's fault, so it is not retried in place either.
   */
  | { readonly kind: 'permanent'; readonly reason: string };

/** Classifies an error thrown by kafkajs `producer.send` by walking its cause chain. */
export function classifyProduceError(err: unknown): ProduceFailure {
  const seen = new Set<unknown>();
  let permanent: string | undefined;
  for (let e = err; e !== null && typeof e === 'object' && !seen.has(e);) {
    seen.add(e);
    const { type, retriable, cause } = e as {
      type?: unknown;
      retriable?: unknown;
      cause?: unknown;
    };
    if (typeof type === 'string') {
      if (MESSAGE_REJECTIONS.has(type)) return { kind: 'rejected', reason: type };
      if (retriable === false) permanent ??= type;
    }
    e = cause;
  }
  return permanent === undefined ? { kind: 'transient' } : { kind: 'permanent', reason: permanent };
}

/**
 * Kafka refused a produce for good (`KAFKA_MESSAGE_REJECTED`, not retryable): retrying the same
 * send cannot help. `reason` is the broker's error type (e.g. `MESSAGE_TOO_LARGE`). `messageFault`
 * says whether the messages themselves are at fault (set them aside and move on) or the cluster
 * refuses every message (authorization, unknown topic: a configuration problem to alert on).
 */
export class KafkaMessageRejectedError extends AppError {
  readonly status = 500;
  readonly reason: string;
  readonly messageFault: boolean;
  constructor(
    message: string,
    details: { topic: string; reason: string; count: number; bytes: number; messageFault: boolean },
    options?: { cause?: unknown },
  ) {
    super('KAFKA_MESSAGE_REJECTED', message, details, options);
    this.reason = details.reason;
    this.messageFault = details.messageFault;
  }
}
