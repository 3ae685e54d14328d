import type { ProviderName } from '@paysync/contracts';
import { ValidationError } from '@paysync/errors';

import { BaseUrlAllowlist, describeBaseUrl } from './base-url-allowlist.js';
import { providerAdapter, registeredAdapter } from './registry.js';

import type { BillingProvider, ProviderClientOptions } from './billing-provider.js';
import type { ProviderRateSettings } from './catalog.js';
import type { ProviderServiceSettings } from './provider-adapter.js';
import type { RateLimiter } from './http/token-bucket.js';

export interface BillingProviderOptions extends ProviderClientOptions {
  readonly provider: ProviderName;
}

/** A client for `options.provider`, built by its adapter in the registry (STYLE R34). */
export function createBillingProvider(options: BillingProviderOptions): BillingProvider {
  const { provider, ...clientOptions } = options;
  return providerAdapter(provider).createClient(clientOptions);
}

/**
 * The provider client for a stored connection: its API key, its `settings.apiBaseUrl` (the
 * simulator, a proxy) or else the service-wide base URL (`STRIPE_API_BASE_URL`), and the caller's
 * limiter and retry budget. Every service builds connection clients through this one function.
 *
 * A stored `settings.apiBaseUrl` must be on `allowedBaseUrls` (API_ALLOWED_PROVIDER_BASE_URLS) here
 * too, not only when the api wrote it: a row written before the list changed, or by SQL, is
 * refused with PROVIDER_BASE_URL_NOT_ALLOWED and the connection's key is never sent there.
 */
export function createConnectionProvider(
  connection: {
    readonly id?: string;
    readonly provider: ProviderName;
    readonly apiKey: string;
    /** The connection's mode (providers whose keys do not say it read it). */
    readonly mode?: 'test' | 'live' | undefined;
    readonly settings: Readonly<Record<string, unknown>>;
    /** Stripe Connect: the connected account the client acts for (absent: the connection's own). */
    readonly accountId?: string | null | undefined;
  },
  options: Omit<
    BillingProviderOptions,
    'provider' | 'apiKey' | 'apiBaseUrl' | 'mode' | 'settings' | 'accountId'
  > & {
    readonly defaultApiBaseUrl?: string | undefined;
    readonly allowedBaseUrls: BaseUrlAllowlist | readonly string[];
  },
): BillingProvider {
  const { defaultApiBaseUrl, allowedBaseUrls, ...rest } = options;
  const configured = connection.settings.apiBaseUrl;
  if (typeof configured === 'string' && configured.length > 0) {
    const allowlist =
      allowedBaseUrls instanceof BaseUrlAllowlist
        ? allowedBaseUrls
        : new BaseUrlAllowlist(allowedBaseUrls);
    if (!allowlist.allows(configured)) {
      const which = connection.id ? `Connection ${connection.id}` : 'The connection';
      throw new ValidationError(
        `${which} has settings.apiBaseUrl ${describeBaseUrl(configured)}, which is not in API_ALLOWED_PROVIDER_BASE_URLS of this service: it is not called (list the origin, or change the connection's apiBaseUrl)`,
        [
          {
            path: 'settings.apiBaseUrl',
            message: 'is not an allowed provider base URL (API_ALLOWED_PROVIDER_BASE_URLS)',
          },
        ],
        'PROVIDER_BASE_URL_NOT_ALLOWED',
      );
    }
  }
  return createBillingProvider({
    ...rest,
    provider: connection.provider,
    apiKey: connection.apiKey,
    mode: connection.mode,
    settings: connection.settings,
    ...(connection.accountId && { accountId: connection.accountId }),
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
export interface ProviderFactorySettings extends ProviderRateSettings, ProviderServiceSettings {
  /** API_ALLOWED_PROVIDER_BASE_URLS: what a connection's `settings.apiBaseUrl` may name. */
  readonly allowedBaseUrls: readonly string[];
  readonly stripeMaxAttempts: number;
  /** Attempts per request for every provider, instead of the configured ones (a tighter budget). */
  readonly maxAttempts?: number | undefined;
  readonly webhookToleranceSeconds?: number | undefined;
  readonly timeoutMs?: number | undefined;
}

/** The service-wide {@link ProviderFactory}: every connection client gets the same budgets. */
export function createProviderFactory(settings: ProviderFactorySettings): ProviderFactory {
  const allowedBaseUrls = new BaseUrlAllowlist(settings.allowedBaseUrls);
  return (connection, rateLimiter) =>
    createConnectionProvider(connection, {
      // Each provider's own service-wide base URL (STRIPE_API_BASE_URL is Stripe's only).
      defaultApiBaseUrl: registeredAdapter(connection.provider)?.configuredApiBaseUrl(settings),
      allowedBaseUrls,
      maxAttempts: settings.maxAttempts ?? settings.stripeMaxAttempts,
      timeoutMs: settings.timeoutMs,
      webhookToleranceSeconds: settings.webhookToleranceSeconds,
      rateLimiter,
    });
}
