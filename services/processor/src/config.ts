import { z } from 'zod';

import { bool, envVar, positiveInt, type ConfigOf } from '@paysync/config';
import { providerConfigSchema } from '@paysync/providers';
import { serviceConfigSchema } from '@paysync/runtime';

const processorConfigSchema = {
  groupId: envVar(
    'PROCESSOR_GROUP_ID',
    z.string().min(1).default('paysync-processor'),
    'Kafka consumer group of the webhook topic; the retry tiers use this id with .retry appended (paysync-processor.retry)',
  ),
  retryDelaysMs: envVar(
    'PROCESSOR_RETRY_DELAYS_MS',
    z
      .string()
      .default('30000,300000')
      .transform((v) => v.split(',').map((s) => Number(s.trim())))
      .refine((list) => list.length >= 1 && list.every((n) => Number.isInteger(n) && n >= 0), {
        message: 'must be comma-separated non-negative integers (one per retry tier)',
      }),
    'Delay of each retry tier for events that failed (then the DLQ); two tiers use the short and long retry topics',
  ),
  transientBackoffMaxMs: envVar(
    'PROCESSOR_TRANSIENT_BACKOFF_MAX_MS',
    positiveInt().default(30_000),
    'Longest pause between attempts while the database or a provider is down (no dead-lettering)',
  ),
  refetchTies: envVar(
    'PROCESSOR_REFETCH_TIES',
    bool().default(true),
    'Re-fetch an object from the provider when an event has the same version but other content',
  ),
  inlineFetchTimeoutMs: envVar(
    'PROCESSOR_INLINE_FETCH_TIMEOUT_MS',
    positiveInt().default(3000),
    "Timeout of a tie's re-fetch on an event's first delivery: one attempt, no client retries; on a timeout, 5xx or 429 the event goes to the retry tier instead of holding the partition",
  ),
  retryFetchTimeoutMs: envVar(
    'PROCESSOR_RETRY_FETCH_TIMEOUT_MS',
    positiveInt().default(30_000),
    "Per-request timeout of a tie's re-fetch from a retry tier (with STRIPE_MAX_ATTEMPTS attempts; the retry tiers are consumed apart from the webhook topic)",
  ),
  fetchMinBytes: envVar(
    'PROCESSOR_FETCH_MIN_BYTES',
    positiveInt().default(65_536),
    'Bytes a fetch of the webhook topic waits for (up to PROCESSOR_FETCH_MAX_WAIT_MS) before the broker answers: larger batches mean fewer fetches, transactions and offset commits per event; 1 answers at once',
  ),
  fetchMaxWaitMs: envVar(
    'PROCESSOR_FETCH_MAX_WAIT_MS',
    z.coerce.number().int().min(1).max(5000).default(20),
    'Longest a fetch of the webhook topic waits for PROCESSOR_FETCH_MIN_BYTES: the most a lone event waits before it is applied (and how often an idle processor polls)',
  ),
  partitionsConcurrently: envVar(
    'PROCESSOR_PARTITIONS_CONCURRENTLY',
    z.coerce.number().int().min(1).max(64).default(6),
    "Partitions of one fetch whose batches are applied together in one transaction (the webhook topic has 6): fewer transactions per event; 1 applies each partition's batch alone",
  ),
  sessionTimeoutMs: envVar(
    'PROCESSOR_SESSION_TIMEOUT_MS',
    positiveInt().default(30_000),
    'Kafka consumer-group session timeout (the broker allows 6000-1800000 by default); handlers heartbeat every second while they run',
  ),
};

/** Every environment variable the processor reads (STYLE R17–R19). */
export const configSchema = {
  ...serviceConfigSchema(3002),
  provider: providerConfigSchema,
  processor: processorConfigSchema,
};

export type Config = ConfigOf<typeof configSchema>;
