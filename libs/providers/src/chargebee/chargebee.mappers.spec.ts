import { stripeFixture } from '../testing/index.js';
import {
  mapCustomer as stripeCustomer,
  mapInvoice as stripeInvoice,
  mapCharge as stripeCharge,
  mapPrice as stripePrice,
  mapProduct as stripeProduct,
  mapSubscription as stripeSubscription,
} from '../stripe/stripe.mappers.js';
import * as fx from './chargebee.fixtures.js';
import {
  mapCustomer,
  mapInvoice,
  mapItem,
  mapItemPrice,
  mapSubscription,
  mapTransaction,
  resourceVersion,
  toChange,
} from './chargebee.mappers.js';

const ctx = { workspaceId: '11111111-1111-4111-8111-111111111111', source: 'webhook' as const };
const T = (seconds: number) => new Date(seconds * 1000);
const clone = <T>(o: T): Record<string, unknown> => structuredClone(o) as Record<string, unknown>;

describe('Chargebee mappers over documented sample objects', () => {
  it('customer: name from first/last, company as description, lower-case currency, Stripe-signed balance', () => {
    expect(mapCustomer(clone(fx.customer))).toEqual({
      email: 'john@test.com',
      name: 'John Doe',
      phone: '+1 541 754 3010',
      description: 'Globex Corp',
      currency: 'usd',
      // 1200 unbilled − 500 promotional credits: owed by the customer, as Stripe's sign says.
      balance: 700,
      delinquent: null,
      metadata: { crm_id: 'A-17', tier: '3' },
      providerCreatedAt: T(1517505731),
    });
  });

  it('customer without a person name: the company is the name', () => {
    const c = { ...clone(fx.customer), first_name: undefined, last_name: undefined };
    expect(mapCustomer(c)).toMatchObject({ name: 'Globex Corp', description: null });
  });

  it('item → product', () => {
    expect(mapItem(clone(fx.item))).toEqual({
      name: 'Silver Plan',
      description: 'The silver plan',
      active: true,
      metadata: { features: 'basic' },
      providerCreatedAt: null,
    });
    expect(mapItem({ ...clone(fx.item), status: 'archived' }).active).toBe(false);
  });

  it('item price → price: per-unit recurring, amount in minor units', () => {
    expect(mapItemPrice(clone(fx.itemPrice))).toEqual({
      productExternalId: 'silver-plan',
      active: true,
      currency: 'usd',
      unitAmount: 1000,
      type: 'recurring',
      recurringInterval: 'month',
      recurringIntervalCount: 1,
      nickname: 'Silver monthly',
      lookupKey: null,
      metadata: {},
      providerCreatedAt: T(1594106928),
    });
  });

  it('item price: tiered has no unit amount, a charge is one-time', () => {
    const tiered = { ...clone(fx.itemPrice), pricing_model: 'tiered', price: undefined };
    expect(mapItemPrice(tiered).unitAmount).toBeNull();
    const charge = {
      ...clone(fx.itemPrice),
      item_type: 'charge',
      period: undefined,
      period_unit: undefined,
    };
    expect(mapItemPrice(charge)).toMatchObject({
      type: 'one_time',
      recurringInterval: null,
      recurringIntervalCount: null,
    });
  });

  it('subscription with its items', () => {
    expect(mapSubscription(clone(fx.subscription))).toEqual({
      customerExternalId: '__test__KyVnHhSBWl7eY2bl',
      status: 'active',
      items: [
        {
          externalId: null,
          priceExternalId: 'silver-USD-monthly',
          productExternalId: null,
          quantity: 2,
        },
        {
          externalId: null,
          priceExternalId: 'ssl-addon-USD-monthly',
          productExternalId: null,
          quantity: 1,
        },
      ],
      currency: 'usd',
      currentPeriodStart: T(1612890918),
      currentPeriodEnd: T(1615310118),
      cancelAtPeriodEnd: false,
      canceledAt: null,
      endedAt: null,
      trialStart: null,
      trialEnd: null,
      metadata: { source: 'checkout' },
      providerCreatedAt: T(1612890918),
    });
  });

  it('subscription statuses in Stripe words: in_trial, non_renewing, cancelled', () => {
    const base = clone(fx.subscription);
    expect(mapSubscription({ ...base, status: 'in_trial' }).status).toBe('trialing');
    expect(
      mapSubscription({ ...base, status: 'non_renewing', cancelled_at: 1615310118 }),
    ).toMatchObject({ status: 'active', cancelAtPeriodEnd: true, canceledAt: null });
    expect(
      mapSubscription({ ...base, status: 'cancelled', cancelled_at: 1613000000 }),
    ).toMatchObject({ status: 'canceled', canceledAt: T(1613000000), endedAt: T(1613000000) });
    expect(mapSubscription({ ...base, status: 'future' }).status).toBe('future');
  });

  it('invoice: amount due = unpaid + paid, remaining = Chargebee amount_due, period from lines', () => {
    expect(mapInvoice(clone(fx.invoice))).toEqual({
      customerExternalId: '__test__KyVnHhSBWl7eY2bl',
      subscriptionExternalId: '__test__8asukSOXdvg4PD',
      status: 'open',
      number: '__demo_inv__1',
      currency: 'usd',
      amountDue: 2250,
      amountPaid: 1000,
      amountRemaining: 1250,
      subtotal: 2250,
      total: 2250,
      dueDate: T(1518369747),
      paidAt: null,
      periodStart: T(1517505700),
      periodEnd: T(1519924947),
      hostedInvoiceUrl: null,
      metadata: {},
      providerCreatedAt: T(1517505747),
    });
    const base = clone(fx.invoice);
    expect(mapInvoice({ ...base, status: 'voided' }).status).toBe('void');
    expect(mapInvoice({ ...base, status: 'not_paid' }).status).toBe('uncollectible');
    expect(mapInvoice({ ...base, status: 'paid' }).status).toBe('paid');
  });

  it('transaction → payment transaction, refunds summed from linked_refunds', () => {
    expect(mapTransaction(clone(fx.transaction))).toEqual({
      kind: 'transaction',
      status: 'succeeded',
      amount: 1000,
      amountRefunded: 300,
      currency: 'usd',
      customerExternalId: '__test__KyVnHhSBWl7eY2bl',
      invoiceExternalId: '__demo_inv__1',
      paymentMethodType: 'card',
      failureCode: null,
      failureMessage: null,
      metadata: {},
      providerCreatedAt: T(1517505760),
    });
    const failed = {
      ...clone(fx.transaction),
      status: 'failure',
      error_code: 'card_declined',
      error_text: 'Your card was declined.',
      linked_refunds: [],
    };
    expect(mapTransaction(failed)).toMatchObject({
      status: 'failed',
      amountRefunded: 0,
      failureCode: 'card_declined',
      failureMessage: 'Your card was declined.',
    });
  });

  it('produces the same canonical row shape as the Stripe mappers', () => {
    const keys = (o: object) => Object.keys(o).sort();
    expect(keys(mapCustomer(clone(fx.customer)))).toEqual(
      keys(stripeCustomer(stripeFixture('customer'))),
    );
    expect(keys(mapItem(clone(fx.item)))).toEqual(keys(stripeProduct(stripeFixture('product'))));
    expect(keys(mapItemPrice(clone(fx.itemPrice)))).toEqual(
      keys(stripePrice(stripeFixture('price'))),
    );
    expect(keys(mapSubscription(clone(fx.subscription)))).toEqual(
      keys(stripeSubscription(stripeFixture('subscription'))),
    );
    expect(keys(mapInvoice(clone(fx.invoice)))).toEqual(
      keys(stripeInvoice(stripeFixture('invoice'))),
    );
    expect(keys(mapTransaction(clone(fx.transaction)))).toEqual(
      keys(stripeCharge(stripeFixture('charge'))),
    );
  });
});

describe('Chargebee toChange', () => {
  it('versions by resource_version (ms), else updated_at, else the fallback', () => {
    expect(resourceVersion(clone(fx.customer), 1)).toBe(1517505731000);
    expect(resourceVersion({ updated_at: 1600000000 }, 1)).toBe(1600000000000);
    expect(resourceVersion({}, 42)).toBe(42);
  });

  it('a change in canonical terms, provider chargebee', () => {
    const change = toChange('customer', clone(fx.customer), {
      livemode: false,
      ctx,
      eventId: 'ev_1',
    });
    expect(change).toMatchObject({
      workspaceId: ctx.workspaceId,
      provider: 'chargebee',
      entityType: 'customer',
      externalId: '__test__KyVnHhSBWl7eY2bl',
      version: 1517505731000,
      deleted: false,
      livemode: false,
      eventId: 'ev_1',
      source: 'webhook',
    });
    expect(change?.raw).toEqual(fx.customer);
  });

  it('tombstones: deleted rows (include_deleted), deleted items, cancelled subscriptions, *_deleted', () => {
    const opts = { livemode: false, ctx };
    expect(toChange('customer', { ...clone(fx.customer), deleted: true }, opts)?.deleted).toBe(
      true,
    );
    expect(toChange('item', { ...clone(fx.item), status: 'deleted' }, opts)?.deleted).toBe(true);
    expect(
      toChange('item_price', { ...clone(fx.itemPrice), status: 'deleted' }, opts)?.deleted,
    ).toBe(true);
    const cancelled = toChange(
      'subscription',
      { ...clone(fx.subscription), status: 'cancelled' },
      opts,
    );
    expect(cancelled).toMatchObject({ deleted: true, data: { status: 'canceled' } });
    expect(toChange('invoice', clone(fx.invoice), { ...opts, deleted: true })?.deleted).toBe(true);
    expect(toChange('invoice', clone(fx.invoice), opts)?.deleted).toBe(false);
  });

  it('entity types: items → product, item prices → price, transactions → payment_transaction', () => {
    const opts = { livemode: true, ctx };
    expect(toChange('item', clone(fx.item), opts)?.entityType).toBe('product');
    expect(toChange('item_price', clone(fx.itemPrice), opts)?.entityType).toBe('price');
    expect(toChange('transaction', clone(fx.transaction), opts)).toMatchObject({
      entityType: 'payment_transaction',
      livemode: true,
    });
    expect(toChange('customer', { first_name: 'no id' }, opts)).toBeNull();
  });
});
