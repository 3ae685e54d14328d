import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { type CanonicalChange, type EntityType } from '@paysync/contracts';

import { eventually, freePort } from '@paysync/testkit';

import { StripeProvider, type ListPage } from '../index.js';
import { recordingProxy } from '../testing/index.js';
import { STRIPE_CAPABILITIES } from './stripe.capabilities.js';
import { STRIPE_SEGMENTABLE_TYPES, stripeRetrievable } from './stripe.provider.js';

// stripe-stateful-mock is an independent fake of the Stripe API (nobody here wrote it): our listing
// and pagination code must work against it too, not only against our own simulator.
import { createExpressApp } from 'stripe-stateful-mock';

const ctx = { workspaceId: '11111111-1111-4111-8111-111111111111', source: 'backfill' as const };
const KEY = 'sk_test_independent_mock_key';

/** The first list of each type's pages (docs/providers/stripe-objects.md) and its requests. */
const BREADTH_LISTS: Record<string, { first: string; requests: number }> = {
  refund: { first: 'refunds', requests: 1 },
  dispute: { first: 'disputes', requests: 1 },
  credit_note: { first: 'creditNotes', requests: 1 },
  coupon: { first: 'coupons', requests: 1 },
  promotion_code: { first: 'promotionCodes', requests: 1 },
  subscription_schedule: { first: 'subscriptionSchedules', requests: 1 },
  checkout_session: { first: 'checkoutSessions', requests: 1 },
  payout: { first: 'payouts', requests: 1 },
  balance_transaction: { first: 'balanceTransactions', requests: 1 },
  early_fraud_warning: { first: 'earlyFraudWarnings', requests: 1 },
  review: { first: 'reviews', requests: 1 },
  setup_intent: { first: 'setupIntents', requests: 1 },
  subscription_item: { first: 'subscriptions', requests: 1 },
  invoice_line_item: { first: 'invoices', requests: 1 },
  tax_id: { first: 'customers', requests: 1 },
  discount: { first: 'customers', requests: 1 },
  payment_method: { first: 'customers', requests: 2 },
};

const LIST_OF: Record<string, string> = {
  customer: 'customers',
  product: 'products',
  price: 'prices',
  subscription: 'subscriptions',
  invoice: 'invoices',
  ...Object.fromEntries(Object.entries(BREADTH_LISTS).map(([t, { first }]) => [t, first])),
};

describe('StripeProvider against stripe-stateful-mock', () => {
  let server: Server;
  let base: string;

  async function post(path: string, form: Record<string, string>): Promise<{ id: string }> {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEY}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(form).toString(),
    });
    if (res.status !== 200) throw new Error(`${path} → ${res.status}: ${await res.text()}`);
    return (await res.json()) as { id: string };
  }

  async function listAll(
    provider: StripeProvider,
    entityType: EntityType,
    limit: number,
  ): Promise<CanonicalChange[]> {
    const out: CanonicalChange[] = [];
    let cursor: string | null = null;
    do {
      const page = await provider.listPage(entityType, { cursor, limit }, ctx);
      out.push(...page.changes);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  beforeAll(async () => {
    const app = createExpressApp();
    await new Promise<void>((resolve) => {
      server = app.listen(0, '127.0.0.1', resolve);
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('pages through customers, products and prices with exact counts and no duplicates', async () => {
    const products: string[] = [];
    for (let i = 0; i < 23; i++)
      products.push((await post('/v1/products', { name: `Product ${i}` })).id);
    for (let i = 0; i < 57; i++)
      await post('/v1/customers', { email: `c${i}@example.com`, name: `C ${i}` });
    for (let i = 0; i < 31; i++) {
      await post('/v1/prices', {
        product: products[i % products.length] as string,
        unit_amount: String(100 + i),
        currency: 'usd',
      });
    }
    const provider = new StripeProvider({
      apiKey: KEY,
      apiBaseUrl: base,
      rateLimitPerSecond: 1000,
    });
    for (const [type, expected, limit] of [
      ['customer', 57, 10],
      ['product', 23, 7],
      ['price', 31, 5],
    ] as const) {
      const changes = await listAll(provider, type, limit);
      expect(changes).toHaveLength(expected);
      expect(new Set(changes.map((c) => c.externalId)).size).toBe(expected);
    }
    // (stripe-stateful-mock 0.0.16 does not keep a customer's `name`; its email survives.)
    const emails = (await listAll(provider, 'customer', 100)).map(
      (c) => (c.data as { email: string }).email,
    );
    expect(emails).toContain('c7@example.com');
  });
});

// stripe-mock is Stripe's own mock: it validates every request against Stripe's OpenAPI spec.
// `npm test` installs the pinned binary (scripts/test.mjs); its spec (v0.203.0) knows API versions
// up to 2026-08-26.dahlia, older than the SDK's 2026-10-28.endive, so these requests name the
// newest version it knows.
describe('StripeProvider requests validated by stripe-mock', () => {
  let child: ChildProcess;
  let provider: StripeProvider;
  let mockPort: number;

  beforeAll(async () => {
    const bin = stripeMockBinary();
    const port = await freePort();
    mockPort = port;
    const httpsPort = await freePort();
    // Both listeners on loopback: by default stripe-mock also opens HTTPS on every interface.
    child = spawn(
      bin,
      ['-http-addr', `127.0.0.1:${port}`, '-https-addr', `127.0.0.1:${httpsPort}`],
      {
        // Its request log goes nowhere; start-up errors reach the test output.
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    await eventually(
      async () =>
        (
          await fetch(`http://127.0.0.1:${port}/v1/account`, {
            headers: { authorization: `Bearer ${MOCK_KEY}` },
          })
        ).ok,
      { timeoutMs: 30_000, what: `stripe-mock on ${port}` },
    );
    provider = new StripeProvider({
      // stripe-mock accepts only plain-looking test keys (no extra underscores).
      apiKey: MOCK_KEY,
      apiBaseUrl: `http://127.0.0.1:${port}`,
      rateLimitPerSecond: 1000,
      apiVersion: '2026-08-26.dahlia',
      maxAttempts: 1,
    });
  });

  afterAll(() => {
    child.kill('SIGTERM');
  });

  /** The first page of up to 100 `type`s, within created bounds when `segmentable`. */
  const firstPage = (type: EntityType, segmentable: boolean) =>
    provider.listPage(
      type,
      {
        limit: 100,
        cursor: null,
        ...(segmentable && { createdGte: 1, createdLt: 2_000_000_000 }),
      },
      ctx,
    );

  /**
   * stripe-mock ignores `starting_after` and answers each list with its one fixture object and
   * `has_more: false`. So a page resumed from a cursor (its request passed stripe-mock's
   * validation) holds exactly the first page's objects, of the type asked for, from the list the
   * cursor names (the same requests), and ends that list as the first page did.
   */
  function expectResumedAsStripeMockAnswers(
    type: EntityType,
    page: ListPage,
    resumed: ListPage,
  ): void {
    expect(resumed.changes.length).toBeGreaterThan(0);
    for (const change of resumed.changes) {
      expect(change).toMatchObject({ provider: 'stripe', source: 'backfill', entityType: type });
    }
    expect(resumed.changes.map((c) => c.externalId)).toEqual(page.changes.map((c) => c.externalId));
    expect(resumed.requests).toBe(page.requests);
    expect(resumed.nextCursor).toBe(page.nextCursor);
  }

  it.each(STRIPE_CAPABILITIES.entityTypes)(
    'accepts our list request for %s (with a cursor and created bounds) and we map its answer',
    async (type) => {
      // Types listed through a parent list take no created bounds (listed whole).
      const page = await firstPage(type, STRIPE_CAPABILITIES.segmentableEntityTypes.includes(type));
      expect(page.changes.length).toBeGreaterThan(0);
      expect(page.changes[0]).toMatchObject({ provider: 'stripe', source: 'backfill' });
      const id = page.changes[0]?.externalId as string;
      const next = await provider.listPage(
        type,
        {
          limit: 10,
          cursor: `${type === 'payment_transaction' ? 'paymentIntents' : LIST_OF[type]}:${id}`,
        },
        ctx,
      );
      expectResumedAsStripeMockAnswers(type, page, next);
    },
  );

  it.each(Object.entries(BREADTH_LISTS).map(([t, l]) => [t, l.first, l.requests] as const))(
    'accepts every request of a %s page (from %s, %d requests) and maps the answer to that type',
    async (type, first, requests) => {
      const entityType = type as EntityType;
      const page = await firstPage(entityType, STRIPE_SEGMENTABLE_TYPES.includes(entityType));
      expect(page.changes.length).toBeGreaterThan(0);
      for (const change of page.changes) {
        expect(change).toMatchObject({ provider: 'stripe', source: 'backfill', entityType });
        expect(change.data).not.toBeNull();
      }
      // stripe-mock's lists hold one object: one request, plus one per parent for children
      // without a nested list (payment methods); no nested list of its says has_more.
      expect(page.requests).toBe(requests);
      // The cursor names the list the page came from (the parent's for children), or the type's
      // next list from its start (discounts: customers, then subscriptions).
      expect([null, `${first}:`, ...(type === 'discount' ? ['subscriptions:'] : [])]).toContain(
        page.nextCursor?.startsWith(`${first}:`) ? `${first}:` : page.nextCursor,
      );
      const resumed = await provider.listPage(
        entityType,
        { limit: 10, cursor: `${first}:${String((page.changes[0]?.raw as { id: string }).id)}` },
        ctx,
      );
      expectResumedAsStripeMockAnswers(entityType, page, resumed);
    },
  );

  it('accepts the second list of discounts (subscriptions with their discounts expanded)', async () => {
    const page = await provider.listPage('discount', { cursor: 'subscriptions:', limit: 100 }, ctx);
    expect(page.requests).toBe(1);
    expect(page.changes.every((c) => c.entityType === 'discount')).toBe(true);
  });

  it('refuses created bounds for types listed through a parent', async () => {
    for (const type of Object.keys(BREADTH_LISTS) as EntityType[]) {
      if (STRIPE_SEGMENTABLE_TYPES.includes(type)) continue;
      await expect(provider.listPage(type, { createdGte: 1 }, ctx)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    }
    expect([...STRIPE_SEGMENTABLE_TYPES].sort()).toEqual(
      Object.keys(BREADTH_LISTS)
        .concat(['customer', 'product', 'price', 'subscription', 'invoice', 'payment_transaction'])
        .filter(
          (t) =>
            ![
              'subscription_item',
              'invoice_line_item',
              'tax_id',
              'discount',
              'payment_method',
            ].includes(t),
        )
        .sort(),
    );
  });

  it('accepts our retrieve requests', async () => {
    for (const [type, id] of [
      ['customer', 'cus_123'],
      ['subscription', 'sub_123'],
      ['invoice', 'in_123'],
      ['payment_transaction', 'pi_123'],
      ['payment_transaction', 'ch_123'],
      ['refund', 're_123'],
      ['dispute', 'dp_123'],
      ['credit_note', 'cn_123'],
      ['coupon', 'SUMMER25'],
      ['promotion_code', 'promo_123'],
      ['payment_method', 'pm_123'],
      ['subscription_item', 'si_123'],
      ['subscription_schedule', 'sub_sched_123'],
      ['tax_id', 'txi_123'],
      ['checkout_session', 'cs_test_123'],
      ['payout', 'po_123'],
      ['balance_transaction', 'txn_123'],
      ['early_fraud_warning', 'issfr_123'],
      ['review', 'prv_123'],
      ['setup_intent', 'seti_123'],
    ] as const) {
      const change = await provider.retrieve(type, id, ctx);
      expect(change.entityType).toBe(type);
      expect(change.deleted).toBe(false);
      expect(change.data).not.toBeNull();
    }
    // Stripe has no GET of one invoice line or one discount.
    for (const type of ['invoice_line_item', 'discount'] as const) {
      expect(stripeRetrievable(type)).toBe(false);
      await expect(provider.retrieve(type, 'il_123', ctx)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    }
  });

  it('accepts our webhook endpoint creation (event types we sync, pinned API version)', async () => {
    const endpoint = await provider.registerWebhookEndpoint(
      'https://paysync.example.com/webhooks/stripe/abc',
    );
    expect(endpoint.id).toMatch(/^we_/);
    expect(await provider.testConnection()).toMatchObject({ mode: 'test' });
  });

  it('accepts our update of an existing endpoint to every event type we sync', async () => {
    // stripe-mock lists one endpoint at this URL, subscribed to two charge events only: ours
    // updates its enabled events (each validated against the API version's list, one attempt).
    // A loopback proxy in front of stripe-mock records which requests were made.
    const proxy = await recordingProxy(`http://127.0.0.1:${mockPort}`);
    try {
      const viaProxy = new StripeProvider({
        apiKey: MOCK_KEY,
        apiBaseUrl: proxy.url,
        rateLimitPerSecond: 1000,
        apiVersion: '2026-08-26.dahlia',
        maxAttempts: 1,
      });
      const url = 'https://example.com/my/webhook/endpoint';
      const endpoint = await viaProxy.registerWebhookEndpoint(url);
      expect(endpoint).toEqual({
        id: expect.stringMatching(/^we_/),
        url,
        secret: null,
        created: false,
      });
      expect(proxy.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        'GET /v1/webhook_endpoints',
        `POST /v1/webhook_endpoints/${endpoint.id}`,
      ]);
    } finally {
      await proxy.close();
    }
  });
});

const MOCK_KEY = 'sk_test_123paysync';

function stripeMockBinary(): string {
  if (process.env.STRIPE_MOCK_BIN) return process.env.STRIPE_MOCK_BIN;
  const gopath = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).stdout.trim();
  const bin = join(gopath, 'bin', 'stripe-mock');
  if (!existsSync(bin)) {
    throw new Error(
      `stripe-mock not found at ${bin}: npm test installs it (go install github.com/stripe/stripe-mock@v0.203.0)`,
    );
  }
  return bin;
}
