import type { ProviderName } from '@paysync/contracts';
import { ValidationError } from '@paysync/errors';

import { StripeProvider } from './stripe/stripe.provider.js';

import type { BillingProvider, ProviderClientOptions } from './billing-provider.js';
import type { RateLimiter } from './http/token-bucket.js';

export interface BillingProviderOptions extends ProviderClientOptions {
  readonly provider: ProviderName;
}

/** The only switch on provider name (STYLE R34). */
export function createBillingProvider(options: BillingProviderOptions): BillingProvider {
  switch (options.provider) {
    case 'stripe':
      return new StripeProvider(options);
    case 'chargebee':
      throw new ValidationError('Chargebee is not supported yet', [
        { path: 'provider', message: 'not yet supported' },
      ]);
  }
}

/**
 * The provider client for a stored connection: its API key, its `settings.apiBaseUrl` (the
 * simulator, a proxy) or else the service-wide base URL (`STRIPE_API_BASE_URL`), and the caller's
 * limiter and retry budget. Every service builds connection clients through this one function.
 */
export function createConnectionProvider(
  connection: {
    readonly provider: ProviderName;
    readonly apiKey: string;
    readonly settings: Readonly<Record<string, unknown>>;
  },
  options: Omit<BillingProviderOptions, 'provider' | 'apiKey' | 'apiBaseUrl'> & {
    readonly defaultApiBaseUrl?: string | undefined;
  } = {},
): BillingProvider {
  const { defaultApiBaseUrl, ...rest } = options;
  const configured = connection.settings.apiBaseUrl;
  return createBillingProvider({
    ...rest,
    provider: connection.provider,
    apiKey: connection.apiKey,
    apiBaseUrl:
      typeof configured === 'string' && configured.length > 0 ? configured : defaultApiBaseUrl,
  });
}

/** A connection as {@link createConnectionProvider} needs it (a `DecryptedConnection` is one). */
export type ProviderConnection = Parameters<typeof createConnectionProvider>[0];

/** Builds the client for one connection, with an optional (shared) rate limiter. */
export type ProviderFactory = (
  connection: ProviderConnection,
  rateLimiter?: RateLimiter,
) => BillingProvider;

/** A service's provider-call settings (`config.provider`, plus its own budgets). */
export interface ProviderFactorySettings {
  readonly stripeApiBaseUrl?: string | undefined;
  readonly stripeMaxAttempts: number;
  readonly webhookToleranceSeconds?: number | undefined;
  readonly timeoutMs?: number | undefined;
}

/** The service-wide {@link ProviderFactory}: every connection client gets the same budgets. */
export function createProviderFactory(settings: ProviderFactorySettings): ProviderFactory {
  return (connection, rateLimiter) =>
    createConnectionProvider(connection, {
      defaultApiBaseUrl: settings.stripeApiBaseUrl,
      maxAttempts: settings.stripeMaxAttempts,
      timeoutMs: settings.timeoutMs,
      webhookToleranceSeconds: settings.webhookToleranceSeconds,
      rateLimiter,
    });
}
