import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import Chargebee from 'chargebee';

import type { CanonicalChange, EntityType } from '@paysync/contracts';
import { ProviderError, WebhookVerificationError } from '@paysync/errors';
import { BASE_CREATED, ChargebeeSimulator } from '@paysync/simulator';
import { eventually } from '@paysync/testkit';

import { ChargebeeProvider } from './chargebee.provider.js';

import type { RateLimiter } from '../http/token-bucket.js';

// The adapter through the real chargebee SDK (v3) against the Chargebee simulator on 127.0.0.1.

const ctx = { workspaceId: '11111111-1111-4111-8111-111111111111', source: 'backfill' as const };
const KEY = 'test_sim_key';

let sim: ChargebeeSimulator;
let provider: ChargebeeProvider;

function makeProvider(overrides: Partial<ConstructorParameters<typeof ChargebeeProvider>[0]> = {}) {
  return new ChargebeeProvider({
    site: 'acme-test',
    apiKey: KEY,
    apiBaseUrl: sim.url,
    rateLimitPerSecond: 2000,
    ...overrides,
  });
}

async function listAll(
  entityType: EntityType,
  params: { updatedAfter?: number; limit?: number } = {},
  p: ChargebeeProvider = provider,
) {
  const changes: CanonicalChange[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await p.listPage(entityType, { cursor, limit: 100, ...params }, ctx);
    changes.push(...page.changes);
    cursor = page.nextCursor;
    pages++;
  } while (cursor && pages < 1000);
  return { changes, pages };
}

beforeAll(async () => {
  sim = new ChargebeeSimulator({
    seed: {
      customer: 250,
      item: 12,
      item_price: 24,
      subscription: 40,
      invoice: 30,
      transaction: 30,
    },
  });
  await sim.start();
  provider = makeProvider();
});

afterAll(async () => {
  await sim?.stop();
});

describe('ChargebeeProvider against the simulator, through the SDK', () => {
  it('lists 250 customers across three pages (limit 100, next_offset), each once, by resource_version', async () => {
    const { changes, pages } = await listAll('customer');
    expect(pages).toBe(3);
    expect(changes).toHaveLength(250);
    expect(new Set(changes.map((c) => c.externalId)).size).toBe(250);
    const first = changes[0] as CanonicalChange<'customer'>;
    expect(first).toMatchObject({
      provider: 'chargebee',
      entityType: 'customer',
      version: BASE_CREATED * 1000,
      deleted: false,
      livemode: false,
      data: { email: 'customer0@example.com', currency: 'usd' },
    });
    // Oldest change first: versions never go down along the listing.
    const versions = changes.map((c) => c.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
  });

  it('lists every entity type with its mapping (items → products, item prices → prices, …)', async () => {
    const products = await listAll('product');
    expect(products.changes).toHaveLength(12);
    const prices = await listAll('price');
    expect(prices.changes[0]).toMatchObject({
      entityType: 'price',
      data: { productExternalId: expect.any(String), unitAmount: 500, type: 'recurring' },
    });
    const subs = await listAll('subscription');
    expect(subs.changes[0]).toMatchObject({
      entityType: 'subscription',
      data: { status: 'active', items: [{ priceExternalId: expect.any(String), quantity: 1 }] },
    });
    expect((await listAll('invoice')).changes).toHaveLength(30);
    expect((await listAll('payment_transaction')).changes[0]).toMatchObject({
      entityType: 'payment_transaction',
      data: { kind: 'transaction', status: 'succeeded', amount: 1000 },
    });
  });

  it('include_deleted: a deleted customer is listed as a tombstone, and retrieve says it is gone', async () => {
    const victim = sim.create('customer', { email: 'gone@example.com' });
    sim.delete('customer', String(victim.id));
    const { changes } = await listAll('customer');
    const tomb = changes.find((c) => c.externalId === victim.id);
    expect(tomb).toMatchObject({ deleted: true, data: { email: 'gone@example.com' } });
    const retrieved = await provider.retrieve('customer', String(victim.id), ctx);
    expect(retrieved).toMatchObject({ deleted: true, data: null, externalId: victim.id });
  });

  it('incremental listing: updated_at[after] returns only what changed since, newest version', async () => {
    const before = await listAll('invoice');
    const since = Math.max(
      ...before.changes.map((c) => Number((c.raw as { updated_at: number }).updated_at)),
    );
    sim.freezeClock(since + 100);
    try {
      const a = sim.update('invoice', String(before.changes[3]?.externalId), { status: 'voided' });
      const b = sim.update('invoice', String(before.changes[7]?.externalId), { amount_due: 5 });
      const { changes } = await listAll('invoice', { updatedAfter: since });
      expect(changes.map((c) => [c.externalId, c.version])).toEqual([
        [a.id, a.resource_version],
        [b.id, b.resource_version],
      ]);
      expect(changes[0]?.data).toMatchObject({ status: 'void' });
      expect(Number(b.resource_version)).toBeGreaterThan(Number(a.resource_version));
    } finally {
      sim.freezeClock(undefined);
    }
  });

  it('an object changed mid-listing moves behind the cursor and is listed again, not skipped', async () => {
    const first = await provider.listPage('price', { cursor: null, limit: 10 }, ctx);
    const moved = first.changes[0]?.externalId as string;
    sim.update('item_price', moved, { price: 99_900 });
    let cursor = first.nextCursor;
    const rest: CanonicalChange[] = [];
    while (cursor) {
      const page = await provider.listPage('price', { cursor, limit: 10 }, ctx);
      rest.push(...page.changes);
      cursor = page.nextCursor;
    }
    expect(rest.filter((c) => c.externalId === moved)).toHaveLength(1);
    expect(first.changes.length + rest.length).toBe(25);
  });

  it('segments by creation time ([gte, lt), seconds) where the list can, refuses where it cannot', async () => {
    const segment = { createdGte: BASE_CREATED + 10, createdLt: BASE_CREATED + 20 };
    const customers = await provider.listPage('customer', { cursor: null, ...segment }, ctx);
    expect(customers.changes.map((c) => c.externalId)).toEqual(
      Array.from({ length: 10 }, (_, i) => `cbsim_cus_000000${String(10 + i)}`),
    );
    const invoices = await provider.listPage('invoice', { cursor: null, ...segment }, ctx);
    expect(invoices.changes).toHaveLength(10);
    expect(
      invoices.changes.every((c) => {
        const at = (c.data as { providerCreatedAt: Date }).providerCreatedAt.getTime() / 1000;
        return at >= segment.createdGte && at < segment.createdLt;
      }),
    ).toBe(true);
    await expect(
      provider.listPage('product', { cursor: null, ...segment }, ctx),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('an unknown entity type is a validation error, not a retried provider call', async () => {
    const started = Date.now();
    await expect(
      provider.listPage('coupon' as EntityType, { cursor: null }, ctx),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('retrieves one object of each type at its resource_version', async () => {
    const sub = sim.getObject('subscription', 'cbsim_sub_00000003');
    const change = await provider.retrieve('subscription', 'cbsim_sub_00000003', ctx);
    expect(change).toMatchObject({ version: sub?.resource_version, deleted: false });
    const item = await provider.retrieve('product', 'cbsim_item_00000001', ctx);
    expect(item).toMatchObject({ entityType: 'product', data: { name: 'Plan 1' } });
  });

  it('honours Retry-After on a 429 api_request_limit_exceeded, and tells the shared limiter', async () => {
    const throttles: number[] = [];
    const limiter: RateLimiter = {
      acquire: async () => undefined,
      onThrottled: (ms) => throttles.push(ms),
    };
    const p = makeProvider({ rateLimiter: limiter });
    sim.faults = { ...sim.faults, retryAfterSeconds: 1 };
    sim.failNext(1, 429);
    const from = sim.requestLog.length;
    const page = await p.listPage('customer', { cursor: null, limit: 5 }, ctx);
    expect(page.changes).toHaveLength(5);
    expect(page.requests).toBe(2);
    const [throttled, retried] = sim.requestLog.slice(from);
    expect(throttled?.status).toBe(429);
    expect(retried?.status).toBe(200);
    // Waited the full second Chargebee asked for (the arrival clock has ms resolution).
    expect((retried?.atMs ?? 0) - (throttled?.atMs ?? 0)).toBeGreaterThanOrEqual(990);
    expect(throttles).toEqual([1000]);
  });

  it('retries a 500 and a reset connection, then succeeds', async () => {
    const p = makeProvider();
    sim.failNext(1, 500);
    sim.failNext(1, 0);
    const page = await p.listPage('product', { cursor: null, limit: 3 }, ctx);
    expect(page.changes).toHaveLength(3);
    expect(page.requests).toBe(3);
  });

  it('the SDK rejects with a plain object (not an Error) carrying Chargebee’s error JSON', async () => {
    const url = new URL(sim.url);
    const sdk = new Chargebee({
      site: url.hostname,
      apiKey: 'test_wrong_key',
      hostSuffix: '',
      protocol: 'http',
      port: Number(url.port),
    });
    const err: unknown = await sdk.customer.list({ limit: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err instanceof Error).toBe(false);
    expect(err).toMatchObject({
      type: 'invalid_request',
      api_error_code: 'api_authentication_failed',
      http_status_code: 401,
      message: expect.any(String),
    });
  });

  it('maps a 401 to a non-retryable ProviderError after one attempt, without the key in it', async () => {
    const p = makeProvider({ apiKey: 'test_revoked_key_123' });
    const err = await p.listPage('customer', { cursor: null }, ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({
      code: 'PROVIDER_ERROR',
      retryable: false,
      details: {
        provider: 'chargebee',
        statusCode: 401,
        chargebeeCode: 'api_authentication_failed',
        attempts: 1,
      },
    });
    expect(String((err as Error).message)).not.toContain('test_revoked_key_123');
    await expect(p.testConnection()).rejects.toBeInstanceOf(ProviderError);
    await expect(provider.testConnection()).resolves.toEqual({
      accountId: 'acme-test',
      mode: 'test',
    });
  });

  it('lists events since a time, oldest first, across pages, synced types only', async () => {
    const since = sim.nowSeconds() + 10;
    sim.freezeClock(since);
    try {
      for (let i = 0; i < 3; i++) sim.create('customer', { email: `e${i}@example.com` });
      sim.trigger('coupon_created', { coupon: { id: 'c1' } });
      sim.update(
        'subscription',
        'cbsim_sub_00000001',
        { status: 'paused' },
        {
          eventType: 'subscription_paused',
        },
      );
    } finally {
      sim.freezeClock(undefined);
    }
    const types: string[] = [];
    let listed = 0;
    let cursor: string | null = null;
    do {
      const page = await provider.listEvents({ createdGte: since, cursor, limit: 2 });
      types.push(...page.events.map((e) => e.type));
      listed += page.listed;
      cursor = page.nextCursor;
    } while (cursor);
    expect(listed).toBe(5);
    expect(types).toEqual([
      'customer_created',
      'customer_created',
      'customer_created',
      'subscription_paused',
    ]);
  });

  it('rehydrates a stored event and refetches its resource for replay', async () => {
    const event = sim.update('customer', 'cbsim_cus_00000010', { email: 'new@example.com' });
    const stored = JSON.parse(JSON.stringify(sim.events.at(-1))) as unknown;
    const rehydrated = provider.rehydrateEvent(stored);
    expect(rehydrated).toMatchObject({ type: 'customer_changed', objectId: event.id });
    const mapped = provider.mapEvent(rehydrated, { ...ctx, source: 'replay' });
    expect(mapped.kind === 'changes' && mapped.changes[0]?.version).toBe(event.resource_version);
    const refetched = await provider.refetchEvent(rehydrated, { ...ctx, source: 'replay' });
    expect(refetched).toMatchObject({ kind: 'refetched', deleted: false });
    const again =
      refetched.kind === 'refetched'
        ? provider.mapEvent(refetched.event, { ...ctx, source: 'replay' })
        : undefined;
    expect(again).toMatchObject({
      kind: 'changes',
      changes: [{ externalId: event.id, version: event.resource_version, source: 'replay' }],
    });
  });
});

describe('Chargebee webhooks from the simulator (HTTP Basic)', () => {
  let server: Server;
  const received: { headers: IncomingHttpHeaders; body: Buffer }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    sim.addWebhookEndpoint(`http://127.0.0.1:${port}/webhooks/chargebee/conn-1`, 'paysync', 'pw-1');
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('verifies with the connection credential and refuses any other', async () => {
    const customer = sim.create('customer', { email: 'hook@example.com' });
    const delivery = await eventually(
      () => received.find((r) => r.body.toString().includes(String(customer.id))),
      { what: 'the customer_created webhook' },
    );
    const event = provider.verifyWebhook(delivery.body, delivery.headers, [
      'paysync:rotated-away',
      'paysync:pw-1',
    ]);
    expect(event).toMatchObject({ type: 'customer_created', objectId: customer.id });
    const mapped = provider.mapEvent(event, { ...ctx, source: 'webhook' });
    expect(mapped).toMatchObject({
      kind: 'changes',
      changes: [{ externalId: customer.id, version: customer.resource_version }],
    });
    expect(() => provider.verifyWebhook(delivery.body, delivery.headers, ['paysync:pw-2'])).toThrow(
      WebhookVerificationError,
    );
  });

  it('delivers duplicates when asked (same event id twice)', async () => {
    sim.setDelivery({ duplicateRate: 1 });
    try {
      const customer = sim.create('customer', { email: 'twice@example.com' });
      const copies = await eventually(
        () => {
          const c = received.filter((r) => r.body.toString().includes(String(customer.id)));
          return c.length === 2 ? c : undefined;
        },
        { what: 'two deliveries' },
      );
      const ids = copies.map((c) => provider.verifyWebhook(c.body, c.headers, ['paysync:pw-1']).id);
      expect(ids[0]).toBe(ids[1]);
    } finally {
      sim.setDelivery({ duplicateRate: 0 });
    }
  });
});
