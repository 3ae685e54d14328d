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
  // Stripe breadth (issue 19): provider-neutral where the concept is shared.
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

/** A refund of a payment (Stripe `re_`/`pyr_`; Chargebee refund transactions). */
export interface CanonicalRefund {
  /** The refunded payment: Stripe charge, Chargebee transaction. */
  readonly paymentTransactionExternalId: string | null;
  readonly paymentIntentExternalId: string | null;
  /** Minor units. */
  readonly amount: number | null;
  readonly currency: string | null;
  readonly status: string | null;
  readonly reason: string | null;
  readonly failureReason: string | null;
  readonly metadata: Metadata;
  readonly providerCreatedAt: Date | null;
}

/** A dispute (chargeback) of a payment. */
export interface CanonicalDispute {
  readonly paymentTransactionExternalId: string | null;
  readonly paymentIntentExternalId: string | null;
  readonly amount: number | null;
  readonly currency: string | null;
  readonly status: string | null;
  readonly reason: string | null;
  readonly evidenceDueBy: Date | null;
  readonly isChargeRefundable: boolean | null;
  readonly metadata: Metadata;
  readonly providerCreatedAt: Date | null;
}

/** A credit note against an invoice (Stripe `cn_`, Chargebee credit notes). */
export interface CanonicalCreditNote {
  readonly customerExternalId: string | null;
  readonly invoiceExternalId: string | null;
  readonly number: string | null;
  readonly status: string | null;
  /** Stripe `pre_payment`/`post_payment`; Chargebee `adjustment`/`refundable`. */
  readonly type: string | null;
  readonly reason: string | null;
  readonly currency: string | null;
  readonly subtotal: number | null;
  readonly total: number | null;
  readonly amountRefunded: number | null;
  readonly voidedAt: Date | null;
  readonly metadata: Metadata;
  readonly providerCreatedAt: Date | null;
}

export interface CanonicalCoupon {
  readonly name: string | null;
  /** Percent off (e.g. 25.5); null for an amount-off coupon. */
  readonly percentOff: number | null;
  readonly amountOff: number | null;
  readonly currency: string | null;
  /** `once` | `repeating` | `forever`. */
  readonly duration: string | null;
  readonly durationInMonths: number | null;
  readonly maxRedemptions: number | null;
  readonly timesRedeemed: number | null;
  readonly redeemBy: Date | null;
  readonly valid: boolean | null;
  readonly metadata: Metadata;
  readonly providerCreatedAt: Date | null;
}

export interface CanonicalPromotionCode {
  readonly couponExternalId: string | null;
  readonly code: string | null;
  readonly active: boolean | null;
  readonly customerExternalId: string | null;
  readonly maxRedemptions: number | null;
  readonly timesRedeemed: number | null;
  readonly expiresAt: Date | null;
  readonly metadata: Metadata;
  readonly providerCreatedAt: Date | null;
}

/** A coupon applied to a customer, subscription or invoice. */
export interface CanonicalDiscount {
  readonly couponExternalId: string | null;
  readonly promotionCodeExternalId: string | null;
  readonly customerExternalId: string | null;
  readonly subscriptionExternalId: string | null;
  readonly invoiceExternalId: string | null;
  readonly start: Date | null;
  readonly end: Date | null;
}

export interface CanonicalPaymentMethod {
  readonly customerExternalId: string | null;
  /** `card`, `sepa_debit`, `us_bank_account`, … */
  readonly type: string | null;
  readonly cardBrand: string | null;
  readonly cardLast4: string | null;
  readonly cardExpMonth: number | null;
  readonly cardExpYear: number | null;
  readonly billingEmail: string | null;
  readonly metadata: Metadata;
  readonly providerCreatedAt: Date | null;
}

/** One item of a subscription, as a row of its own (a price change on one item is queryable). */
export interface CanonicalSubscriptionItemRow {
  readonly subscriptionExternalId: string | null;
  readonly priceExternalId: string | null;
  readonly productExternalId: string | null;
  readonly quantity: number | null;
  readonly metadata: Metadata;
  readonly providerCreatedAt: Date | null;
}

export interface CanonicalSubscriptionSchedule {
  readonly customerExternalId: string | null;
  readonly subscriptionExternalId: string | null;
  readonly status: string | null;
  readonly endBehavior: string | null;
  readonly currentPhaseStart: Date | null;
  readonly currentPhaseEnd: Date | null;
  readonly canceledAt: Date | null;
  readonly completedAt: Date | null;
  readonly releasedAt: Date | null;
  readonly metadata: Metadata;
  readonly providerCreatedAt: Date | null;
}

/** One line of an invoice (Stripe `il_`, Chargebee invoice line items). */
export interface CanonicalInvoiceLineItem {
  readonly invoiceExternalId: string | null;
  readonly subscriptionExternalId: string | null;
  readonly priceExternalId: string | null;
  readonly productExternalId: string | null;
  readonly amount: number | null;
  readonly currency: string | null;
  readonly quantity: number | null;
  readonly description: string | null;
  readonly periodStart: Date | null;
  readonly periodEnd: Date | null;
  readonly proration: boolean | null;
  readonly metadata: Metadata;
}

export interface CanonicalTaxId {
  readonly customerExternalId: string | null;
  /** `eu_vat`, `us_ein`, … */
  readonly type: string | null;
  readonly value: string | null;
  readonly country: string | null;
  readonly verificationStatus: string | null;
  readonly providerCreatedAt: Date | null;
}

export interface CanonicalCheckoutSession {
  readonly customerExternalId: string | null;
  readonly subscriptionExternalId: string | null;
  readonly paymentIntentExternalId: string | null;
  readonly invoiceExternalId: string | null;
  /** `payment` | `subscription` | `setup`. */
  readonly mode: string | null;
  readonly status: string | null;
  readonly paymentStatus: string | null;
  readonly currency: string | null;
  readonly amountSubtotal: number | null;
  readonly amountTotal: number | null;
  readonly expiresAt: Date | null;
  readonly metadata: Metadata;
  readonly providerCreatedAt: Date | null;
}

export interface CanonicalPayout {
  readonly amount: number | null;
  readonly currency: string | null;
  readonly status: string | null;
  readonly arrivalDate: Date | null;
  /** `standard` | `instant`. */
  readonly method: string | null;
  /** `bank_account` | `card`. */
  readonly type: string | null;
  readonly balanceTransactionExternalId: string | null;
  readonly failureCode: string | null;
  readonly failureMessage: string | null;
  readonly metadata: Metadata;
  readonly providerCreatedAt: Date | null;
}

/** A movement of the account's balance (what a bank reconciliation matches payouts against). */
export interface CanonicalBalanceTransaction {
  readonly amount: number | null;
  readonly fee: number | null;
  readonly net: number | null;
  readonly currency: string | null;
  /** `charge`, `refund`, `payout`, `stripe_fee`, … */
  readonly type: string | null;
  readonly status: string | null;
  readonly reportingCategory: string | null;
  /** The object that caused it (charge, refund, payout, …). */
  readonly sourceExternalId: string | null;
  readonly availableOn: Date | null;
  readonly description: string | null;
  readonly providerCreatedAt: Date | null;
}

export interface CanonicalEarlyFraudWarning {
  readonly paymentTransactionExternalId: string | null;
  readonly paymentIntentExternalId: string | null;
  readonly fraudType: string | null;
  readonly actionable: boolean | null;
  readonly providerCreatedAt: Date | null;
}

export interface CanonicalReview {
  readonly paymentTransactionExternalId: string | null;
  readonly paymentIntentExternalId: string | null;
  readonly open: boolean | null;
  readonly reason: string | null;
  readonly openedReason: string | null;
  readonly closedReason: string | null;
  readonly providerCreatedAt: Date | null;
}

export interface CanonicalSetupIntent {
  readonly customerExternalId: string | null;
  readonly paymentMethodExternalId: string | null;
  readonly status: string | null;
  readonly usage: string | null;
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
  readonly refund: CanonicalRefund;
  readonly dispute: CanonicalDispute;
  readonly credit_note: CanonicalCreditNote;
  readonly coupon: CanonicalCoupon;
  readonly promotion_code: CanonicalPromotionCode;
  readonly discount: CanonicalDiscount;
  readonly payment_method: CanonicalPaymentMethod;
  readonly subscription_item: CanonicalSubscriptionItemRow;
  readonly subscription_schedule: CanonicalSubscriptionSchedule;
  readonly invoice_line_item: CanonicalInvoiceLineItem;
  readonly tax_id: CanonicalTaxId;
  readonly checkout_session: CanonicalCheckoutSession;
  readonly payout: CanonicalPayout;
  readonly balance_transaction: CanonicalBalanceTransaction;
  readonly early_fraud_warning: CanonicalEarlyFraudWarning;
  readonly review: CanonicalReview;
  readonly setup_intent: CanonicalSetupIntent;
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
    /**
     * The provider account the object belongs to (Stripe Connect: the connected account `acct_…`
     * of the event or of the `Stripe-Account` listing); absent/null for the connection's own account.
     */
    readonly accountId?: string | null | undefined;
    /** Provider event id this state came from (webhooks and replays). */
    readonly eventId?: string | undefined;
    readonly source: SyncSource;
  };
}[E];
