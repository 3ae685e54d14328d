import { envVar, positiveInt, url } from '@paysync/config';

import { baseUrlAllowlistSchema } from './base-url-allowlist.js';
import { CHARGEBEE_CAPABILITIES } from './chargebee/chargebee.provider.js';
import { STRIPE_CAPABILITIES } from './stripe/stripe.capabilities.js';

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
  allowedBaseUrls: envVar(
    'API_ALLOWED_PROVIDER_BASE_URLS',
    baseUrlAllowlistSchema(),
    'Origins a connection may set as settings.apiBaseUrl (a provider simulator or proxy; http://host:* allows any port of host, for local development and tests). The api refuses others when a connection is written; every service refuses to call a connection whose stored URL is not listed. Empty means the provider’s real API only',
  ),
  stripeRateLimitPerSecondTest: envVar(
    'STRIPE_RATE_LIMIT_PER_SECOND_TEST',
    positiveInt().default(STRIPE_CAPABILITIES.defaultRateLimitPerSecond.test),
    'Requests per second to one test-mode Stripe account, shared by every replica (Stripe allows 25; raise it for a simulator). A connection may ask for less (settings.rateLimitPerSecond), never more',
  ),
  stripeRateLimitPerSecondLive: envVar(
    'STRIPE_RATE_LIMIT_PER_SECOND_LIVE',
    positiveInt().default(STRIPE_CAPABILITIES.defaultRateLimitPerSecond.live),
    'Requests per second to one live-mode Stripe account, shared by every replica (Stripe allows 100 read requests). A connection may ask for less (settings.rateLimitPerSecond), never more',
  ),
  chargebeeRateLimitPerMinuteTest: envVar(
    'CHARGEBEE_RATE_LIMIT_PER_MINUTE_TEST',
    positiveInt().default(CHARGEBEE_CAPABILITIES.rateBudget.test.requests),
    'Requests per minute to one Chargebee test site, shared by every replica (Chargebee allows 150). Paced evenly with no burst (150/min ⇒ 149 per minute after the first, one request about every 403 ms): Chargebee counts the past 60 s. A connection may ask for less (settings.rateLimitPerSecond), never more',
  ),
  chargebeeRateLimitPerMinuteLive: envVar(
    'CHARGEBEE_RATE_LIMIT_PER_MINUTE_LIVE',
    positiveInt().default(CHARGEBEE_CAPABILITIES.rateBudget.live.requests),
    'Requests per minute to one Chargebee live site, shared by every replica (by plan: Starter 150, Performance 1,000, Enterprise 3,500; the default is the smallest). Paced evenly with no burst. A connection may ask for less (settings.rateLimitPerSecond), never more',
  ),
  webhookToleranceSeconds: envVar(
    'WEBHOOK_TOLERANCE_SECONDS',
    positiveInt().default(300),
    'Maximum age (and future skew) of a signed webhook timestamp',
  ),
};
