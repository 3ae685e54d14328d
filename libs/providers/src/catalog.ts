import type { ProviderName } from '@paysync/contracts';
import type { FieldError } from '@paysync/errors';

import { registeredAdapter, registeredProviders } from './registry.js';

import type { ProviderCapabilities } from './billing-provider.js';

export { STRIPE_CAPABILITIES } from './stripe/stripe.capabilities.js';

/** What paysync can do with a provider, without a connection (for `GET /sync/providers`). */
export interface ProviderInfo {
  readonly name: ProviderName;
  readonly supported: boolean;
  /** Null while the provider is not supported yet. */
  readonly capabilities: ProviderCapabilities | null;
}

/** Every registered provider (the registry's order), offered or not. */
export function providerCatalog(): readonly ProviderInfo[] {
  return registeredProviders().map((a) => ({
    name: a.name,
    supported: a.supported,
    capabilities: a.supported ? a.capabilities : null,
  }));
}

export function isProviderSupported(name: ProviderName): boolean {
  return registeredAdapter(name)?.supported === true;
}

export interface CredentialInput {
  readonly mode?: 'test' | 'live' | undefined;
  readonly apiKey?: string | undefined;
  readonly webhookSecrets?: readonly string[] | undefined;
}

/**
 * Checks secrets before they are stored: the shape the provider issues them in, and that an API
 * key's mode matches the connection's (the provider's adapter decides). Returns every problem
 * (empty when all is well); never echoes a secret back.
 */
export function validateCredentials(
  provider: ProviderName,
  input: CredentialInput,
  paths: { apiKey: string; webhookSecrets: string } = {
    apiKey: 'body/apiKey',
    webhookSecrets: 'body/webhookSecrets',
  },
): FieldError[] {
  return registeredAdapter(provider)?.validateCredentials(input, paths) ?? [];
}

/** The mode an API key belongs to, when it says (Stripe `sk_test_…` → test). */
export function modeOfApiKey(provider: ProviderName, apiKey: string): 'test' | 'live' | undefined {
  return registeredAdapter(provider)?.modeOfApiKey(apiKey);
}

/**
 * Request rates per provider and mode from server configuration (`STRIPE_RATE_LIMIT_PER_SECOND_*`,
 * `CHARGEBEE_RATE_LIMIT_PER_MINUTE_*`; default: the provider's documented limits). Never a
 * tenant's value.
 */
export interface ProviderRateSettings {
  readonly stripeRateLimitPerSecondTest?: number | undefined;
  readonly stripeRateLimitPerSecondLive?: number | undefined;
  readonly chargebeeRateLimitPerMinuteTest?: number | undefined;
  readonly chargebeeRateLimitPerMinuteLive?: number | undefined;
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
   * The bucket's capacity when the provider's budget says (see {@link configuredBucket});
   * absent: a second's worth of requests (PgRateLimiter's default).
   */
  readonly burst?: number;
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
  const adapter = registeredAdapter(provider);
  const configured = adapter?.configuredRateLimit(mode, rates);
  const documented = adapter?.capabilities.defaultRateLimitPerSecond[mode];
  return configured ?? documented ?? 25;
}

/** How the shared bucket of one provider account refills and how many requests it holds. */
export interface BucketRate {
  /** Steady refill: the budget's `requests` per `perMs`, as requests per second. */
  readonly ratePerSecond: number;
  /**
   * Capacity, for budgets counted over a window longer than a second (Chargebee's minute): the
   * budget's `burst`, since the provider counts every request of the window and a burst at its
   * start spends what its end needs (a 429). Undefined for per-second budgets, whose buckets keep
   * a second's worth (Stripe's behaviour since issue 15).
   */
  readonly burst: number | undefined;
}

/**
 * The shared bucket of one account of `provider` in `mode`: the rate of {@link configuredRateLimit}
 * and, when the provider's `capabilities.rateBudget` counts a window longer than a second, its
 * burst, with the rate lowered so that no window ever holds more than the budget (Chargebee 150
 * per 60,000 ms ⇒ burst 1 and 149 per minute, about 2.48/s).
 */
export function configuredBucket(
  provider: ProviderName,
  mode: 'test' | 'live',
  rates: ProviderRateSettings = {},
): BucketRate {
  const budget = registeredAdapter(provider)?.capabilities.rateBudget[mode];
  const ratePerSecond = configuredRateLimit(provider, mode, rates);
  if (!budget || budget.perMs <= 1000) return { ratePerSecond, burst: undefined };
  // A bucket of capacity b refilling r/s lets b + r·T requests into any window of T seconds: to
  // stay within N per window (Chargebee counts the past 60 s), it refills N − b per window
  // (150/min, burst 1 ⇒ 149/60 s). Measured: at a full 2.5/s the site saw 151 in a minute (a 429).
  const windowSeconds = budget.perMs / 1000;
  return {
    ratePerSecond: Math.max(
      (ratePerSecond * windowSeconds - budget.burst) / windowSeconds,
      1 / windowSeconds,
    ),
    burst: budget.burst,
  };
}

/**
 * The rate limits of a connection's provider calls (sync-runner, recovery). A workspace decides
 * nothing about the shared bucket: its key needs a verified account id (Stripe's account, the
 * Chargebee site: `chargebee:<site>:<mode>`, once a connection test confirmed it) and its rate
 * and burst are the server's; `settings.rateLimitPerSecond` can only slow the connection itself
 * down (issue 15).
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
  const { ratePerSecond, burst } = configuredBucket(connection.provider, connection.mode, rates);
  const account = connection.verifiedProviderAccountId ?? `connection:${connection.id}`;
  const requested = connection.settings.rateLimitPerSecond;
  return {
    key: `${connection.provider}:${account}:${connection.mode}`,
    ratePerSecond,
    ...(burst !== undefined && { burst }),
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
