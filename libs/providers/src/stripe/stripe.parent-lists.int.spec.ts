import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { CanonicalChange, EntityType } from '@paysync/contracts';

import { StripeProvider } from './stripe.provider.js';

// Children listed through their parents (docs/providers/stripe-objects.md): nested lists past
// Stripe's first 10 with their follow-up endpoints, per-customer payment methods, the page's
// version and request count. A scripted fake of those few Stripe endpoints answers.
const ctx = { workspaceId: '11111111-1111-4111-8111-111111111111', source: 'backfill' as const };

const FIRST_DATE = 'Sun, 29 Nov 2026 10:00:00 GMT';
const LATER_DATE = 'Sun, 29 Nov 2026 10:00:05 GMT';

type Json = Record<string, unknown>;
const list = (data: Json[], hasMore: boolean, url = '/v1/x'): Json => ({
  object: 'list',
  data,
  has_more: hasMore,
  url,
});
const ids = (prefix: string, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);
const item = (id: string, subscription: string): Json => ({
  id,
  object: 'subscription_item',
  subscription,
  price: { id: 'price_1', object: 'price', product: 'prod_1' },
  quantity: 1,
  created: 1_700_000_000,
});
const line = (id: string): Json => ({ id, object: 'line_item', amount: 100, currency: 'usd' });
const taxId = (id: string): Json => ({ id, object: 'tax_id', type: 'eu_vat', value: id });
const pm = (id: string, customer: string): Json => ({
  id,
  object: 'payment_method',
  type: 'card',
  customer,
  card: { brand: 'visa', last4: '4242', exp_month: 1, exp_year: 2030 },
});

/** Path + query (sorted) → [status, body]; a request not scripted is a 500 the test sees. */
function routes(): Map<string, () => [number, Json]> {
  const r = new Map<string, () => [number, Json]>();
  const add = (key: string, body: Json, status = 200) => r.set(key, () => [status, body]);
  // Subscriptions: sub_A has 10 items shown and 106 more; sub_B is canceled with one item.
  add(
    '/v1/subscriptions?limit=100&status=all',
    list(
      [
        {
          id: 'sub_A',
          object: 'subscription',
          status: 'active',
          items: list(
            ids('si_A', 1, 10).map((i) => item(i, 'sub_A')),
            true,
            '/v1/subscription_items?subscription=sub_A',
          ),
        },
        {
          id: 'sub_B',
          object: 'subscription',
          status: 'canceled',
          items: list([item('si_B1', 'sub_B')], false),
        },
      ],
      false,
    ),
  );
  add(
    '/v1/subscription_items?limit=100&starting_after=si_A10&subscription=sub_A',
    list(
      ids('si_A', 11, 110).map((i) => item(i, 'sub_A')),
      true,
    ),
  );
  add(
    '/v1/subscription_items?limit=100&starting_after=si_A110&subscription=sub_A',
    list(
      ids('si_A', 111, 116).map((i) => item(i, 'sub_A')),
      false,
    ),
  );
  // Invoices: in_1's lines past the first 10, on a second page of the parent list.
  add(
    '/v1/invoices?limit=1',
    list([{ id: 'in_1', object: 'invoice', lines: list(ids('il_', 1, 10).map(line), true) }], true),
  );
  add(
    '/v1/invoices/in_1/lines?limit=100&starting_after=il_10',
    list(ids('il_', 11, 13).map(line), false),
  );
  add(
    '/v1/invoices?limit=1&starting_after=in_1',
    list([{ id: 'in_2', object: 'invoice', lines: list([line('il_20')], false) }], false),
  );
  // Customers with their tax ids expanded (cus_1: 10 + 2 more), and a discount on cus_2.
  const customers = [
    { id: 'cus_1', object: 'customer', tax_ids: list(ids('txi_', 1, 10).map(taxId), true) },
    {
      id: 'cus_2',
      object: 'customer',
      tax_ids: list([], false),
      discount: { id: 'di_1', object: 'discount', customer: null, source: { coupon: 'C25' } },
    },
    { id: 'cus_gone', object: 'customer', tax_ids: list([], false), discount: null },
  ];
  add('/v1/customers?expand[0]=data.tax_ids&limit=100', list(customers, false));
  add(
    '/v1/customers/cus_1/tax_ids?limit=100&starting_after=txi_10',
    list(ids('txi_', 11, 12).map(taxId), false),
  );
  add('/v1/customers?limit=100', list(customers, false));
  add(
    '/v1/subscriptions?expand[0]=data.discounts&limit=100&status=all',
    list(
      [
        {
          id: 'sub_D',
          object: 'subscription',
          customer: 'cus_1',
          status: 'active',
          discounts: [{ id: 'di_2', object: 'discount', subscription: null }, 'di_unexpanded'],
        },
      ],
      false,
    ),
  );
  // Payment methods per customer: cus_1 has 101 (two pages), cus_2 none, cus_gone is gone.
  add(
    '/v1/customers/cus_1/payment_methods?limit=100',
    list(
      ids('pm_', 1, 100).map((i) => pm(i, 'cus_1')),
      true,
    ),
  );
  add(
    '/v1/customers/cus_1/payment_methods?limit=100&starting_after=pm_100',
    list([pm('pm_101', 'cus_1')], false),
  );
  add('/v1/customers/cus_2/payment_methods?limit=100', list([], false));
  add(
    '/v1/customers/cus_gone/payment_methods?limit=100',
    { error: { type: 'invalid_request_error', message: 'No such customer' } },
    404,
  );
  return r;
}

describe('StripeProvider: children listed through their parents', () => {
  let server: Server;
  let provider: StripeProvider;
  const seen: string[] = [];
  /** Requests (path+query) answered once with a 429 before the scripted answer. */
  const throttleOnce = new Set<string>();

  beforeAll(async () => {
    const script = routes();
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const query = [...url.searchParams.entries()]
        .map(([k, v]) => `${decodeURIComponent(k)}=${v}`)
        .sort()
        .join('&');
      const key = `${url.pathname}${query ? `?${query}` : ''}`;
      const first = seen.length === 0 || seen.at(-1) === 'MARK';
      seen.push(key);
      if (throttleOnce.delete(key)) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' });
        res.end(JSON.stringify({ error: { type: 'rate_limit_error', message: 'slow down' } }));
        return;
      }
      const answer = script.get(key);
      const [status, body] = answer ? answer() : [500, { error: { message: `unscripted ${key}` } }];
      res.writeHead(status, {
        'content-type': 'application/json',
        date: first ? FIRST_DATE : LATER_DATE,
      });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    provider = new StripeProvider({
      apiKey: 'sk_test_parentlists',
      apiBaseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      rateLimitPerSecond: 1000,
      maxAttempts: 3,
    });
  });

  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  async function page(type: EntityType, cursor: string | null = null, limit = 100) {
    seen.push('MARK');
    const p = await provider.listPage(type, { cursor, limit }, ctx);
    const requests = seen.splice(seen.lastIndexOf('MARK')).slice(1);
    return { ...p, requestLog: requests };
  }
  const idsOf = (changes: readonly CanonicalChange[]) => changes.map((c) => c.externalId);
  /** Version → the ids carrying it, in page order. */
  const versionsOf = (changes: readonly CanonicalChange[]) => {
    const out: Record<number, string[]> = {};
    for (const c of changes) (out[c.version] ??= []).push(c.externalId);
    return out;
  };

  it('subscription items: the first 10, then every follow-up page; a canceled subscription’s items are tombstones', async () => {
    const p = await page('subscription_item');
    expect(p.requestLog).toEqual([
      '/v1/subscriptions?limit=100&status=all',
      '/v1/subscription_items?limit=100&starting_after=si_A10&subscription=sub_A',
      '/v1/subscription_items?limit=100&starting_after=si_A110&subscription=sub_A',
    ]);
    expect(idsOf(p.changes)).toEqual([...ids('si_A', 1, 116), 'si_B1']);
    expect(p.changes.every((c) => c.entityType === 'subscription_item')).toBe(true);
    expect(p.changes.filter((c) => c.deleted).map((c) => c.externalId)).toEqual(['si_B1']);
    expect(p.changes.at(-1)?.data).toMatchObject({ subscriptionExternalId: 'sub_B' });
    // The page's version is its first response's Date; each child carries the Date of the
    // response it was read from: the subscription page's for the nested ones, a follow-up's
    // (later) for the rest.
    expect(p.version).toBe(Date.parse(FIRST_DATE));
    expect(versionsOf(p.changes)).toEqual({
      [Date.parse(FIRST_DATE)]: [...ids('si_A', 1, 10), 'si_B1'],
      [Date.parse(LATER_DATE)]: ids('si_A', 11, 116),
    });
    expect(p.requests).toBe(3);
    expect(p.nextCursor).toBeNull();
  });

  it('invoice lines: the rest of a nested list, and the parent list’s cursor across pages', async () => {
    const first = await page('invoice_line_item', null, 1);
    expect(idsOf(first.changes)).toEqual(ids('il_', 1, 13));
    expect(first.changes[0]?.data).toMatchObject({ invoiceExternalId: 'in_1', amount: 100 });
    expect(first.requests).toBe(2);
    expect(versionsOf(first.changes)).toEqual({
      [Date.parse(FIRST_DATE)]: ids('il_', 1, 10),
      [Date.parse(LATER_DATE)]: ids('il_', 11, 13),
    });
    expect(first.nextCursor).toBe('invoices:in_1');
    const second = await page('invoice_line_item', first.nextCursor, 1);
    expect(idsOf(second.changes)).toEqual(['il_20']);
    expect(second.requests).toBe(1);
    expect(second.nextCursor).toBeNull();
  });

  it('tax ids: customers with tax_ids expanded, then a customer’s own list; retries count as requests', async () => {
    throttleOnce.add('/v1/customers/cus_1/tax_ids?limit=100&starting_after=txi_10');
    const p = await page('tax_id');
    expect(p.requestLog).toEqual([
      '/v1/customers?expand[0]=data.tax_ids&limit=100',
      '/v1/customers/cus_1/tax_ids?limit=100&starting_after=txi_10',
      '/v1/customers/cus_1/tax_ids?limit=100&starting_after=txi_10',
    ]);
    expect(idsOf(p.changes)).toEqual(ids('txi_', 1, 12));
    expect(p.changes[11]?.data).toMatchObject({ customerExternalId: 'cus_1', type: 'eu_vat' });
    expect(versionsOf(p.changes)).toEqual({
      [Date.parse(FIRST_DATE)]: ids('txi_', 1, 10),
      [Date.parse(LATER_DATE)]: ids('txi_', 11, 12),
    });
    expect(p.requests).toBe(3);
  });

  it('discounts: a customer’s discount, then subscriptions’ expanded discounts', async () => {
    const first = await page('discount');
    expect(first.requestLog).toEqual(['/v1/customers?limit=100']);
    expect(idsOf(first.changes)).toEqual(['di_1']);
    expect(first.changes[0]?.data).toMatchObject({
      customerExternalId: 'cus_2',
      couponExternalId: 'C25',
    });
    expect(first.nextCursor).toBe('subscriptions:');
    const second = await page('discount', first.nextCursor);
    expect(second.requestLog).toEqual([
      '/v1/subscriptions?expand[0]=data.discounts&limit=100&status=all',
    ]);
    // An unexpanded id carries nothing to store.
    expect(idsOf(second.changes)).toEqual(['di_2']);
    expect(second.changes[0]?.data).toMatchObject({
      subscriptionExternalId: 'sub_D',
      customerExternalId: 'cus_1',
    });
    expect(second.nextCursor).toBeNull();
  });

  it('payment methods: each customer’s list to its end; a customer gone since its page has none', async () => {
    const p = await page('payment_method');
    expect(p.requestLog).toEqual([
      '/v1/customers?limit=100',
      '/v1/customers/cus_1/payment_methods?limit=100',
      '/v1/customers/cus_1/payment_methods?limit=100&starting_after=pm_100',
      '/v1/customers/cus_2/payment_methods?limit=100',
      '/v1/customers/cus_gone/payment_methods?limit=100',
    ]);
    expect(idsOf(p.changes)).toEqual(ids('pm_', 1, 101));
    expect(p.changes[0]?.data).toMatchObject({ customerExternalId: 'cus_1', cardLast4: '4242' });
    // Every payment method comes from a follow-up request: none carries the customers page's Date.
    expect(versionsOf(p.changes)).toEqual({ [Date.parse(LATER_DATE)]: ids('pm_', 1, 101) });
    expect(p.requests).toBe(5);
    expect(p.nextCursor).toBeNull();
  });
});
