/**
 * The Stripe object types of issue 19 (refunds, disputes, credit notes, coupons, …): how seeded
 * ones look, which are children listed through a parent, which list filters each accepts and which
 * events their changes emit. Shapes follow Stripe's API reference and its fixtures
 * (`fixtures3.json`) for API version 2026-10-28.
 */
import type { CollectionName, SimObject } from './store.js';

/** The new collections (everything after `charges` in COLLECTIONS). */
export type BreadthCollection = Exclude<
  CollectionName,
  'customers' | 'products' | 'prices' | 'subscriptions' | 'invoices' | 'payment_intents' | 'charges'
>;

/**
 * A collection whose objects belong to a parent: seeded child j belongs to seeded parent
 * j mod (seeded parents), and is listed through the parent (`/v1/invoices/{id}/lines`, …).
 */
export interface ChildSpec {
  readonly parent: CollectionName;
  /** The field holding the parent id. */
  readonly field: string;
}

export const CHILDREN: Partial<Record<CollectionName, ChildSpec>> = {
  subscription_items: { parent: 'subscriptions', field: 'subscription' },
  invoice_line_items: { parent: 'invoices', field: 'invoice' },
  tax_ids: { parent: 'customers', field: 'customer' },
  payment_methods: { parent: 'customers', field: 'customer' },
  discounts: { parent: 'customers', field: 'customer' },
};

/** List query parameters that filter on a field (Stripe's, per the OpenAPI spec), by collection. */
export const LIST_FILTERS: Partial<Record<CollectionName, Readonly<Record<string, string>>>> = {
  refunds: { charge: 'charge', payment_intent: 'payment_intent' },
  disputes: { charge: 'charge', payment_intent: 'payment_intent' },
  credit_notes: { customer: 'customer', invoice: 'invoice' },
  promotion_codes: {
    active: 'active',
    code: 'code',
    coupon: 'promotion.coupon',
    customer: 'customer',
  },
  payment_methods: { customer: 'customer', type: 'type' },
  subscription_items: { subscription: 'subscription' },
  subscription_schedules: { customer: 'customer' },
  checkout_sessions: {
    customer: 'customer',
    payment_intent: 'payment_intent',
    status: 'status',
    subscription: 'subscription',
  },
  payouts: { status: 'status' },
  balance_transactions: { currency: 'currency', source: 'source', type: 'type' },
  early_fraud_warnings: { charge: 'charge', payment_intent: 'payment_intent' },
  setup_intents: { customer: 'customer', payment_method: 'payment_method' },
};

/**
 * Event types a change emits; `null` = Stripe sends none (checkout sessions are only `completed`
 * / `expired`, balance transactions have no events). Children without events of their own
 * (subscription items, invoice lines) emit their parent's `.updated` instead.
 */
export const CHANGE_EVENTS: Partial<
  Record<CollectionName, { created: string | null; updated: string | null; deleted: string | null }>
> = {
  refunds: { created: 'refund.created', updated: 'refund.updated', deleted: null },
  disputes: {
    created: 'charge.dispute.created',
    updated: 'charge.dispute.updated',
    deleted: null,
  },
  credit_notes: { created: 'credit_note.created', updated: 'credit_note.updated', deleted: null },
  coupons: { created: 'coupon.created', updated: 'coupon.updated', deleted: 'coupon.deleted' },
  promotion_codes: {
    created: 'promotion_code.created',
    updated: 'promotion_code.updated',
    deleted: null,
  },
  discounts: {
    created: 'customer.discount.created',
    updated: 'customer.discount.updated',
    deleted: 'customer.discount.deleted',
  },
  payment_methods: {
    created: 'payment_method.attached',
    updated: 'payment_method.updated',
    deleted: 'payment_method.detached',
  },
  subscription_schedules: {
    created: 'subscription_schedule.created',
    updated: 'subscription_schedule.updated',
    deleted: null,
  },
  tax_ids: {
    created: 'customer.tax_id.created',
    updated: 'customer.tax_id.updated',
    deleted: 'customer.tax_id.deleted',
  },
  checkout_sessions: { created: null, updated: null, deleted: null },
  payouts: { created: 'payout.created', updated: 'payout.updated', deleted: null },
  balance_transactions: { created: null, updated: null, deleted: null },
  early_fraud_warnings: {
    created: 'radar.early_fraud_warning.created',
    updated: 'radar.early_fraud_warning.updated',
    deleted: null,
  },
  reviews: { created: 'review.opened', updated: null, deleted: null },
  setup_intents: { created: 'setup_intent.created', updated: null, deleted: null },
};

/** Collections Stripe lets you DELETE over the API. */
export const DELETABLE: ReadonlySet<CollectionName> = new Set([
  'customers',
  'products',
  'prices',
  'subscriptions',
  'invoices',
  'payment_intents',
  'charges',
  'coupons',
  'discounts',
  'tax_ids',
  'subscription_items',
]);

/** What a seeded generator needs from the simulator. */
export interface SeedContext {
  /** The id of object i of a collection (this account's ids). */
  id(collection: CollectionName, i: number): string;
  /** `created` of seeded index i. */
  at(collection: CollectionName, i: number): number;
  /** The id of seeded object i mod (seeded count), or null when none are seeded. */
  pick(collection: CollectionName, i: number): string | null;
  /** Seeded counts. */
  readonly counts: Readonly<Record<CollectionName, number>>;
}

const DAY = 86_400;

/** Generators of seeded objects of the new collections. */
export function breadthGenerators(
  ctx: SeedContext,
): Record<BreadthCollection, (i: number) => SimObject> {
  const { at, pick, counts, id: simId } = ctx;
  /** The seeded parent of child i (j mod parents). */
  const parentIndex = (parent: CollectionName, i: number) =>
    counts[parent] > 0 ? i % counts[parent] : -1;
  const customerOfInvoice = (i: number) => {
    const inv = parentIndex('invoices', i);
    return inv < 0 ? null : pick('customers', inv);
  };
  return {
    refunds: (i) => ({
      id: simId('refunds', i),
      object: 'refund',
      amount: 100 + (i % 20) * 50,
      balance_transaction: null,
      charge: pick('charges', i),
      created: at('refunds', i),
      currency: 'usd',
      failure_reason: null,
      metadata: {},
      payment_intent: null,
      reason: i % 2 === 0 ? 'requested_by_customer' : null,
      receipt_number: null,
      status: 'succeeded',
    }),
    disputes: (i) => ({
      id: simId('disputes', i),
      object: 'dispute',
      amount: 2000 + i,
      balance_transactions: [],
      charge: pick('charges', i),
      created: at('disputes', i),
      currency: 'usd',
      evidence_details: {
        due_by: at('disputes', i) + 14 * DAY,
        has_evidence: false,
        past_due: false,
        submission_count: 0,
      },
      is_charge_refundable: true,
      livemode: false,
      metadata: {},
      payment_intent: null,
      reason: ['fraudulent', 'product_not_received', 'duplicate'][i % 3],
      status: 'needs_response',
    }),
    credit_notes: (i) => ({
      id: simId('credit_notes', i),
      object: 'credit_note',
      amount: 500 + i,
      amount_shipping: 0,
      created: at('credit_notes', i),
      currency: 'usd',
      customer: customerOfInvoice(i),
      effective_at: at('credit_notes', i),
      invoice: pick('invoices', i),
      livemode: false,
      memo: null,
      metadata: {},
      number: `SIM-CN-${i}`,
      out_of_band_amount: null,
      pdf: null,
      reason: i % 2 === 0 ? 'order_change' : null,
      refunds: [],
      status: 'issued',
      subtotal: 500 + i,
      total: 500 + i,
      type: i % 2 === 0 ? 'post_payment' : 'pre_payment',
      voided_at: null,
    }),
    coupons: (i) => ({
      id: simId('coupons', i),
      object: 'coupon',
      amount_off: i % 2 === 0 ? null : 500,
      created: at('coupons', i),
      currency: i % 2 === 0 ? null : 'usd',
      duration: ['forever', 'once', 'repeating'][i % 3],
      duration_in_months: i % 3 === 2 ? 3 : null,
      livemode: false,
      max_redemptions: null,
      metadata: {},
      name: i % 2 === 0 ? `${10 + (i % 5) * 2.5}% off` : '$5 off',
      percent_off: i % 2 === 0 ? 10 + (i % 5) * 2.5 : null,
      redeem_by: null,
      times_redeemed: 0,
      valid: true,
    }),
    promotion_codes: (i) => ({
      id: simId('promotion_codes', i),
      object: 'promotion_code',
      active: true,
      code: `SIM${i}`,
      created: at('promotion_codes', i),
      customer: null,
      expires_at: null,
      livemode: false,
      max_redemptions: null,
      metadata: {},
      promotion: { coupon: pick('coupons', i), type: 'coupon' },
      restrictions: {
        first_time_transaction: false,
        minimum_amount: null,
        minimum_amount_currency: null,
      },
      times_redeemed: 0,
    }),
    discounts: (i) => ({
      id: simId('discounts', i),
      object: 'discount',
      checkout_session: null,
      customer: pick('customers', i),
      end: null,
      invoice: null,
      invoice_item: null,
      promotion_code: null,
      source: { coupon: pick('coupons', i), type: 'coupon' },
      start: at('discounts', i),
      subscription: null,
      subscription_item: null,
    }),
    payment_methods: (i) => ({
      id: simId('payment_methods', i),
      object: 'payment_method',
      allow_redisplay: 'unspecified',
      billing_details: {
        address: null,
        email: `customer${parentIndex('customers', i)}@example.com`,
        name: null,
        phone: null,
      },
      card: {
        brand: ['visa', 'mastercard', 'amex'][i % 3],
        country: 'US',
        exp_month: 1 + (i % 12),
        exp_year: 2030 + (i % 5),
        funding: 'credit',
        last4: String(4242 + (i % 5000))
          .padStart(4, '0')
          .slice(-4),
      },
      created: at('payment_methods', i),
      customer: pick('customers', i),
      livemode: false,
      metadata: {},
      type: 'card',
    }),
    subscription_items: (i) => {
      const sub = parentIndex('subscriptions', i);
      const start = at('subscriptions', Math.max(sub, 0));
      // The first item of each subscription is what subscriptions embedded before issue 19.
      return {
        id: simId('subscription_items', i),
        object: 'subscription_item',
        current_period_end: start + 30 * DAY,
        current_period_start: start,
        price: { id: pick('prices', i), object: 'price', product: pick('products', i) },
        quantity: 1 + (i % 3),
        subscription: pick('subscriptions', i),
        created: at('subscription_items', i),
        metadata: {},
      };
    },
    subscription_schedules: (i) => ({
      id: simId('subscription_schedules', i),
      object: 'subscription_schedule',
      canceled_at: null,
      completed_at: null,
      created: at('subscription_schedules', i),
      current_phase: {
        end_date: at('subscription_schedules', i) + 30 * DAY,
        start_date: at('subscription_schedules', i),
      },
      customer: pick('customers', i),
      end_behavior: 'release',
      livemode: false,
      metadata: {},
      phases: [],
      released_at: null,
      released_subscription: null,
      status: 'active',
      subscription: pick('subscriptions', i),
    }),
    invoice_line_items: (i) => {
      const inv = Math.max(parentIndex('invoices', i), 0);
      return {
        id: simId('invoice_line_items', i),
        object: 'line_item',
        amount: 1000 + (i % 50) * 10,
        currency: 'usd',
        description: `Line ${i}`,
        discount_amounts: [],
        discountable: true,
        discounts: [],
        invoice: pick('invoices', i),
        livemode: false,
        metadata: {},
        parent: {
          type: 'subscription_item_details',
          subscription_item_details: {
            invoice_item: null,
            proration: i % 5 === 4,
            subscription: pick('subscriptions', inv),
            subscription_item: pick('subscription_items', inv),
          },
        },
        period: { end: at('invoice_line_items', i), start: at('invoice_line_items', i) - 30 * DAY },
        pricing: {
          price_details: { price: pick('prices', i), product: pick('products', i) },
          type: 'price_details',
          unit_amount_decimal: String(1000 + (i % 50) * 10),
        },
        quantity: 1,
        subscription: pick('subscriptions', inv),
      };
    },
    tax_ids: (i) => ({
      id: simId('tax_ids', i),
      object: 'tax_id',
      country: 'DE',
      created: at('tax_ids', i),
      customer: pick('customers', i),
      livemode: false,
      owner: { customer: pick('customers', i), type: 'customer' },
      type: 'eu_vat',
      value: `DE${String(100_000_000 + i)}`,
      verification: { status: 'verified', verified_address: null, verified_name: null },
    }),
    checkout_sessions: (i) => ({
      id: simId('checkout_sessions', i),
      object: 'checkout.session',
      amount_subtotal: 2000 + i,
      amount_total: 2000 + i,
      created: at('checkout_sessions', i),
      currency: 'usd',
      customer: pick('customers', i),
      expires_at: at('checkout_sessions', i) + DAY,
      invoice: null,
      livemode: false,
      metadata: {},
      mode: 'payment',
      payment_intent: pick('payment_intents', i),
      payment_status: 'paid',
      status: 'complete',
      subscription: null,
      success_url: 'https://example.com/success',
      url: null,
    }),
    payouts: (i) => ({
      id: simId('payouts', i),
      object: 'payout',
      amount: 10_000 + i,
      arrival_date: at('payouts', i) + 2 * DAY,
      automatic: true,
      balance_transaction: null,
      created: at('payouts', i),
      currency: 'usd',
      description: 'STRIPE PAYOUT',
      destination: 'ba_sim0000000001',
      failure_balance_transaction: null,
      failure_code: null,
      failure_message: null,
      livemode: false,
      metadata: {},
      method: 'standard',
      reconciliation_status: 'completed',
      source_type: 'card',
      statement_descriptor: null,
      status: 'paid',
      type: 'bank_account',
    }),
    balance_transactions: (i) => {
      // Seeded balance transactions come from charges, refunds and payouts in turn.
      const kinds = (['charges', 'refunds', 'payouts'] as const).filter((c) => counts[c] > 0);
      const kind = kinds[i % Math.max(kinds.length, 1)];
      const source = kind ? pick(kind, i) : null;
      const type = kind === 'refunds' ? 'refund' : kind === 'payouts' ? 'payout' : 'charge';
      const amount = type === 'charge' ? 2000 + i : -(100 + i);
      const fee = type === 'charge' ? 59 + Math.floor(amount * 0.029) : 0;
      return {
        id: simId('balance_transactions', i),
        object: 'balance_transaction',
        amount,
        available_on: at('balance_transactions', i) + 2 * DAY,
        created: at('balance_transactions', i),
        currency: 'usd',
        description: null,
        exchange_rate: null,
        fee,
        fee_details: [],
        net: amount - fee,
        reporting_category: type === 'charge' ? 'charge' : type,
        source,
        status: 'available',
        type,
      };
    },
    early_fraud_warnings: (i) => ({
      id: simId('early_fraud_warnings', i),
      object: 'radar.early_fraud_warning',
      actionable: true,
      charge: pick('charges', i),
      created: at('early_fraud_warnings', i),
      fraud_type: ['misc', 'card_never_received', 'unauthorized_use_of_card'][i % 3],
      livemode: false,
      payment_intent: null,
    }),
    reviews: (i) => ({
      id: simId('reviews', i),
      object: 'review',
      billing_zip: null,
      charge: pick('charges', i),
      closed_reason: null,
      created: at('reviews', i),
      ip_address: null,
      livemode: false,
      open: true,
      opened_reason: 'rule',
      payment_intent: null,
      reason: 'rule',
    }),
    setup_intents: (i) => ({
      id: simId('setup_intents', i),
      object: 'setup_intent',
      cancellation_reason: null,
      created: at('setup_intents', i),
      customer: pick('customers', i),
      description: null,
      last_setup_error: null,
      livemode: false,
      metadata: {},
      payment_method: pick('payment_methods', i),
      payment_method_types: ['card'],
      status: 'succeeded',
      usage: 'off_session',
    }),
  };
}

/** Reads a dotted path (`promotion.coupon`). */
export function fieldAt(object: SimObject, path: string): unknown {
  let node: unknown = object;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as SimObject)[key];
  }
  return node;
}
