import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import Stripe from 'stripe';

import { StripeSimulator } from './index.js';

/** The Stripe SDK pointed at a simulator (as the provider builds it). */
function sdk(url: string): Stripe {
  const base = new URL(url);
  return new Stripe('sk_test_breadth', {
    host: base.hostname,
    port: Number(base.port),
    protocol: 'http',
    maxNetworkRetries: 0,
    telemetry: false,
  });
}

async function all<T>(list: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of list) out.push(item);
  return out;
}

/** Top-level lists of the issue-19 types: the SDK call, the seed key and the id prefix. */
const TOP_LEVEL = [
  ['refunds', (s: Stripe) => s.refunds.list({ limit: 100 }), 're_'],
  ['disputes', (s: Stripe) => s.disputes.list({ limit: 100 }), 'dp_'],
  ['credit_notes', (s: Stripe) => s.creditNotes.list({ limit: 100 }), 'cn_'],
  ['coupons', (s: Stripe) => s.coupons.list({ limit: 100 }), 'coupon_'],
  ['promotion_codes', (s: Stripe) => s.promotionCodes.list({ limit: 100 }), 'promo_'],
  [
    'subscription_schedules',
    (s: Stripe) => s.subscriptionSchedules.list({ limit: 100 }),
    'sub_sched_',
  ],
  ['checkout_sessions', (s: Stripe) => s.checkout.sessions.list({ limit: 100 }), 'cs_test_'],
  ['payouts', (s: Stripe) => s.payouts.list({ limit: 100 }), 'po_'],
  ['balance_transactions', (s: Stripe) => s.balanceTransactions.list({ limit: 100 }), 'txn_'],
  [
    'early_fraud_warnings',
    (s: Stripe) => s.radar.earlyFraudWarnings.list({ limit: 100 }),
    'issfr_',
  ],
  ['reviews', (s: Stripe) => s.reviews.list({ limit: 100 }), 'prv_'],
  ['setup_intents', (s: Stripe) => s.setupIntents.list({ limit: 100 }), 'seti_'],
] as const;

const SEED = {
  customers: 30,
  products: 3,
  prices: 6,
  subscriptions: 4,
  subscription_items: 28, // 7 per subscription
  invoices: 3,
  invoice_line_items: 3 * 12, // 12 lines per invoice: more than the 10 embedded
  payment_intents: 5,
  charges: 20,
  refunds: 150, // more than one page of 100
  disputes: 7,
  credit_notes: 8,
  coupons: 9,
  promotion_codes: 10,
  discounts: 11,
  payment_methods: 45, // 1–2 per customer
  subscription_schedules: 12,
  tax_ids: 13,
  checkout_sessions: 14,
  payouts: 15,
  balance_transactions: 16,
  early_fraud_warnings: 17,
  reviews: 18,
  setup_intents: 19,
};

describe('simulator: the issue-19 Stripe types', () => {
  let sim: StripeSimulator;
  let stripe: Stripe;

  beforeAll(async () => {
    sim = new StripeSimulator({ seed: SEED });
    stripe = sdk(await sim.start());
  });

  afterAll(async () => {
    await sim.stop();
  });

  it.each(TOP_LEVEL)(
    '%s: the whole list through the SDK, exact count, ids and retrieve',
    async (key, list, prefix) => {
      const items = await all(list(stripe) as AsyncIterable<{ id: string; created: number }>);
      expect(items).toHaveLength(SEED[key]);
      expect(new Set(items.map((o) => o.id)).size).toBe(SEED[key]);
      expect(items.every((o) => o.id.startsWith(prefix))).toBe(true);
      // Newest first.
      expect(items.map((o) => o.created)).toEqual(
        [...items.map((o) => o.created)].sort((a, b) => b - a),
      );
      const path =
        key === 'checkout_sessions'
          ? 'checkout/sessions'
          : key === 'early_fraud_warnings'
            ? 'radar/early_fraud_warnings'
            : key;
      const one = await fetch(`${sim.url}/v1/${path}/${items[3]?.id}`, {
        headers: { authorization: 'Bearer sk_test_x' },
      });
      expect(one.status).toBe(200);
      expect(await one.json()).toEqual(items[3]);
    },
  );

  it('pages with starting_after and has_more, and filters created bounds', async () => {
    const first = await stripe.refunds.list({ limit: 100 });
    expect(first.data).toHaveLength(100);
    expect(first.has_more).toBe(true);
    const rest = await stripe.refunds.list({ limit: 100, starting_after: first.data[99]?.id });
    expect(rest.data).toHaveLength(50);
    expect(rest.has_more).toBe(false);
    const base = 1_700_000_000;
    const window = await stripe.refunds.list({
      limit: 100,
      created: { gte: base + 10, lt: base + 20 },
    });
    expect(window.data.map((r) => r.created)).toEqual(
      Array.from({ length: 10 }, (_, i) => base + 19 - i),
    );
    const byCharge = await stripe.refunds.list({ limit: 100, charge: 'ch_sim0000000003' });
    expect(byCharge.data.map((r) => r.id)).toEqual(
      [143, 123, 103, 83, 63, 43, 23, 3].map((i) => `re_sim${String(i).padStart(10, '0')}`),
    );
  });

  it('subscription items: 10 embedded with has_more, the rest from /v1/subscription_items', async () => {
    const sub = await stripe.subscriptions.retrieve('sub_sim0000000001');
    expect(sub.items.data).toHaveLength(7);
    expect(sub.items.has_more).toBe(false);
    // 7 items each: under the embedded 10. Add 5 to one subscription through the API.
    for (let i = 0; i < 5; i++)
      await stripe.subscriptionItems.create({
        subscription: 'sub_sim0000000001',
        price: 'price_sim0000000002',
      });
    const grown = await stripe.subscriptions.retrieve('sub_sim0000000001');
    expect(grown.items.data).toHaveLength(10);
    expect(grown.items.has_more).toBe(true);
    expect(grown.items.url).toBe('/v1/subscription_items?subscription=sub_sim0000000001');
    const more = await stripe.subscriptionItems.list({
      subscription: 'sub_sim0000000001',
      starting_after: grown.items.data[9]?.id,
      limit: 100,
    });
    const ids = [...grown.items.data, ...more.data].map((i) => i.id);
    expect(ids).toHaveLength(12);
    expect(new Set(ids).size).toBe(12);
    expect(more.has_more).toBe(false);
    expect([...grown.items.data, ...more.data].every((i) => i.subscription === grown.id)).toBe(
      true,
    );
    // Every seeded item belongs to exactly one subscription.
    const subs = await all(stripe.subscriptions.list({ status: 'all', limit: 100 }));
    const perSub = await Promise.all(
      subs.map(
        async (s) => (await all(stripe.subscriptionItems.list({ subscription: s.id }))).length,
      ),
    );
    expect(perSub.reduce((a, b) => a + b, 0)).toBe(SEED.subscription_items + 5);
    await expect(
      fetch(`${sim.url}/v1/subscription_items`, {
        headers: { authorization: 'Bearer sk_test_x' },
      }).then((r) => r.status),
    ).resolves.toBe(400);
  });

  it('invoice lines: 10 embedded with has_more, the rest from /v1/invoices/{id}/lines', async () => {
    const invoices = await all(stripe.invoices.list({ limit: 100 }));
    let lines = 0;
    for (const invoice of invoices) {
      expect(invoice.lines.data).toHaveLength(10);
      expect(invoice.lines.has_more).toBe(true);
      expect(invoice.lines.url).toBe(`/v1/invoices/${invoice.id}/lines`);
      const rest = await stripe.invoices.listLineItems(invoice.id as string, {
        starting_after: invoice.lines.data[9]?.id,
        limit: 100,
      });
      expect(rest.has_more).toBe(false);
      const ids = [...invoice.lines.data, ...rest.data].map((l) => l.id);
      expect(new Set(ids).size).toBe(ids.length);
      lines += ids.length;
    }
    expect(lines).toBe(SEED.invoice_line_items);
  });

  it('deleting a customer deletes its tax ids and discount and detaches its payment methods', async () => {
    const local = new StripeSimulator({
      seed: {
        customers: 2,
        tax_ids: 4,
        discounts: 2,
        payment_methods: 4,
        invoices: 1,
        invoice_line_items: 3,
      },
    });
    local.delete('customers', 'cus_sim0000000001');
    expect(local.collections.tax_ids.liveCount).toBe(2);
    expect(local.collections.discounts.liveCount).toBe(1);
    expect(local.getObject('payment_methods', 'pm_sim0000000003')?.customer).toBeNull();
    expect(local.getObject('payment_methods', 'pm_sim0000000002')?.customer).toBe(
      'cus_sim0000000000',
    );
    local.delete('invoices', 'in_sim0000000000');
    expect(local.collections.invoice_line_items.liveCount).toBe(0);
  });

  it('tax ids, payment methods and discounts through their customers', async () => {
    const customers = await all(stripe.customers.list({ limit: 100, expand: ['data.tax_ids'] }));
    expect(customers).toHaveLength(SEED.customers);
    const taxIds = customers.flatMap((c) => c.tax_ids?.data ?? []);
    expect(taxIds).toHaveLength(SEED.tax_ids);
    expect(taxIds.every((t) => t.id.startsWith('txi_'))).toBe(true);
    expect((await stripe.customers.listTaxIds('cus_sim0000000002')).data).toEqual(
      customers.find((c) => c.id === 'cus_sim0000000002')?.tax_ids?.data,
    );
    // Without expand a customer has no tax_ids; discounts are on the customer.
    const plain = await stripe.customers.retrieve('cus_sim0000000002');
    expect('tax_ids' in plain).toBe(false);
    const discounts = customers.map((c) => c.discount).filter((d) => d);
    expect(discounts).toHaveLength(SEED.discounts);
    let methods = 0;
    for (const c of customers)
      methods += (await all(stripe.customers.listPaymentMethods(c.id, { limit: 100 }))).length;
    expect(methods).toBe(SEED.payment_methods);
    const pm = await stripe.paymentMethods.retrieve('pm_sim0000000031');
    expect(pm.customer).toBe('cus_sim0000000001');
    expect(pm.card?.last4).toMatch(/^\d{4}$/);
  });
});

describe('simulator: changes of the issue-19 types emit Stripe’s events', () => {
  let sim: StripeSimulator;
  let stripe: Stripe;
  const received: Stripe.Event[] = [];
  let receiver: Server;
  let receiverUrl: string;
  const secret = 'whsec_breadth_events';

  beforeAll(async () => {
    receiver = await startReceiver(secret, received);
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
    sim = new StripeSimulator({
      seed: { customers: 3, charges: 3, invoices: 2, subscriptions: 2, coupons: 2, prices: 2 },
    });
    stripe = sdk(await sim.start());
    sim.addWebhookEndpoint(receiverUrl, secret);
  });

  afterAll(async () => {
    await sim.stop();
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  const typesAfter = async (action: () => Promise<unknown>) => {
    const before = received.length;
    await action();
    await sim.webhooks.flush();
    // Deliveries run concurrently: put them back in the order they were emitted.
    return received.slice(before).sort((a, b) => a.id.localeCompare(b.id));
  };

  it('refund: refund.created, charge.refunded, a balance transaction', async () => {
    const events = await typesAfter(() =>
      stripe.refunds.create({ charge: 'ch_sim0000000001', amount: 500 }),
    );
    expect(events.map((e) => e.type)).toEqual(['refund.created', 'charge.refunded']);
    const refund = events[0]?.data.object as Stripe.Refund;
    expect(refund.balance_transaction).toMatch(/^txn_/);
    const txn = await stripe.balanceTransactions.retrieve(refund.balance_transaction as string);
    expect(txn).toMatchObject({ source: refund.id, type: 'refund', amount: -500 });
    expect((events[1]?.data.object as Stripe.Charge).amount_refunded).toBe(500);
  });

  it('a subscription created with items: its items, in the created event', async () => {
    const events = await typesAfter(() =>
      stripe.subscriptions.create({
        customer: 'cus_sim0000000001',
        items: [{ price: 'price_sim0000000000', quantity: 2 }, { price: 'price_sim0000000001' }],
      }),
    );
    expect(events.map((e) => e.type)).toEqual(['customer.subscription.created']);
    const sub = events[0]?.data.object as Stripe.Subscription;
    expect(sub.items.data.map((i) => [i.price.id, i.quantity]).sort()).toEqual([
      ['price_sim0000000000', 2],
      ['price_sim0000000001', 1],
    ]);
    expect(sub.items.data.every((i) => i.id.startsWith('si_') && i.subscription === sub.id)).toBe(
      true,
    );
    // A list-shaped `items` (as a test may pass) works the same; none gives one item.
    const listed = sim.create('subscriptions', {
      items: { data: [{ price: { id: 'price_sim0000000001' }, quantity: 3 }] },
    });
    expect((listed.items as Stripe.ApiList<Stripe.SubscriptionItem>).data).toMatchObject([
      { price: { id: 'price_sim0000000001' }, quantity: 3 },
    ]);
    const bare = sim.create('subscriptions', {});
    expect((bare.items as Stripe.ApiList<Stripe.SubscriptionItem>).data).toHaveLength(1);
    await sim.webhooks.flush();
  });

  it('a subscription update changes, adds and deletes items (items[n]), one updated event', async () => {
    await stripe.subscriptionItems.create({
      subscription: 'sub_sim0000000001',
      price: 'price_sim0000000001',
    });
    await sim.webhooks.flush();
    const before = await stripe.subscriptions.retrieve('sub_sim0000000001');
    const [first, second] = before.items.data as [Stripe.SubscriptionItem, Stripe.SubscriptionItem];
    expect(second).toBeDefined();
    const events = await typesAfter(() =>
      stripe.subscriptions.update('sub_sim0000000001', {
        items: [
          { id: first.id, price: 'price_sim0000000001', quantity: 5 },
          { id: second.id, deleted: true },
          { price: 'price_sim0000000000' },
        ],
      }),
    );
    expect(events.map((e) => e.type)).toEqual(['customer.subscription.updated']);
    const after = events[0]?.data.object as Stripe.Subscription;
    const previous = events[0]?.data.previous_attributes as { items: Stripe.ApiList<unknown> };
    expect(previous.items).toEqual(before.items);
    const changed = after.items.data.find((i) => i.id === first.id);
    expect([changed?.price.id, changed?.quantity]).toEqual(['price_sim0000000001', 5]);
    expect(after.items.data.map((i) => i.id)).not.toContain(second.id);
    expect(after.items.data).toHaveLength(before.items.data.length);
    expect(await stripe.subscriptions.retrieve(after.id)).toEqual(after);
  });

  it('coupon: created, updated, deleted (then 404)', async () => {
    const events = await typesAfter(async () => {
      const coupon = await stripe.coupons.create({ percent_off: 25.5, duration: 'once' });
      await stripe.coupons.update(coupon.id, { metadata: { k: 'v' } });
      await stripe.coupons.del(coupon.id);
      await expect(stripe.coupons.retrieve(coupon.id)).rejects.toMatchObject({ statusCode: 404 });
    });
    expect(events.map((e) => e.type)).toEqual([
      'coupon.created',
      'coupon.updated',
      'coupon.deleted',
    ]);
    expect((events[0]?.data.object as Stripe.Coupon).percent_off).toBe(25.5);
  });

  it('subscription item: the subscription’s updated event with previous_attributes.items', async () => {
    const events = await typesAfter(async () => {
      const item = await stripe.subscriptionItems.create({
        subscription: 'sub_sim0000000000',
        price: 'price_sim0000000001',
        quantity: 4,
      });
      await stripe.subscriptionItems.del(item.id);
    });
    expect(events.map((e) => e.type)).toEqual([
      'customer.subscription.updated',
      'customer.subscription.updated',
    ]);
    const [added, removed] = events as [Stripe.Event, Stripe.Event];
    const itemsOf = (o: unknown) =>
      ((o as { items: { data: { id: string }[] } }).items.data ?? []).map((i) => i.id);
    const newItem = itemsOf(added.data.object).find(
      (id) => !itemsOf(added.data.previous_attributes).includes(id),
    );
    expect(newItem).toMatch(/^si_/);
    expect(itemsOf(removed.data.previous_attributes)).toContain(newItem);
    expect(itemsOf(removed.data.object)).not.toContain(newItem);
  });

  it('invoice line: the invoice’s updated event with previous_attributes.lines', async () => {
    const events = await typesAfter(async () => {
      sim.create('invoice_line_items', { invoice: 'in_sim0000000000', amount: 777 });
    });
    expect(events.map((e) => e.type)).toEqual(['invoice.updated']);
    const invoice = events[0]?.data.object as Stripe.Invoice;
    const previous = events[0]?.data.previous_attributes as { lines: Stripe.ApiList<unknown> };
    expect(invoice.lines.data.map((l) => l.amount)).toContain(777);
    expect(invoice.lines.data).toHaveLength(previous.lines.data.length + 1);
  });

  it('subscription discount: customer.discount.created, in the subscription’s discounts', async () => {
    const events = await typesAfter(async () => {
      sim.create('discounts', {
        customer: 'cus_sim0000000001',
        subscription: 'sub_sim0000000001',
        source: { coupon: 'coupon_sim0000000000', type: 'coupon' },
      });
    });
    expect(events.map((e) => e.type)).toEqual(['customer.discount.created']);
    const discount = events[0]?.data.object as Stripe.Discount;
    const sub = await stripe.subscriptions.retrieve('sub_sim0000000001', { expand: ['discounts'] });
    expect(sub.discounts).toEqual([discount]);
    const listed = await stripe.subscriptions.list({ expand: ['data.discounts'], status: 'all' });
    expect(listed.data.find((s) => s.id === sub.id)?.discounts).toEqual([discount]);
    expect((await stripe.subscriptions.retrieve(sub.id)).discounts).toEqual([discount.id]);
    // A subscription's discount is not the customer's.
    expect((await stripe.customers.retrieve('cus_sim0000000001')) as Stripe.Customer).toMatchObject(
      { discount: null },
    );
  });

  it('checkout session completed; tax id verified', async () => {
    const events = await typesAfter(async () => {
      const cs = sim.create('checkout_sessions', { status: 'open', payment_status: 'unpaid' });
      sim.update(
        'checkout_sessions',
        cs.id as string,
        { status: 'complete', payment_status: 'paid' },
        { eventType: 'checkout.session.completed' },
      );
      const txi = sim.create('tax_ids', { customer: 'cus_sim0000000000' });
      sim.update('tax_ids', txi.id as string, {
        verification: { status: 'verified', verified_address: null, verified_name: null },
      });
    });
    expect(events.map((e) => e.type)).toEqual([
      'checkout.session.completed',
      'customer.tax_id.created',
      'customer.tax_id.updated',
    ]);
  });

  it('tax id, discount, payment method, credit note, checkout session, review, payout', async () => {
    const events = await typesAfter(async () => {
      const txi = await stripe.customers.createTaxId('cus_sim0000000001', {
        type: 'eu_vat',
        value: 'DE123456789',
      });
      await stripe.customers.deleteTaxId('cus_sim0000000001', txi.id);
      sim.create('discounts', {
        customer: 'cus_sim0000000002',
        source: { coupon: 'coupon_sim0000000001', type: 'coupon' },
      });
      await stripe.customers.deleteDiscount('cus_sim0000000002');
      const pm = await stripe.paymentMethods.create({ type: 'card' });
      await stripe.paymentMethods.attach(pm.id, { customer: 'cus_sim0000000000' });
      await stripe.paymentMethods.detach(pm.id);
      const cn = await stripe.creditNotes.create({ invoice: 'in_sim0000000001' });
      await stripe.creditNotes.voidCreditNote(cn.id);
      const cs = sim.create('checkout_sessions', { status: 'open' });
      await stripe.checkout.sessions.expire(cs.id as string);
      const review = sim.create('reviews', { charge: 'ch_sim0000000002' });
      await stripe.reviews.approve(review.id as string);
      const po = await stripe.payouts.create({ amount: 1000, currency: 'usd' });
      await stripe.payouts.cancel(po.id);
      const seti = await stripe.setupIntents.create({ customer: 'cus_sim0000000001' });
      await stripe.setupIntents.cancel(seti.id);
      const schedule = await stripe.subscriptionSchedules.create({ customer: 'cus_sim0000000001' });
      await stripe.subscriptionSchedules.release(schedule.id);
      const promo = sim.create('promotion_codes', { code: 'NEW10' });
      sim.update('promotion_codes', promo.id as string, { active: false });
      const dispute = sim.create('disputes', { charge: 'ch_sim0000000000' });
      await stripe.disputes.close(dispute.id as string);
      const efw = sim.create('early_fraud_warnings', { charge: 'ch_sim0000000000' });
      sim.update('early_fraud_warnings', efw.id as string, { actionable: false });
    });
    expect(events.map((e) => e.type)).toEqual([
      'customer.tax_id.created',
      'customer.tax_id.deleted',
      'customer.discount.created',
      'customer.discount.deleted',
      'payment_method.attached',
      'payment_method.detached',
      'credit_note.created',
      'credit_note.voided',
      'checkout.session.expired',
      'review.opened',
      'review.closed',
      'payout.created',
      'payout.canceled',
      'setup_intent.created',
      'setup_intent.canceled',
      'subscription_schedule.created',
      'subscription_schedule.released',
      'promotion_code.created',
      'promotion_code.updated',
      'charge.dispute.created',
      'charge.dispute.closed',
      'radar.early_fraud_warning.created',
      'radar.early_fraud_warning.updated',
    ]);
    const detached = events[5]?.data.object as Stripe.PaymentMethod;
    expect(detached.customer).toBeNull();
    const deletedTaxId = events[1]?.data.object as Stripe.TaxId;
    expect(deletedTaxId.owner?.customer).toBe('cus_sim0000000001');
    expect((await stripe.customers.listTaxIds('cus_sim0000000001')).data).toEqual([]);
    expect(events.every((e) => e.account === sim.accountId)).toBe(true);
  });
});

describe('simulator: Stripe Connect', () => {
  let sim: StripeSimulator;
  let stripe: Stripe;
  const platformEvents: Stripe.Event[] = [];
  const connectEvents: Stripe.Event[] = [];
  let receivers: Server[];

  beforeAll(async () => {
    sim = new StripeSimulator({
      seed: { customers: 2 },
      connectedAccounts: [
        { seed: { customers: 5, refunds: 3, charges: 2 } },
        { seed: { customers: 7, tax_ids: 2 } },
        { id: 'acct_simthird00000001', seed: { customers: 120 } },
      ],
    });
    stripe = sdk(await sim.start());
    receivers = [
      await startReceiver('whsec_platform', platformEvents),
      await startReceiver('whsec_connect', connectEvents),
    ];
    const [plain, connect] = receivers.map(
      (r) => `http://127.0.0.1:${(r.address() as AddressInfo).port}/`,
    ) as [string, string];
    sim.addWebhookEndpoint(plain, 'whsec_platform');
    // Through the API, as the provider registers the Connect endpoint.
    const res = await fetch(`${sim.url}/v1/webhook_endpoints`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer sk_test_x',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ url: connect, connect: 'true', 'enabled_events[0]': '*' }),
    });
    const created = (await res.json()) as { id: string; secret: string };
    expect(sim.webhookEndpoints().find((e) => e.id === created.id)?.connect).toBe(true);
    // Stripe makes the secret; the receiver checks with it.
    receivers[1]?.emit('secret', created.secret);
  });

  afterAll(async () => {
    await sim.stop();
    await Promise.all(receivers.map((r) => new Promise<void>((done) => r.close(() => done()))));
  });

  it('lists connected accounts with Stripe pagination', async () => {
    const page = await stripe.accounts.list({ limit: 2 });
    expect(page.data.map((a) => a.id)).toEqual(['acct_simthird00000001', 'acct_simc0000000002']);
    expect(page.has_more).toBe(true);
    const rest = await stripe.accounts.list({ limit: 2, starting_after: page.data[1]?.id });
    expect(rest.data.map((a) => a.id)).toEqual(['acct_simc0000000001']);
    expect(rest.has_more).toBe(false);
    expect((await stripe.accounts.retrieve('acct_simc0000000002')).object).toBe('account');
    // created bounds: the n-th seeded account was created at BASE_CREATED + n.
    const created = await stripe.accounts.list({ created: { gte: 1_700_000_002 } });
    expect(created.data.map((a) => a.id)).toEqual(['acct_simthird00000001', 'acct_simc0000000002']);
  });

  it('creates a connected account over the API, seeded empty and reachable at once', async () => {
    const account = await stripe.accounts.create({ type: 'express', email: 'new@example.com' });
    expect(account).toMatchObject({ object: 'account', type: 'express', email: 'new@example.com' });
    expect(account.id).toMatch(/^acct_simc\d{10}$/);
    expect((await stripe.customers.list({}, { stripeAccount: account.id })).data).toEqual([]);
    const customer = await stripe.customers.create(
      { email: 'first@example.com' },
      { stripeAccount: account.id },
    );
    expect(customer.id).toMatch(/^cus_simc4\d{10}$/);
    await sim.webhooks.flush();
    expect(
      connectEvents.some((e) => e.account === account.id && e.type === 'customer.created'),
    ).toBe(true);
    await stripe.accounts.del(account.id);
    await sim.webhooks.flush();
    connectEvents.length = 0;
  });

  it('scopes every call to the Stripe-Account’s own objects', async () => {
    const count = async (account?: string) =>
      (await all(stripe.customers.list({ limit: 100 }, account ? { stripeAccount: account } : {})))
        .length;
    expect(await count()).toBe(2);
    expect(await count('acct_simc0000000001')).toBe(5);
    expect(await count('acct_simc0000000002')).toBe(7);
    expect(await count('acct_simthird00000001')).toBe(120);
    expect(
      (await all(stripe.refunds.list({ limit: 100 }, { stripeAccount: 'acct_simc0000000001' })))
        .length,
    ).toBe(3);
    expect((await stripe.refunds.list({ limit: 100 })).data).toHaveLength(0);
    expect(
      (await stripe.accounts.retrieveCurrent({}, { stripeAccount: 'acct_simc0000000002' })).id,
    ).toBe('acct_simc0000000002');
    await expect(stripe.customers.list({}, { stripeAccount: 'acct_nope' })).rejects.toMatchObject({
      statusCode: 403,
      code: 'account_invalid',
    });
    // Ids are unique across accounts, as Stripe's: the n-th connected account's carry `c<n>`.
    const ids = async (account?: string) =>
      (
        await all(stripe.customers.list({ limit: 100 }, account ? { stripeAccount: account } : {}))
      ).map((c) => c.id);
    const everyId = [
      ...(await ids()),
      ...(await ids('acct_simc0000000001')),
      ...(await ids('acct_simc0000000002')),
      ...(await ids('acct_simthird00000001')),
    ];
    expect(new Set(everyId).size).toBe(2 + 5 + 7 + 120);
    // Requests are the platform's (its rate limits); each account also counts its own.
    expect(
      sim.connectedAccount('acct_simthird00000001')?.requestCounts.get('GET /v1/customers'),
    ).toBe(4);
    expect(await ids('acct_simc0000000002')).toContain('cus_simc20000000006');
    expect(await ids('acct_simthird00000001')).toContain('cus_simc30000000119');
    const a = await stripe.customers.update(
      'cus_simc10000000001',
      { name: 'Only in account 1' },
      { stripeAccount: 'acct_simc0000000001' },
    );
    expect(a.name).toBe('Only in account 1');
    expect(await stripe.customers.retrieve('cus_sim0000000001')).toMatchObject({
      name: 'Customer 1',
    });
    // Another account's id is not found in this one.
    await expect(
      stripe.customers.retrieve(
        'cus_simc10000000001',
        {},
        { stripeAccount: 'acct_simc0000000002' },
      ),
    ).rejects.toMatchObject({ statusCode: 404 });
  });

  it('faults of one connected account hit only its calls; the platform’s hit all', async () => {
    const third = sim.connectedAccount('acct_simthird00000001') as StripeSimulator;
    third.failNext(1, 429);
    await expect(
      stripe.customers.list({ limit: 1 }, { stripeAccount: 'acct_simthird00000001' }),
    ).rejects.toMatchObject({ statusCode: 429 });
    expect(
      (await stripe.customers.list({ limit: 1 }, { stripeAccount: 'acct_simc0000000002' })).data,
    ).toHaveLength(1);
    expect(
      (await stripe.customers.list({ limit: 1 }, { stripeAccount: 'acct_simthird00000001' })).data,
    ).toHaveLength(1);
    sim.failNext(1, 500);
    await expect(
      stripe.customers.list({ limit: 1 }, { stripeAccount: 'acct_simc0000000002' }),
    ).rejects.toMatchObject({ statusCode: 500 });
  });

  it('delivers connected accounts’ events, with account, to the Connect endpoint only', async () => {
    platformEvents.length = 0;
    connectEvents.length = 0;
    const second = sim.connectedAccount('acct_simc0000000002') as StripeSimulator;
    await stripe.customers.update(
      'cus_simc20000000003',
      { name: 'x' },
      { stripeAccount: 'acct_simc0000000002' },
    );
    second.update('customers', 'cus_simc20000000004', { name: 'y' });
    sim.update('customers', 'cus_sim0000000000', { name: 'platform' });
    await sim.webhooks.flush();
    connectEvents.sort((a, b) => a.id.localeCompare(b.id));
    expect(connectEvents.map((e) => [e.type, e.account])).toEqual([
      ['customer.updated', 'acct_simc0000000002'],
      ['customer.updated', 'acct_simc0000000002'],
    ]);
    expect(platformEvents.map((e) => [e.type, e.account])).toEqual([
      ['customer.updated', sim.accountId],
    ]);
    // The connected account's own /v1/events has them; the platform's does not.
    const events = await stripe.events.list({}, { stripeAccount: 'acct_simc0000000002' });
    expect(events.data.map((e) => e.id)).toEqual(connectEvents.map((e) => e.id).reverse());
    expect((await stripe.events.list()).data.map((e) => e.id)).toEqual([platformEvents[0]?.id]);
  });

  it('removing a connected account sends account.application.deauthorized and denies access', async () => {
    connectEvents.length = 0;
    const res = await fetch(`${sim.url}/v1/accounts/acct_simc0000000001`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer sk_test_x' },
    });
    expect(res.status).toBe(200);
    await sim.webhooks.flush();
    connectEvents.sort((a, b) => a.id.localeCompare(b.id));
    expect(connectEvents.map((e) => [e.type, e.account])).toEqual([
      ['account.application.deauthorized', 'acct_simc0000000001'],
    ]);
    await expect(
      stripe.customers.list({}, { stripeAccount: 'acct_simc0000000001' }),
    ).rejects.toMatchObject({ statusCode: 403 });
  });
});

/**
 * A webhook receiver that verifies every delivery with Stripe's own SDK (the secret may be set
 * later with `server.emit('secret', s)`) and records the events.
 */
async function startReceiver(secret: string, into: Stripe.Event[]): Promise<Server> {
  let current = secret;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        into.push(
          Stripe.webhooks.constructEvent(
            Buffer.concat(chunks),
            String(req.headers['stripe-signature']),
            current,
          ),
        );
        res.writeHead(200).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  server.on('secret', (s: string) => (current = s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}
