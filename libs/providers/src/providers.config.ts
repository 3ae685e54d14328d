import { envVar, positiveInt, url } from '@paysync/config';

/** Provider-call settings a service may tune (per-connection values live on the connection). */
export const providerConfigSchema = {
  stripeMaxAttempts: envVar(
    'STRIPE_MAX_ATTEMPTS',
    positiveInt().default(8),
    'Attempts per Stripe request on 429/5xx/network errors before the call fails',
  ),
  stripeApiBaseUrl: envVar(
    'STRIPE_API_BASE_URL',
    url(['http', 'https']).optional(),
    'Stripe API base URL for connections without settings.apiBaseUrl (an egress proxy; default https://api.stripe.com)',
  ),
  webhookToleranceSeconds: envVar(
    'WEBHOOK_TOLERANCE_SECONDS',
    positiveInt().default(300),
    'Maximum age (and future skew) of a signed webhook timestamp',
  ),
};
