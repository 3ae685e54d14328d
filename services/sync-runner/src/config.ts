import { httpConfigSchema, type ConfigOf } from '@paysync/config';
import { dbConfigSchema } from '@paysync/db';
import { kafkaConfigSchema } from '@paysync/kafka';
import { logConfigSchema } from '@paysync/observability';

/** Every environment variable the sync-runner service reads (STYLE R17–R19). */
export const configSchema = {
  http: httpConfigSchema(3003),
  log: logConfigSchema,
  db: dbConfigSchema,
  kafka: kafkaConfigSchema,
};

export type Config = ConfigOf<typeof configSchema>;
