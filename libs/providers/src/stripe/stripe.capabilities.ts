import { ENTITY_TYPES, type EntityType } from '@paysync/contracts';

import { STRIPE_SYNCED_EVENT_TYPES } from './stripe.webhook.js';

import type { ProviderCapabilities } from '../billing-provider.js';

/** Known only through their parents' lists: no retrieve endpoint of their own. */
const NOT_RETRIEVABLE: readonly EntityType[] = ['invoice_line_item', 'discount'];
/** Listed through their parents (nested lists or per-parent lists), which take no `created`. */
const LISTED_THROUGH_PARENTS: readonly EntityType[] = [
  'subscription_item',
  'invoice_line_item',
  'tax_id',
  'discount',
  'payment_method',
];

export const STRIPE_CAPABILITIES: ProviderCapabilities = {
  // Every entity type (docs/providers/stripe-objects.md: how each is listed, retrieved and which
  // events carry it).
  entityTypes: ENTITY_TYPES,
  eventTypes: STRIPE_SYNCED_EVENT_TYPES,
  defaultRateLimitPerSecond: { test: 25, live: 100 },
  rateBudget: {
    test: { requests: 25, perMs: 1000, burst: 3 },
    live: { requests: 100, perMs: 1000, burst: 3 },
  },
  // Invoice lines and discounts have no retrieve endpoint (stripeRetrievable).
  retrievableEntityTypes: ENTITY_TYPES.filter((t) => !NOT_RETRIEVABLE.includes(t)),
  // Types listed from their own top-level lists, which take `created`; the others are listed
  // through their parents, whole.
  segmentableEntityTypes: ENTITY_TYPES.filter((t) => !LISTED_THROUGH_PARENTS.includes(t)),
  // 2011-01-01: Stripe's first day.
  oldestObjectSeconds: 1_293_840_000,
  listOrder: 'newest_created_first',
  eventsOrder: 'newest_first',
  webhookSetup: 'api',
  webhookSecretKind: 'signing_secret',
  // Stripe retries a failed delivery for up to three days.
  webhookRetryWindowMs: 3 * 24 * 3_600_000,
  objectIdsGloballyUnique: true,
};
