import { stripeFixture } from '../testing/index.js';
import {
  mapCharge,
  mapCustomer,
  mapInvoice,
  mapPaymentIntent,
  mapPlan,
  mapPrice,
  mapProduct,
  mapSubscription,
  objectVersion,
  toChange,
} from './stripe.mappers.js';

const ctx = { workspaceId: '11111111-1111-4111-8111-111111111111', source: 'webhook' as const };
const T = (seconds: number) => new Date(seconds * 1000);

describe('Stripe mappers over the official fixtures', () => {
  it('customer', () => {
    const c = stripeFixture('customer');
    expect(mapCustomer(c)).toEqual({
      email: c.email,
      name: c.name,
      phone: c.phone,
      description: null,
      currency: 'usd',
      balance: 0,
      delinquent: false,
      metadata: {},
      providerCreatedAt: T(1234567890),
    });
  });

  it('product', () => {
    expect(mapProduct(stripeFixture('product'))).toEqual({
      name: 'T-shirt',
      description: 'Comfortable gray cotton t-shirt',
      active: true,
      metadata: {},
      providerCreatedAt: T(1234567890),
    });
  });

  it('price, with an expanded or plain product reference', () => {
    const price = stripeFixture('price');
    const mapped = mapPrice(price);
    expect(mapped).toMatchObject({
      productExternalId: 'prod_QXg1hqf4jFNsqG',
      active: true,
      currency: 'usd',
      unitAmount: price.unit_amount,
      type: price.type,
      nickname: null,
      lookupKey: null,
    });
    expect(
      mapPrice({ ...price, product: { id: 'prod_expanded', object: 'product' } }).productExternalId,
    ).toBe('prod_expanded');
    expect(
      mapPrice({ ...price, type: 'recurring', recurring: { interval: 'year', interval_count: 2 } }),
    ).toMatchObject({
      recurringInterval: 'year',
      recurringIntervalCount: 2,
    });
  });

  it('legacy plan as a recurring price', () => {
    expect(mapPlan(stripeFixture('plan'))).toMatchObject({
      type: 'recurring',
      unitAmount: 2000,
      currency: 'usd',
      recurringInterval: 'month',
      recurringIntervalCount: 1,
    });
  });

  it('subscription with items, periods from the items (current API shape)', () => {
    const s = stripeFixture('subscription');
    const mapped = mapSubscription(s);
    expect(mapped).toMatchObject({
      customerExternalId: 'cus_QXg1o8vcGmoR32',
      status: 'active',
      currency: 'usd',
      cancelAtPeriodEnd: true,
      currentPeriodEnd: T(976287773),
      items: [
        {
          externalId: 'si_QXhVnC2h0Jczwc',
          priceExternalId: 'price_1PgafmB7WZ01zgkW6dKueIc5',
          productExternalId: 'prod_QXg1hqf4jFNsqG',
          quantity: 1,
        },
      ],
    });
  });

  it('subscription periods on the subscription (older API versions)', () => {
    const s = stripeFixture('subscription', { current_period_start: 100, current_period_end: 200 });
    expect(mapSubscription(s)).toMatchObject({
      currentPeriodStart: T(100),
      currentPeriodEnd: T(200),
    });
  });

  it('invoice, subscription from parent details (current API) or top level (older)', () => {
    const invoice = stripeFixture('invoice');
    expect(mapInvoice(invoice)).toMatchObject({
      customerExternalId: 'cus_QXg1o8vcGmoR32',
      subscriptionExternalId: 'subscription',
      status: 'draft',
      currency: 'usd',
      amountDue: 1000,
      amountPaid: 0,
      amountRemaining: 1000,
      total: 1000,
      paidAt: null,
    });
    expect(
      mapInvoice({ ...invoice, parent: null, subscription: 'sub_old' }).subscriptionExternalId,
    ).toBe('sub_old');
    expect(mapInvoice({ ...invoice, status_transitions: { paid_at: 300 } }).paidAt).toEqual(T(300));
  });

  it('payment intent and charge', () => {
    const pi = stripeFixture('payment_intent');
    expect(mapPaymentIntent(pi)).toMatchObject({
      kind: 'payment_intent',
      amount: 1099,
      currency: pi.currency,
      status: pi.status,
    });
    const charge = stripeFixture('charge');
    expect(mapCharge(charge)).toMatchObject({
      kind: 'charge',
      amount: 100,
      amountRefunded: 0,
      currency: charge.currency,
    });
    expect(mapCharge({ ...charge, refunded: true, amount_refunded: 100 })).toMatchObject({
      status: 'refunded',
      amountRefunded: 100,
    });
  });
});

describe('toChange', () => {
  it('wraps a mapped object as a canonical change', () => {
    const change = toChange(stripeFixture('customer'), { version: 5000, eventId: 'evt_1', ctx });
    expect(change).toMatchObject({
      workspaceId: ctx.workspaceId,
      provider: 'stripe',
      entityType: 'customer',
      externalId: stripeFixture('customer').id,
      version: 5000,
      deleted: false,
      eventId: 'evt_1',
      source: 'webhook',
      livemode: false,
    });
  });

  it('turns Stripe’s deleted objects into bare tombstones', () => {
    const deleted = stripeFixture('deleted_customer');
    expect(toChange(deleted, { version: 1, ctx })).toMatchObject({ deleted: true, data: null });
  });

  it('keeps a canceled subscription’s data but marks it deleted', () => {
    const change = toChange(stripeFixture('subscription', { status: 'canceled' }), {
      version: 1,
      ctx,
    });
    expect(change).toMatchObject({
      deleted: true,
      data: expect.objectContaining({ status: 'canceled' }),
    });
  });

  it('ignores objects we do not sync', () => {
    expect(toChange(stripeFixture('transfer'), { version: 1, ctx })).toBeNull();
  });

  it('versions by the object’s `updated` when present, else the event time, in ms', () => {
    expect(objectVersion({ updated: 10 }, 5)).toBe(10_000);
    expect(objectVersion({}, 5)).toBe(5000);
  });
});
