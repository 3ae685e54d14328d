import { httpConfigSchema } from '@paysync/config';
import { cryptoConfigSchema } from '@paysync/crypto';
import { dbConfigSchema } from '@paysync/db';
import { kafkaConfigSchema } from '@paysync/kafka';
import { healthConfigSchema, logConfigSchema } from '@paysync/observability';

/**
 * The configuration groups every service reads (HTTP and health endpoints, logs, PostgreSQL,
 * Kafka, the encryption key ring); a service's `config.ts` spreads it and adds its own groups:
 * `{ ...serviceConfigSchema(3002), processor: processorConfigSchema }`.
 * `kafkaReadiness`: whether /ready requires Kafka (`required`) or only reports it (`reported`: the
 * ingress, which keeps taking webhooks into the PostgreSQL outbox while Kafka is down).
 */
export function serviceConfigSchema(
  defaultPort: number,
  { kafkaReadiness = 'required' }: { readonly kafkaReadiness?: 'required' | 'reported' } = {},
) {
  return {
    http: httpConfigSchema(defaultPort),
    health: healthConfigSchema({ kafka: kafkaReadiness }),
    log: logConfigSchema,
    db: dbConfigSchema,
    kafka: kafkaConfigSchema,
    crypto: cryptoConfigSchema,
  };
}
