import type { CanonicalChange } from '@paysync/contracts';

import { aStripeEvent, stripeFixture } from '../testing/index.js';
import {
  mapBalanceTransaction,
  mapCheckoutSession,
  mapCoupon,
  mapCreditNote,
  mapDiscount,
  mapDispute,
  mapEarlyFraudWarning,
  mapInvoiceLineItem,
  mapPaymentMethod,
  mapPayout,
  mapPromotionCode,
  mapRefund,
  mapReview,
  mapSetupIntent,
  mapSubscriptionItem,
  mapSubscriptionSchedule,
  mapTaxId,
  toChange,
} from './stripe.mappers.js';
import { STRIPE_CAPABILITIES } from './stripe.capabilities.js';
import { STRIPE_SEGMENTABLE_TYPES, stripeRetrievable } from './stripe.provider.js';
import {
  STRIPE_BREADTH_EVENT_TYPES,
  STRIPE_EVENT_TYPES,
  STRIPE_SYNCED_EVENT_TYPES,
  mapStripeEvent,
  stripeEventToProviderEvent,
} from './stripe.webhook.js';

const ctx = { workspaceId: '11111111-1111-4111-8111-111111111111', source: 'webhook' as const };
const T = (seconds: number) => new Date(seconds * 1000);
const CREATED = T(1234567890);

describe('Stripe breadth mappers over the official fixtures (issue 19)', () => {
  it('refund', () => {
    expect(mapRefund(stripeFixture('refund'))).toEqual({
      paymentTransactionExternalId: 'ch_1PgafuB7WZ01zgkWXYmPNZs8',
      paymentIntentExternalId: null,
      amount: 100,
      currency: 'usd',
      status: 'succeeded',
      reason: null,
      failureReason: null,
      metadata: {},
      providerCreatedAt: CREATED,
    });
    expect(
      mapRefund(
        stripeFixture('refund', {
          status: 'failed',
          failure_reason: 'expired_or_canceled_card',
          payment_intent: { id: 'pi_expanded', object: 'payment_intent' },
        }),
      ),
    ).toMatchObject({
      status: 'failed',
      failureReason: 'expired_or_canceled_card',
      paymentIntentExternalId: 'pi_expanded',
    });
  });

  it('dispute', () => {
    expect(mapDispute(stripeFixture('dispute'))).toEqual({
      paymentTransactionExternalId: 'ch_1PgafuB7WZ01zgkWXYmPNZs8',
      paymentIntentExternalId: null,
      amount: 1000,
      currency: 'usd',
      status: 'warning_needs_response',
      reason: 'general',
      evidenceDueBy: T(1723679999),
      isChargeRefundable: true,
      metadata: {},
      providerCreatedAt: CREATED,
    });
  });

  it('credit note: the refunded amount from `refunds`, or the older `amount_refunded`', () => {
    expect(mapCreditNote(stripeFixture('credit_note'))).toEqual({
      customerExternalId: 'cus_QXg1o8vcGmoR32',
      invoiceExternalId: 'in_1Pgc75B7WZ01zgkWYv4iMwt7',
      number: 'ABCD-1234-CN-01',
      status: 'issued',
      type: 'pre_payment',
      reason: null,
      currency: 'usd',
      subtotal: 1690,
      total: 1690,
      amountRefunded: 1387154914,
      voidedAt: CREATED,
      metadata: {},
      providerCreatedAt: CREATED,
    });
    expect(
      mapCreditNote(stripeFixture('credit_note', { refunds: undefined, amount_refunded: 250 }))
        .amountRefunded,
    ).toBe(250);
    expect(mapCreditNote(stripeFixture('credit_note', { refunds: undefined })).amountRefunded).toBe(
      null,
    );
  });

  it('coupon (a fractional percent off)', () => {
    expect(mapCoupon(stripeFixture('coupon'))).toEqual({
      name: '25.5% off',
      percentOff: 25.5,
      amountOff: null,
      currency: 'usd',
      duration: 'forever',
      durationInMonths: 3,
      maxRedemptions: null,
      timesRedeemed: 0,
      redeemBy: CREATED,
      valid: true,
      metadata: {},
      providerCreatedAt: CREATED,
    });
  });

  it('promotion code: the coupon under `promotion` (current API) or at the top (older)', () => {
    expect(mapPromotionCode(stripeFixture('promotion_code'))).toEqual({
      couponExternalId: null,
      code: 'FALL20',
      active: false,
      customerExternalId: null,
      maxRedemptions: null,
      timesRedeemed: 0,
      expiresAt: CREATED,
      metadata: {},
      providerCreatedAt: CREATED,
    });
    expect(
      mapPromotionCode(
        stripeFixture('promotion_code', { promotion: { type: 'coupon', coupon: 'SUMMER25' } }),
      ).couponExternalId,
    ).toBe('SUMMER25');
    expect(
      mapPromotionCode(
        stripeFixture('promotion_code', {
          promotion: undefined,
          coupon: { id: 'OLD10', object: 'coupon' },
        }),
      ).couponExternalId,
    ).toBe('OLD10');
  });

  it('discount: the coupon under `source` or at the top; the listing parent fills a null link', () => {
    expect(mapDiscount(stripeFixture('discount'))).toEqual({
      couponExternalId: null,
      promotionCodeExternalId: null,
      customerExternalId: 'cus_QXg1o8vcGmoR32',
      subscriptionExternalId: null,
      invoiceExternalId: null,
      start: CREATED,
      end: CREATED,
    });
    const bare = stripeFixture('discount', {
      customer: null,
      source: { type: 'coupon', coupon: 'SUMMER25' },
    });
    expect(mapDiscount(bare, { id: 'cus_parent', object: 'customer' })).toMatchObject({
      couponExternalId: 'SUMMER25',
      customerExternalId: 'cus_parent',
      subscriptionExternalId: null,
    });
    expect(
      mapDiscount(bare, { id: 'sub_parent', object: 'subscription', customer: 'cus_owner' }),
    ).toMatchObject({ customerExternalId: 'cus_owner', subscriptionExternalId: 'sub_parent' });
    expect(
      mapDiscount(stripeFixture('discount', { source: undefined, coupon: { id: 'OLD10' } }))
        .couponExternalId,
    ).toBe('OLD10');
  });

  it('payment method', () => {
    expect(mapPaymentMethod(stripeFixture('payment_method'))).toEqual({
      customerExternalId: null,
      type: 'card',
      cardBrand: 'visa',
      cardLast4: '4242',
      cardExpMonth: 8,
      cardExpYear: 2030,
      billingEmail: 'jenny@example.com',
      metadata: { order_id: '123456789' },
      providerCreatedAt: CREATED,
    });
    expect(
      mapPaymentMethod(stripeFixture('payment_method', { type: 'sepa_debit', card: undefined })),
    ).toMatchObject({ type: 'sepa_debit', cardBrand: null, cardLast4: null });
  });

  it('subscription item (price or legacy plan; the parent subscription when the item lacks it)', () => {
    const item = stripeFixture('subscription_item');
    expect(mapSubscriptionItem(item)).toEqual({
      subscriptionExternalId: 'sub_1Pgc6xB7WZ01zgkWJMvZp5ja',
      priceExternalId: 'price_1PgafmB7WZ01zgkW6dKueIc5',
      productExternalId: 'prod_QXg1hqf4jFNsqG',
      quantity: 1,
      metadata: {},
      providerCreatedAt: T(1721954060),
    });
    expect(
      mapSubscriptionItem(
        { ...item, subscription: undefined, price: undefined, plan: { id: 'gold', product: 'p' } },
        { id: 'sub_parent', object: 'subscription' },
      ),
    ).toMatchObject({
      subscriptionExternalId: 'sub_parent',
      priceExternalId: 'gold',
      productExternalId: 'p',
    });
  });

  it('subscription schedule', () => {
    expect(mapSubscriptionSchedule(stripeFixture('subscription_schedule'))).toEqual({
      customerExternalId: 'cus_QXg1o8vcGmoR32',
      subscriptionExternalId: null,
      status: 'not_started',
      endBehavior: 'release',
      currentPhaseStart: T(1573629589),
      currentPhaseEnd: T(1725067410),
      canceledAt: CREATED,
      completedAt: CREATED,
      releasedAt: CREATED,
      metadata: {},
      providerCreatedAt: CREATED,
    });
  });

  it('invoice line item: current shape (parent, pricing) and the pre-2025 one', () => {
    const line = stripeFixture('line_item');
    expect(mapInvoiceLineItem(line)).toEqual({
      invoiceExternalId: 'in_1Pgc6tB7WZ01zgkWu9fdqL6I',
      // `parent.type` is invoice_item_details: its subscription (null), not the other branch's.
      subscriptionExternalId: null,
      priceExternalId: null,
      productExternalId: null,
      amount: 1000,
      currency: 'usd',
      quantity: 1,
      description: 'My First Invoice Item (created for API docs)',
      periodStart: T(1721954054),
      periodEnd: T(1721954054),
      proration: true,
      metadata: {},
    });
    const current = {
      ...line,
      invoice: undefined,
      parent: {
        type: 'subscription_item_details',
        subscription_item_details: { subscription: 'sub_1', proration: false },
      },
      pricing: { type: 'price_details', price_details: { price: 'price_1', product: 'prod_1' } },
    };
    expect(mapInvoiceLineItem(current, { id: 'in_parent', object: 'invoice' })).toMatchObject({
      invoiceExternalId: 'in_parent',
      subscriptionExternalId: 'sub_1',
      priceExternalId: 'price_1',
      productExternalId: 'prod_1',
      proration: false,
    });
    const older = {
      ...line,
      parent: undefined,
      pricing: undefined,
      subscription: 'sub_old',
      price: { id: 'price_old', product: 'prod_old' },
      proration: true,
    };
    expect(mapInvoiceLineItem(older)).toMatchObject({
      subscriptionExternalId: 'sub_old',
      priceExternalId: 'price_old',
      productExternalId: 'prod_old',
      proration: true,
    });
  });

  it('tax id (owner.customer, or the older customer field, or the listing parent)', () => {
    expect(mapTaxId(stripeFixture('tax_id'))).toEqual({
      customerExternalId: 'cus_QXg1o8vcGmoR32',
      type: 'eu_vat',
      value: 'DE123456789',
      country: 'DE',
      verificationStatus: 'pending',
      providerCreatedAt: CREATED,
    });
    expect(
      mapTaxId(stripeFixture('tax_id', { owner: null, customer: null }), {
        id: 'cus_parent',
        object: 'customer',
      }).customerExternalId,
    ).toBe('cus_parent');
  });

  it('checkout session', () => {
    expect(mapCheckoutSession(stripeFixture('checkout.session'))).toEqual({
      customerExternalId: null,
      subscriptionExternalId: null,
      paymentIntentExternalId: 'pi_1PgafyB7WZ01zgkWSjxsAJo3',
      invoiceExternalId: null,
      mode: 'payment',
      status: 'open',
      paymentStatus: 'unpaid',
      currency: null,
      amountSubtotal: null,
      amountTotal: null,
      expiresAt: CREATED,
      metadata: {},
      providerCreatedAt: CREATED,
    });
  });

  it('payout', () => {
    expect(mapPayout(stripeFixture('payout'))).toEqual({
      amount: 1100,
      currency: 'usd',
      status: 'in_transit',
      arrivalDate: CREATED,
      method: 'standard',
      type: 'bank_account',
      balanceTransactionExternalId: 'txn_1PgaxNB7WZ01zgkWEV3TLf40',
      failureCode: null,
      failureMessage: null,
      metadata: {},
      providerCreatedAt: CREATED,
    });
  });

  it('balance transaction', () => {
    expect(mapBalanceTransaction(stripeFixture('balance_transaction'))).toEqual({
      amount: 100,
      fee: 0,
      net: 100,
      currency: 'usd',
      type: 'charge',
      status: 'available',
      reportingCategory: 'charge',
      sourceExternalId: 'ch_1PgafuB7WZ01zgkWXYmPNZs8',
      availableOn: CREATED,
      description: 'My First Test Charge (created for API docs)',
      providerCreatedAt: CREATED,
    });
  });

  it('early fraud warning', () => {
    expect(mapEarlyFraudWarning(stripeFixture('radar.early_fraud_warning'))).toEqual({
      paymentTransactionExternalId: 'ch_1234',
      paymentIntentExternalId: null,
      fraudType: 'misc',
      actionable: true,
      providerCreatedAt: CREATED,
    });
  });

  it('review', () => {
    expect(mapReview(stripeFixture('review'))).toEqual({
      paymentTransactionExternalId: 'ch_1PgafuB7WZ01zgkWXYmPNZs8',
      paymentIntentExternalId: null,
      open: true,
      reason: 'reason',
      openedReason: 'rule',
      closedReason: null,
      providerCreatedAt: CREATED,
    });
  });

  it('setup intent', () => {
    expect(mapSetupIntent(stripeFixture('setup_intent'))).toEqual({
      customerExternalId: null,
      paymentMethodExternalId: null,
      status: 'requires_payment_method',
      usage: 'off_session',
      metadata: {},
      providerCreatedAt: CREATED,
    });
  });
});

/** Entity type → the official fixture of its Stripe object. */
const FIXTURE_OF = {
  refund: 'refund',
  dispute: 'dispute',
  credit_note: 'credit_note',
  coupon: 'coupon',
  promotion_code: 'promotion_code',
  discount: 'discount',
  payment_method: 'payment_method',
  subscription_item: 'subscription_item',
  subscription_schedule: 'subscription_schedule',
  invoice_line_item: 'line_item',
  tax_id: 'tax_id',
  checkout_session: 'checkout.session',
  payout: 'payout',
  balance_transaction: 'balance_transaction',
  early_fraud_warning: 'radar.early_fraud_warning',
  review: 'review',
  setup_intent: 'setup_intent',
} as const;

describe('toChange for the breadth objects', () => {
  it.each(Object.entries(FIXTURE_OF))('%s from its Stripe object', (entityType, fixture) => {
    const o = stripeFixture(fixture);
    const change = toChange(o, { version: 7, ctx });
    expect(change).toMatchObject({
      entityType,
      externalId: o.id,
      version: 7,
      deleted: false,
      raw: o,
      provider: 'stripe',
    });
    expect(change?.data).not.toBeNull();
  });
});

function mapped(
  type: string,
  object: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): readonly CanonicalChange[] {
  const raw = aStripeEvent(type, object, { created: 1_764_000_123, ...extra });
  const result = mapStripeEvent(
    stripeEventToProviderEvent(raw as Parameters<typeof stripeEventToProviderEvent>[0]),
    ctx,
  );
  if (result.kind !== 'changes') throw new Error(`${type} was ignored: ${result.reason}`);
  return result.changes;
}

describe('mapStripeEvent for the breadth event types', () => {
  const cases = Object.entries(STRIPE_BREADTH_EVENT_TYPES).flatMap(([entityType, types]) =>
    types.map((type) => [type, entityType] as const),
  );

  it.each(cases)('maps %s to a %s change', (type, entityType) => {
    const object = stripeFixture(FIXTURE_OF[entityType as keyof typeof FIXTURE_OF]);
    const changes = mapped(type, object);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      entityType,
      externalId: object.id,
      version: 1_764_000_123_000,
      deleted: type.endsWith('.deleted'),
      source: 'webhook',
    });
    // A deleted coupon, discount or tax id arrives as the full object: a tombstone keeping data.
    expect(changes[0]?.data).not.toBeNull();
  });

  it('payment_method.detached clears the customer link; it is not a tombstone', () => {
    const [change] = mapped(
      'payment_method.detached',
      stripeFixture('payment_method', { id: 'pm_1', customer: null }),
      { data: { object: stripeFixture('payment_method', { id: 'pm_1', customer: null }) } },
    );
    expect(change).toMatchObject({ entityType: 'payment_method', deleted: false });
    expect(change?.data).toMatchObject({ customerExternalId: null });
  });

  it('charge.refund.updated is a refund change; charge.refunded stays the charge', () => {
    expect(mapped('charge.refund.updated', stripeFixture('refund'))[0]?.entityType).toBe('refund');
    expect(mapped('charge.refunded', stripeFixture('charge'))[0]?.entityType).toBe(
      'payment_transaction',
    );
  });
});

describe('subscription items and invoice lines in their parents’ events', () => {
  const item = (id: string, price = 'price_a') =>
    stripeFixture('subscription_item', { id, subscription: 'sub_1', price: { id: price } });
  const subscription = (items: unknown[], hasMore = false, extra: Record<string, unknown> = {}) =>
    stripeFixture('subscription', {
      id: 'sub_1',
      items: { object: 'list', data: items, has_more: hasMore, url: '/v1/subscription_items' },
      ...extra,
    });

  it('customer.subscription.updated: the subscription, then each item, then removed items as tombstones', () => {
    const current = subscription([item('si_kept', 'price_new'), item('si_added')]);
    const changes = mapped('customer.subscription.updated', current, {
      data: {
        object: current,
        previous_attributes: {
          items: { object: 'list', data: [item('si_kept', 'price_old'), item('si_gone')] },
        },
      },
    });
    expect(changes.map((c) => [c.entityType, c.externalId, c.deleted])).toEqual([
      ['subscription', 'sub_1', false],
      ['subscription_item', 'si_kept', false],
      ['subscription_item', 'si_added', false],
      ['subscription_item', 'si_gone', true],
    ]);
    expect(changes[1]?.data).toMatchObject({
      subscriptionExternalId: 'sub_1',
      priceExternalId: 'price_new',
    });
    expect(changes[3]?.data).toBeNull();
    expect(new Set(changes.map((c) => c.version)).size).toBe(1);
    expect(new Set(changes.map((c) => c.eventId)).size).toBe(1);
  });

  it('no tombstone when the current items list has more than it shows', () => {
    const current = subscription([item('si_kept')], true);
    const changes = mapped('customer.subscription.updated', current, {
      data: {
        object: current,
        previous_attributes: { items: { data: [item('si_kept'), item('si_maybe_on_page_2')] } },
      },
    });
    expect(changes.map((c) => c.externalId)).toEqual(['sub_1', 'si_kept']);
  });

  it('a canceled subscription’s items are tombstones that keep their data', () => {
    const changes = mapped(
      'customer.subscription.deleted',
      subscription([item('si_1')], false, { status: 'canceled' }),
    );
    expect(changes.map((c) => [c.entityType, c.deleted])).toEqual([
      ['subscription', true],
      ['subscription_item', true],
    ]);
    expect(changes[1]?.data).not.toBeNull();
  });

  it('invoice events bring the lines; invoice.deleted tombstones them; removed lines are tombstones', () => {
    const line = (id: string) => stripeFixture('line_item', { id, invoice: 'in_1' });
    const invoice = (lines: unknown[]) =>
      stripeFixture('invoice', {
        id: 'in_1',
        lines: { object: 'list', data: lines, has_more: false },
      });
    const updated = invoice([line('il_1')]);
    expect(
      mapped('invoice.updated', updated, {
        data: {
          object: updated,
          previous_attributes: { lines: { data: [line('il_1'), line('il_2')] } },
        },
      }).map((c) => [c.entityType, c.externalId, c.deleted]),
    ).toEqual([
      ['invoice', 'in_1', false],
      ['invoice_line_item', 'il_1', false],
      ['invoice_line_item', 'il_2', true],
    ]);
    expect(
      mapped('invoice.deleted', invoice([line('il_1')])).map((c) => [c.entityType, c.deleted]),
    ).toEqual([
      ['invoice', true],
      ['invoice_line_item', true],
    ]);
  });
});

describe('Stripe capabilities (issue 19)', () => {
  it('sync every breadth type, segment exactly those listed from their own lists', () => {
    expect(STRIPE_CAPABILITIES.entityTypes).toEqual(
      expect.arrayContaining(Object.keys(FIXTURE_OF)),
    );
    expect(STRIPE_CAPABILITIES.entityTypes).toHaveLength(6 + Object.keys(FIXTURE_OF).length);
    expect([...STRIPE_CAPABILITIES.segmentableEntityTypes].sort()).toEqual(
      [...STRIPE_SEGMENTABLE_TYPES].sort(),
    );
    for (const type of [
      'subscription_item',
      'invoice_line_item',
      'tax_id',
      'discount',
      'payment_method',
    ])
      expect(STRIPE_CAPABILITIES.segmentableEntityTypes).not.toContain(type);
    expect(Object.keys(FIXTURE_OF).filter((t) => !stripeRetrievable(t as 'refund'))).toEqual([
      'discount',
      'invoice_line_item',
    ]);
  });

  it('subscribe to the original and the breadth event types, each once', () => {
    const all = [...STRIPE_EVENT_TYPES, ...Object.values(STRIPE_BREADTH_EVENT_TYPES).flat()];
    expect(STRIPE_CAPABILITIES.eventTypes).toEqual(all);
    expect(new Set(all).size).toBe(all.length);
    expect(STRIPE_SYNCED_EVENT_TYPES).toBe(STRIPE_CAPABILITIES.eventTypes);
  });
});
