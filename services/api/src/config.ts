import { z } from 'zod';

import { bool, envVar, positiveInt, secret, trustedProxies, type ConfigOf } from '@paysync/config';
import { providerConfigSchema } from '@paysync/providers';
import { serviceConfigSchema } from '@paysync/runtime';

const apiConfigSchema = {
  adminToken: secret(
    'ADMIN_API_TOKEN',
    z.string().min(32, 'must be at least 32 characters (use a random token)'),
    'Bearer token that may create workspaces and act on any workspace (compared in constant time)',
  ),
  rateLimitPerMinute: envVar(
    'API_RATE_LIMIT_PER_MINUTE',
    positiveInt().default(600),
    'Requests per minute one credential (workspace API key or the admin token) may make; 429 beyond',
  ),
  authFailuresPerMinute: envVar(
    'API_AUTH_FAILURES_PER_MINUTE',
    positiveInt().default(30),
    'Failed authentications (401) and workspace checks (403/404) one client address (IPv6: its /64) may have per minute; then 429 for that address until the minute ends, checked before authentication',
  ),
  trustProxy: envVar(
    'API_TRUST_PROXY',
    trustedProxies().default(false),
    'Proxies trusted to report the client address in X-Forwarded-For (the failed-authentication limit counts per address): false (none: the TCP peer is the client) or their IPv4/IPv6 addresses/CIDRs (e.g. the load balancer subnet); true and hop counts are refused (any caller could pick its address)',
  ),
  maxPageSize: envVar(
    'API_MAX_PAGE_SIZE',
    positiveInt().max(1000).default(200),
    'Largest `limit` a list endpoint accepts (the default page size is 50)',
  ),
  providerMaxAttempts: envVar(
    'API_PROVIDER_MAX_ATTEMPTS',
    positiveInt().max(10).default(2),
    'Attempts per provider request made while an API call waits (connection test, webhook endpoint)',
  ),
  providerTimeoutMs: envVar(
    'API_PROVIDER_TIMEOUT_MS',
    positiveInt().default(10_000),
    'Timeout of one provider request made while an API call waits',
  ),
  syncStalledAfterMs: envVar(
    'API_SYNC_STALLED_AFTER_MS',
    positiveInt().default(300_000),
    'A running sync session without a checkpoint for this long is listed as stalled (recoverable)',
  ),
  recoveryGroupId: envVar(
    'API_RECOVERY_GROUP_ID',
    z.string().min(1).default('paysync-recovery'),
    'Consumer group of the recovery service (RECOVERY_GROUP_ID), for the DLQ lag in GET /error-recovery/health',
  ),
  docsEnabled: envVar(
    'API_DOCS_ENABLED',
    bool().default(true),
    'Serve the interactive API docs page at /api/v1/docs (the OpenAPI document is always served)',
  ),
};

/** Every environment variable the api service reads (STYLE R17–R19). */
export const configSchema = {
  ...serviceConfigSchema(3000),
  provider: providerConfigSchema,
  api: apiConfigSchema,
};

export type Config = ConfigOf<typeof configSchema>;
