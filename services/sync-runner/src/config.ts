import { z } from 'zod';

import { envVar, positiveInt, type ConfigOf } from '@paysync/config';
import { providerConfigSchema } from '@paysync/providers';
import { serviceConfigSchema } from '@paysync/runtime';

const syncRunnerConfigSchema = {
  groupId: envVar(
    'SYNC_RUNNER_GROUP_ID',
    z.string().min(1).default('paysync-sync-runner'),
    'Kafka consumer group for sync commands',
  ),
  concurrency: envVar(
    'SYNC_RUNNER_CONCURRENCY',
    positiveInt().max(64).default(8),
    'Units of work (entity type segments) this replica runs at once, across all sessions',
  ),
  segments: envVar(
    'SYNC_SEGMENTS_PER_ENTITY',
    positiveInt().max(64).default(4),
    'Created-time segments a large entity type is split into and fetched in parallel',
  ),
  pageSize: envVar(
    'SYNC_PAGE_SIZE',
    positiveInt().max(100).default(100),
    'Objects per provider list request (Stripe allows 100)',
  ),
  leaseMs: envVar(
    'SYNC_UNIT_LEASE_MS',
    positiveInt().default(30_000),
    'Lease of a claimed unit: renewed every third of it while its worker is busy (see SYNC_UNIT_MAX_RENEW_MS) and by every checkpoint; another worker may take over an expired one',
  ),
  maxRenewMs: envVar(
    'SYNC_UNIT_MAX_RENEW_MS',
    positiveInt().default(300_000),
    'How long a unit keeps renewing its lease without a checkpoint (a slow provider call or write); past it the lease is left to expire and another worker may take the unit over',
  ),
  pollIntervalMs: envVar(
    'SYNC_POLL_INTERVAL_MS',
    positiveInt().default(1000),
    'How often an idle worker looks for claimable units (commands also wake it)',
  ),
  maxUnitAttempts: envVar(
    'SYNC_UNIT_MAX_ATTEMPTS',
    positiveInt().default(10),
    'Claims of one unit (retryable failures, crashed runners) before the session fails',
  ),
  retryBackoffMs: envVar(
    'SYNC_RETRY_BACKOFF_MS',
    positiveInt().default(2000),
    'First wait before a unit that failed transiently is claimed again (doubles per attempt, max 60 s)',
  ),
};

/** Every environment variable the sync-runner reads (STYLE R17–R19). */
export const configSchema = {
  ...serviceConfigSchema(3003),
  provider: providerConfigSchema,
  syncRunner: syncRunnerConfigSchema,
};

export type Config = ConfigOf<typeof configSchema>;
