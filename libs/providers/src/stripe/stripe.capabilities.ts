import { STRIPE_SYNCED_EVENT_TYPES } from './stripe.webhook.js';

import type { ProviderCapabilities } from '../billing-provider.js';

export const STRIPE_CAPABILITIES: ProviderCapabilities = {
  // docs/providers/stripe-objects.md: how each is listed, retrieved and which events carry it.
  entityTypes: [
    'customer',
    'product',
    'price',
    'subscription',
    'invoice',
    'payment_transaction',
    'refund',
    'dispute',
    'credit_note',
    'coupon',
    'promotion_code',
    'discount',
    'payment_method',
    'subscription_item',
    'subscription_schedule',
    'invoice_line_item',
    'tax_id',
    'checkout_session',
    'payout',
    'balance_transaction',
    'early_fraud_warning',
    'review',
    'setup_intent',
  ],
  eventTypes: STRIPE_SYNCED_EVENT_TYPES,
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
    // Listed from their own top-level lists, which take `created`; subscription items, invoice
    // lines, tax ids, discounts and payment methods are listed through parents, whole.
    'refund',
    'dispute',
    'credit_note',
    'coupon',
    'promotion_code',
    'subscription_schedule',
    'checkout_session',
    'payout',
    'balance_transaction',
    'early_fraud_warning',
    'review',
    'setup_intent',
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
