import { z } from 'zod';

import { addressList, envVar, positiveInt, trustedProxies, type ConfigOf } from '@paysync/config';
import { WEBHOOK_BODY_LIMIT_BYTES } from '@paysync/contracts';
import { serviceConfigSchema } from '@paysync/runtime';

const ingressConfigSchema = {
  bodyLimitBytes: envVar(
    'INGRESS_BODY_LIMIT_BYTES',
    positiveInt().default(WEBHOOK_BODY_LIMIT_BYTES),
    'Largest webhook body accepted (413 beyond it, enforced while reading); keep it 256 KiB below the webhook topics’ max.message.bytes (1310720, libs/contracts WEBHOOK_MESSAGE_MAX_BYTES)',
  ),
  connectionCacheTtlMs: envVar(
    'INGRESS_CONNECTION_CACHE_TTL_MS',
    positiveInt().default(5000),
    'How long a connection (and its secrets) is cached; rotations and deactivations apply within it',
  ),
  connectionCacheMaxEntries: envVar(
    'INGRESS_CONNECTION_CACHE_MAX_ENTRIES',
    positiveInt().default(10_000),
    'Connections (and, separately, unknown connection ids) cached per replica; least recently used first out, so a flood of random ids never evicts a real connection',
  ),
  rateLimitPerIp: envVar(
    'INGRESS_RATE_LIMIT_PER_IP',
    positiveInt().default(2000),
    'Webhook requests per second accepted from one client IP (429 beyond)',
  ),
  rateLimitPerConnection: envVar(
    'INGRESS_RATE_LIMIT_PER_CONNECTION',
    positiveInt().default(2000),
    'Webhook requests per second accepted for one provider connection (429 beyond)',
  ),
  ipAllowlist: envVar(
    'INGRESS_IP_ALLOWLIST',
    addressList().optional(),
    'If set, only these IPv4/IPv6 addresses or CIDRs may post webhooks (e.g. the provider’s published ranges)',
  ),
  trustProxy: envVar(
    'INGRESS_TRUST_PROXY',
    trustedProxies().default(false),
    'Proxies trusted to report the client address in X-Forwarded-For: false (none: the TCP peer is the client) or their IPv4/IPv6 addresses/CIDRs (e.g. the load balancer subnet); true and hop counts are refused (any caller could pick its address)',
  ),
  webhookToleranceSeconds: envVar(
    'WEBHOOK_TOLERANCE_SECONDS',
    positiveInt().default(300),
    'Maximum age (and future skew) of a signed webhook timestamp',
  ),
  outboxRelayIntervalMs: envVar(
    'INGRESS_OUTBOX_RELAY_INTERVAL_MS',
    positiveInt().default(500),
    'How often the relay looks for outbox rows to hand to Kafka',
  ),
  outboxMaxAttempts: envVar(
    'INGRESS_OUTBOX_MAX_ATTEMPTS',
    positiveInt().default(3),
    'Failed hand-offs after which an outbox row Kafka refuses for good (e.g. too large) is quarantined as a dead event',
  ),
  kafkaCircuitOpenMs: envVar(
    'INGRESS_KAFKA_CIRCUIT_OPEN_MS',
    positiveInt().default(5000),
    'After a failed produce, write straight to the outbox for this long instead of waiting on Kafka',
  ),
  retryAfterSeconds: envVar(
    'INGRESS_RETRY_AFTER_SECONDS',
    z.coerce.number().int().min(1).default(10),
    'Retry-After sent with a 503 when neither Kafka nor PostgreSQL accepts an event',
  ),
};

/** Every environment variable the ingress service reads (STYLE R17–R19). */
export const configSchema = {
  // Ready while it can persist a webhook: to Kafka, or to the PostgreSQL outbox (DESIGN §8).
  ...serviceConfigSchema(3001, { kafkaReadiness: 'reported' }),
  ingress: ingressConfigSchema,
};

export type Config = ConfigOf<typeof configSchema>;
