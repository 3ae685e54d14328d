import { z } from 'zod';

import { envVar, positiveInt, type ConfigOf } from '@paysync/config';
import { providerConfigSchema } from '@paysync/providers';
import { serviceConfigSchema } from '@paysync/runtime';

const recoveryConfigSchema = {
  groupId: envVar(
    'RECOVERY_GROUP_ID',
    z.string().min(1).default('paysync-recovery'),
    'Kafka consumer group for the dead-letter topic',
  ),
  redriveMaxAttempts: envVar(
    'RECOVERY_REDRIVE_MAX_ATTEMPTS',
    z.coerce.number().int().min(0).default(5),
    'Automatic re-drives of a retryable dead letter before it stays dead for a human (0 = never)',
  ),
  redriveBaseMs: envVar(
    'RECOVERY_REDRIVE_BASE_MS',
    positiveInt().default(30_000),
    'Wait before the first automatic re-drive; doubles per re-drive, ±20 % jitter',
  ),
  redriveMaxDelayMs: envVar(
    'RECOVERY_REDRIVE_MAX_DELAY_MS',
    positiveInt().default(3_600_000),
    'Longest wait between automatic re-drives',
  ),
  redriveIntervalMs: envVar(
    'RECOVERY_REDRIVE_INTERVAL_MS',
    positiveInt().default(1000),
    'How often the re-driver looks for due dead letters',
  ),
  sessionCheckIntervalMs: envVar(
    'RECOVERY_SESSION_CHECK_INTERVAL_MS',
    positiveInt().default(30_000),
    'How often the session watchdog looks for stalled and transiently failed sync sessions',
  ),
  sessionStalledAfterMs: envVar(
    'RECOVERY_SESSION_STALLED_AFTER_MS',
    positiveInt().default(600_000),
    'A running sync session without progress for this long is stalled and resumed automatically',
  ),
  sessionAutoResumeMax: envVar(
    'RECOVERY_SESSION_AUTO_RESUME_MAX',
    z.coerce.number().int().min(0).default(3),
    'Automatic resumes of one sync session before it is left to a human (0 = never)',
  ),
  sessionResumeDelayMs: envVar(
    'RECOVERY_SESSION_RESUME_DELAY_MS',
    positiveInt().default(60_000),
    'Wait after a transient sync failure before the first automatic resume; doubles per resume',
  ),
  reconcilePollMs: envVar(
    'RECOVERY_RECONCILE_POLL_MS',
    positiveInt().default(2000),
    'How often the reconciler looks for requested and scheduled reconciliations',
  ),
  reconcileLeaseMs: envVar(
    'RECOVERY_RECONCILE_LEASE_MS',
    positiveInt().default(60_000),
    'A reconciliation whose replica stops renewing this lease is taken over by another',
  ),
  reconcileMaxVerify: envVar(
    'RECOVERY_RECONCILE_MAX_VERIFY',
    positiveInt().default(1000),
    'Local-only rows verified by a provider retrieve per entity type and run; past it they are reported, not deleted',
  ),
  eventsPollIntervalMs: envVar(
    'RECOVERY_EVENTS_POLL_INTERVAL_MS',
    z.coerce.number().int().min(0).default(60_000),
    'How often the provider event list (Stripe /v1/events) is checked for events no webhook delivered (0 disables)',
  ),
  eventsGraceMs: envVar(
    'RECOVERY_EVENTS_GRACE_MS',
    z.coerce.number().int().min(0).default(10_000),
    'Events younger than this are left to their webhook (still in flight); they are checked on the next poll',
  ),
  eventsLookbackSeconds: envVar(
    'RECOVERY_EVENTS_LOOKBACK_SECONDS',
    positiveInt().default(3600),
    'How far back the first poll of a connection looks',
  ),
};

/** Every environment variable the recovery service reads (STYLE R17–R19). */
export const configSchema = {
  ...serviceConfigSchema(3004),
  provider: providerConfigSchema,
  recovery: recoveryConfigSchema,
};

export type Config = ConfigOf<typeof configSchema>;
