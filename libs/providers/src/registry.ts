import { PROVIDERS, type ProviderName } from '@paysync/contracts';
import { ValidationError } from '@paysync/errors';

import { chargebeeAdapter } from './chargebee/chargebee.adapter.js';
import { stripeAdapter } from './stripe/stripe.adapter.js';

import type { ProviderAdapter } from './provider-adapter.js';

/**
 * THE provider registry (issue 17): every provider paysync knows, by name. This is the only place
 * in paysync that maps a provider name to vendor code; services, the catalog, webhook
 * verification and client construction all go through {@link providerAdapter}. Adding a provider
 * means an adapter here (plus the simulator, migrations and tests), nothing in the services
 * (`registry.spec.ts` checks that services name no provider).
 */
export const providerAdapters: Readonly<Record<ProviderName, ProviderAdapter>> = {
  stripe: stripeAdapter,
  chargebee: chargebeeAdapter,
};

/**
 * The adapter of an offered provider (see {@link ProviderAdapter.supported}); a ValidationError
 * (`VALIDATION_FAILED`) for one that is registered but not offered yet, or unknown. Services go
 * through this, so a provider is switched on for all of them by its adapter's `supported`.
 */
export function providerAdapter(provider: ProviderName): ProviderAdapter {
  const adapter = registeredAdapter(provider);
  if (!adapter?.supported) {
    throw new ValidationError(`Provider ${String(provider)} is not supported yet`, [
      { path: 'provider', message: 'not supported' },
    ]);
  }
  return adapter;
}

/** The registered adapter of `provider`, offered or not; undefined for an unknown name. */
export function registeredAdapter(provider: string): ProviderAdapter | undefined {
  return (providerAdapters as Partial<Record<string, ProviderAdapter>>)[provider];
}

/** Every registered adapter, in the order of PROVIDERS. */
export function registeredProviders(): readonly ProviderAdapter[] {
  return PROVIDERS.map((name) => providerAdapters[name]);
}

/** The providers offered to workspaces (see {@link ProviderAdapter.supported}). */
export function supportedProviders(): readonly ProviderName[] {
  return registeredProviders()
    .filter((a) => a.supported)
    .map((a) => a.name);
}
