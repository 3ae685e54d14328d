/**
 * Provider-neutral domain types: what paysync stores, whatever the provider. Provider adapters map
 * their objects into these; the write path stores them; the read API serves them.
 */

export const PROVIDERS = ['stripe', 'chargebee'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** Synced entity types, in dependency order (what a backfill must fetch first comes first). */
export const ENTITY_TYPES = [
  'customer',
  'product',
  'price',
  'subscription',
  'invoice',
  'payment_transaction',
] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export const SYNC_SOURCES = ['webhook', 'backfill', 'reconcile', 'replay'] as const;
export type SyncSource = (typeof SYNC_SOURCES)[number];

/** Free-form provider metadata (string → string for Stripe and Chargebee). */
export type Metadata = Record<string, string>;

export interface CanonicalCustomer {
  readonly email: string | null;
  readonly name: string | null;
  readonly phone: string | null;
  readonly description: string | null;
  /** ISO 4217, lower case as providers send it. */
  readonly currency: string | null;
  /** Minor units. */
  readonly balance: number | null;
  readonly delinquent: boolean | null;
  readonly metadata: Metadata;
  readonly providerCreatedAt: Date | null;
}

export interface CanonicalProduct {
  readonly name: string | null;
  readonly description: string | null;
  readonly active: boolean | null;
  readonly metadata: Metadata;
  readonly providerCreatedAt: Date | null;
}

export interface CanonicalPrice {
  readonly productExternalId: string | null;
  readonly active: boolean | null;
  readonly currency: string | null;
  /** Minor units; null for tiered or custom prices. */
  readonly unitAmount: number | null;
  /** `one_time` | `recurring`. */
  readonly type: string | null;
  readonly recurringInterval: string | null;
  readonly recurringIntervalCount: number | null;
  readonly nickname: string | null;
  readonly lookupKey: string | null;
  readonly metadata: Metadata;
  readonly providerCreatedAt: Date | null;
}

export interface CanonicalSubscriptionItem {
  readonly externalId: string | null;
  readonly priceExternalId: string | null;
  readonly productExternalId: string | null;
  readonly quantity: number | null;
}

export interface CanonicalSubscription {
  readonly customerExternalId: string | null;
  readonly status: string | null;
  readonly items: readonly CanonicalSubscriptionItem[];
  readonly currency: string | null;
  readonly currentPeriodStart: Date | null;
  readonly currentPeriodEnd: Date | null;
  readonly cancelAtPeriodEnd: boolean | null;
  readonly canceledAt: Date | null;
  readonly endedAt: Date | null;
  readonly trialStart: Date | null;
  readonly trialEnd: Date | null;
  readonly metadata: Metadata;
  readonly providerCreatedAt: Date | null;
}

export interface CanonicalInvoice {
  readonly customerExternalId: string | null;
  readonly subscriptionExternalId: string | null;
  readonly status: string | null;
  readonly number: string | null;
  readonly currency: string | null;
  readonly amountDue: number | null;
  readonly amountPaid: number | null;
  readonly amountRemaining: number | null;
  readonly subtotal: number | null;
  readonly total: number | null;
  readonly dueDate: Date | null;
  readonly paidAt: Date | null;
  readonly periodStart: Date | null;
  readonly periodEnd: Date | null;
  readonly hostedInvoiceUrl: string | null;
  readonly metadata: Metadata;
  readonly providerCreatedAt: Date | null;
}

export interface CanonicalPaymentTransaction {
  /** `payment_intent` | `charge` (Stripe), `transaction` (Chargebee). */
  readonly kind: string;
  readonly status: string | null;
  readonly amount: number | null;
  readonly amountRefunded: number | null;
  readonly currency: string | null;
  readonly customerExternalId: string | null;
  readonly invoiceExternalId: string | null;
  readonly paymentMethodType: string | null;
  readonly failureCode: string | null;
  readonly failureMessage: string | null;
  readonly metadata: Metadata;
  readonly providerCreatedAt: Date | null;
}

export interface EntityDataMap {
  readonly customer: CanonicalCustomer;
  readonly product: CanonicalProduct;
  readonly price: CanonicalPrice;
  readonly subscription: CanonicalSubscription;
  readonly invoice: CanonicalInvoice;
  readonly payment_transaction: CanonicalPaymentTransaction;
}

/**
 * One observed state of one provider object, normalised. `version` orders states of the same
 * object: milliseconds since the epoch of the provider's clock (Stripe object `updated` or event
 * `created` ×1000, a list page's `Date` header; Chargebee `resource_version`). `deleted` makes the
 * change a tombstone; `data` may then be null when only the id is known.
 */
export type CanonicalChange<E extends EntityType = EntityType> = {
  [K in E]: {
    readonly workspaceId: string;
    readonly provider: ProviderName;
    readonly entityType: K;
    readonly externalId: string;
    readonly version: number;
    readonly deleted: boolean;
    readonly data: EntityDataMap[K] | null;
    /** The provider object as received. */
    readonly raw: unknown;
    readonly livemode: boolean;
    /** Provider event id this state came from (webhooks and replays). */
    readonly eventId?: string | undefined;
    readonly source: SyncSource;
  };
}[E];
