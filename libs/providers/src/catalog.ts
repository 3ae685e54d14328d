import type { ProviderName } from '@paysync/contracts';
import type { FieldError } from '@paysync/errors';

import { STRIPE_EVENT_TYPES } from './stripe/stripe.webhook.js';

import type { ProviderCapabilities } from './billing-provider.js';

export const STRIPE_CAPABILITIES: ProviderCapabilities = {
  entityTypes: ['customer', 'product', 'price', 'subscription', 'invoice', 'payment_transaction'],
  eventTypes: STRIPE_EVENT_TYPES,
  defaultRateLimitPerSecond: { test: 25, live: 100 },
};

/** What paysync can do with a provider, without a connection (for `GET /sync/providers`). */
export interface ProviderInfo {
  readonly name: ProviderName;
  readonly supported: boolean;
  /** Null while the provider is not supported yet. */
  readonly capabilities: ProviderCapabilities | null;
}

const CATALOG: readonly ProviderInfo[] = [
  { name: 'stripe', supported: true, capabilities: STRIPE_CAPABILITIES },
  { name: 'chargebee', supported: false, capabilities: null },
];

export function providerCatalog(): readonly ProviderInfo[] {
  return CATALOG;
}

export function isProviderSupported(name: ProviderName): boolean {
  return CATALOG.some((p) => p.name === name && p.supported);
}

export interface CredentialInput {
  readonly mode?: 'test' | 'live' | undefined;
  readonly apiKey?: string | undefined;
  readonly webhookSecrets?: readonly string[] | undefined;
}

const STRIPE_KEY = /^(sk|rk)_(test|live)_[A-Za-z0-9]{8,}$/;
const STRIPE_WEBHOOK_SECRET = /^whsec_[A-Za-z0-9+/=_-]{8,}$/;

/**
 * Checks secrets before they are stored: the shape the provider issues them in, and that an API
 * key's mode matches the connection's. Returns every problem (empty when all is well); never echoes
 * a secret back.
 */
export function validateCredentials(
  provider: ProviderName,
  input: CredentialInput,
  paths: { apiKey: string; webhookSecrets: string } = {
    apiKey: 'body/apiKey',
    webhookSecrets: 'body/webhookSecrets',
  },
): FieldError[] {
  const errors: FieldError[] = [];
  if (provider !== 'stripe') return errors;
  if (input.apiKey !== undefined) {
    const m = STRIPE_KEY.exec(input.apiKey);
    if (!m) {
      errors.push({ path: paths.apiKey, message: stripeKeyProblem(input.apiKey) });
    } else if (input.mode !== undefined && m[2] !== input.mode) {
      errors.push({
        path: paths.apiKey,
        message: `is a ${m[2] ?? ''} mode key but the connection mode is ${input.mode}`,
      });
    }
  }
  (input.webhookSecrets ?? []).forEach((secret, i) => {
    if (!STRIPE_WEBHOOK_SECRET.test(secret)) {
      errors.push({
        path: `${paths.webhookSecrets}/${i}`,
        message: 'must be a Stripe webhook signing secret (whsec_…, no whitespace)',
      });
    }
  });
  return errors;
}

/**
 * What is wrong with a string that is not a Stripe secret or restricted key, precisely enough to
 * fix it, without echoing the key.
 */
function stripeKeyProblem(apiKey: string): string {
  const prefix = /^(sk|rk)_(test|live)_/.exec(apiKey)?.[0];
  if (!prefix) {
    return 'must be a Stripe secret or restricted key: it starts with sk_test_, sk_live_, rk_test_ or rk_live_';
  }
  const body = apiKey.slice(prefix.length);
  if (/[^A-Za-z0-9]/.test(body)) {
    return `must continue after ${prefix} with letters and digits only (Stripe keys have no _, -, spaces or other characters there)`;
  }
  return `must continue after ${prefix} with at least 8 letters or digits (this one has ${body.length})`;
}

/** The mode a Stripe key belongs to, when it says (`sk_test_…` → test). */
export function modeOfApiKey(provider: ProviderName, apiKey: string): 'test' | 'live' | undefined {
  if (provider !== 'stripe') return undefined;
  const m = STRIPE_KEY.exec(apiKey);
  return m?.[2] === 'live' ? 'live' : m?.[2] === 'test' ? 'test' : undefined;
}

/**
 * Request rates per provider and mode from server configuration (`STRIPE_RATE_LIMIT_PER_SECOND_*`,
 * default: the provider's documented limits). Never a tenant's value.
 */
export interface ProviderRateSettings {
  readonly stripeRateLimitPerSecondTest?: number | undefined;
  readonly stripeRateLimitPerSecondLive?: number | undefined;
}

/** The token buckets one connection's requests go through (see PgRateLimiter in @paysync/db). */
export interface ConnectionRateLimit {
  /**
   * The bucket every caller of the same provider account shares: `<provider>:<account>:<mode>`
   * once the provider confirmed the account id (a connection test), else
   * `<provider>:connection:<id>:<mode>`, so an unverified claim only limits its claimant.
   */
  readonly key: string;
  /** From server configuration for the provider and mode, never from the connection. */
  readonly ratePerSecond: number;
  /**
   * A lower rate the connection's own settings ask for (`settings.rateLimitPerSecond`), in a
   * bucket of its own whose key names the rate (so no caller ever changes a stored rate).
   */
  readonly connectionCap?: { readonly key: string; readonly ratePerSecond: number };
}

/**
 * Requests per second to one account of `provider` in `mode`: server configuration, else the
 * provider's documented limit.
 */
export function configuredRateLimit(
  provider: ProviderName,
  mode: 'test' | 'live',
  rates: ProviderRateSettings = {},
): number {
  const configured =
    provider === 'stripe'
      ? mode === 'live'
        ? rates.stripeRateLimitPerSecondLive
        : rates.stripeRateLimitPerSecondTest
      : undefined;
  const documented = providerCatalog().find((p) => p.name === provider)?.capabilities
    ?.defaultRateLimitPerSecond[mode];
  return configured ?? documented ?? 25;
}

/**
 * The rate limits of a connection's provider calls (sync-runner, recovery). A workspace decides
 * nothing about the shared bucket: its key needs a verified account id and its rate is the
 * server's; `settings.rateLimitPerSecond` can only slow the connection itself down (issue 15).
 */
export function connectionRateLimit(
  connection: {
    readonly id: string;
    readonly provider: ProviderName;
    readonly mode: 'test' | 'live';
    readonly verifiedProviderAccountId: string | null;
    readonly settings: Readonly<Record<string, unknown>>;
  },
  rates: ProviderRateSettings = {},
): ConnectionRateLimit {
  const ratePerSecond = configuredRateLimit(connection.provider, connection.mode, rates);
  const account = connection.verifiedProviderAccountId ?? `connection:${connection.id}`;
  const requested = connection.settings.rateLimitPerSecond;
  return {
    key: `${connection.provider}:${account}:${connection.mode}`,
    ratePerSecond,
    ...(typeof requested === 'number' &&
      Number.isFinite(requested) &&
      requested > 0 &&
      requested < ratePerSecond && {
        connectionCap: {
          key: `${connection.provider}:connection:${connection.id}:${connection.mode}:cap:${requested}`,
          ratePerSecond: requested,
        },
      }),
  };
}
