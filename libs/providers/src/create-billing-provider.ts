import type { ProviderName } from '@paysync/contracts';
import { ValidationError } from '@paysync/errors';

import { StripeProvider } from './stripe/stripe.provider.js';

import type { BillingProvider } from './billing-provider.js';
import type { RateLimiter } from './http/token-bucket.js';

export interface BillingProviderOptions {
  readonly provider: ProviderName;
  readonly apiKey: string;
  /** A connection's `settings.apiBaseUrl`: the simulator, a proxy. */
  readonly apiBaseUrl?: string | undefined;
  readonly rateLimitPerSecond?: number | undefined;
  readonly rateLimiter?: RateLimiter | undefined;
  readonly maxAttempts?: number | undefined;
  /** Per-request timeout (default 30 s). */
  readonly timeoutMs?: number | undefined;
  readonly webhookToleranceSeconds?: number | undefined;
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
