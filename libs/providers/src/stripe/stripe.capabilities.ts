import { STRIPE_EVENT_TYPES } from './stripe.webhook.js';

import type { ProviderCapabilities } from '../billing-provider.js';

export const STRIPE_CAPABILITIES: ProviderCapabilities = {
  entityTypes: ['customer', 'product', 'price', 'subscription', 'invoice', 'payment_transaction'],
  eventTypes: STRIPE_EVENT_TYPES,
  defaultRateLimitPerSecond: { test: 25, live: 100 },
};
