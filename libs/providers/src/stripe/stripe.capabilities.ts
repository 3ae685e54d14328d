import { STRIPE_EVENT_TYPES } from './stripe.webhook.js';

import type { ProviderCapabilities } from '../billing-provider.js';

export const STRIPE_CAPABILITIES: ProviderCapabilities = {
  entityTypes: ['customer', 'product', 'price', 'subscription', 'invoice', 'payment_transaction'],
  eventTypes: STRIPE_EVENT_TYPES,
  defaultRateLimitPerSecond: { test: 25, live: 100 },
  rateBudget: {
    test: { requests: 25, perMs: 1000, burst: 3 },
    live: { requests: 100, perMs: 1000, burst: 3 },
  },
  segmentableEntityTypes: [
    'customer',
    'product',
    'price',
    'subscription',
    'invoice',
    'payment_transaction',
  ],
  // 2011-01-01: Stripe's first day.
  oldestObjectSeconds: 1_293_840_000,
  listOrder: 'newest_created_first',
  eventsOrder: 'newest_first',
  webhookSetup: 'api',
  webhookSecretKind: 'signing_secret',
  // Stripe retries a failed delivery for up to three days.
  webhookRetryWindowMs: 3 * 24 * 3_600_000,
};
