/** A Kafka topic as paysync creates it. Names follow `<domain>.<entity>.<event>.v<N>` (STYLE R25). */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly retentionMs: number;
  readonly cleanupPolicy: 'delete' | 'compact';
  /** The topic's `max.message.bytes` (largest record batch the broker accepts); unset: the broker's. */
  readonly maxMessageBytes?: number;
  readonly description: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The ingress body cap and the webhook topics' `max.message.bytes` are set together: a verified
 * body of up to `WEBHOOK_BODY_LIMIT_BYTES` (the default of INGRESS_BODY_LIMIT_BYTES) becomes one
 * envelope (the parsed event re-serialized, plus tenant and routing fields, ~1 KB) and, on the
 * retry and DLQ topics, failure headers; `WEBHOOK_MESSAGE_HEADROOM_BYTES` covers that. Raising
 * the body cap means raising this constant and running `paysync topics apply` (which reports the
 * drift of an existing topic; apply it with `kafka-configs --alter --add-config max.message.bytes=`).
 */
export const WEBHOOK_BODY_LIMIT_BYTES = 1_048_576;
export const WEBHOOK_MESSAGE_HEADROOM_BYTES = 262_144;
export const WEBHOOK_MESSAGE_MAX_BYTES = WEBHOOK_BODY_LIMIT_BYTES + WEBHOOK_MESSAGE_HEADROOM_BYTES;

/**
 * The topic catalogue: every topic any service produces to or consumes from. Services refer to
 * topics by key, never by string; `ensureTopics()` (in @paysync/kafka) creates them idempotently.
 */
export const TOPICS = {
  webhookReceived: {
    name: 'billing.webhook.received.v1',
    partitions: 6,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: 'delete',
    maxMessageBytes: WEBHOOK_MESSAGE_MAX_BYTES,
    description: 'Verified provider webhook events from ingress (and outbox relay, replays)',
  },
  webhookRetryShort: {
    name: 'billing.webhook.retry-short.v1',
    partitions: 3,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: 'delete',
    maxMessageBytes: WEBHOOK_MESSAGE_MAX_BYTES,
    description: 'First retry tier for events that failed processing (short delay)',
  },
  webhookRetryLong: {
    name: 'billing.webhook.retry-long.v1',
    partitions: 3,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: 'delete',
    maxMessageBytes: WEBHOOK_MESSAGE_MAX_BYTES,
    description: 'Second retry tier for events that failed processing (long delay)',
  },
  webhookDeadLetter: {
    name: 'billing.webhook.dlq.v1',
    partitions: 3,
    retentionMs: 30 * DAY_MS,
    cleanupPolicy: 'delete',
    maxMessageBytes: WEBHOOK_MESSAGE_MAX_BYTES,
    description: 'Events that exhausted their retries, with error class and attempt count',
  },
  syncCommand: {
    name: 'billing.sync.command.v1',
    partitions: 3,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: 'delete',
    description: 'Sync session commands (start, resume, restart, cancel) for the sync-runner',
  },
} as const satisfies Record<string, TopicSpec>;

export type TopicKey = keyof typeof TOPICS;

export const ALL_TOPICS: readonly TopicSpec[] = Object.values(TOPICS);
