/** A Kafka topic as paysync creates it. Names follow `<domain>.<entity>.<event>.v<N>` (STYLE R25). */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly retentionMs: number;
  readonly cleanupPolicy: 'delete' | 'compact';
  readonly description: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

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
    description: 'Verified provider webhook events from ingress (and outbox relay, replays)',
  },
  webhookRetryShort: {
    name: 'billing.webhook.retry-short.v1',
    partitions: 3,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: 'delete',
    description: 'First retry tier for events that failed processing (short delay)',
  },
  webhookRetryLong: {
    name: 'billing.webhook.retry-long.v1',
    partitions: 3,
    retentionMs: 7 * DAY_MS,
    cleanupPolicy: 'delete',
    description: 'Second retry tier for events that failed processing (long delay)',
  },
  webhookDeadLetter: {
    name: 'billing.webhook.dlq.v1',
    partitions: 3,
    retentionMs: 30 * DAY_MS,
    cleanupPolicy: 'delete',
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
