import { z } from 'zod';

import { envVar, httpConfigSchema, positiveInt, type ConfigOf } from '@paysync/config';
import { dbConfigSchema } from '@paysync/db';
import { kafkaConfigSchema } from '@paysync/kafka';
import { logConfigSchema } from '@paysync/observability';

export const recoveryConfigSchema = {
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
};

/** Every environment variable the recovery service reads (STYLE R17–R19). */
export const configSchema = {
  http: httpConfigSchema(3004),
  log: logConfigSchema,
  db: dbConfigSchema,
  kafka: kafkaConfigSchema,
  recovery: recoveryConfigSchema,
};

export type Config = ConfigOf<typeof configSchema>;
