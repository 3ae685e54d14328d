import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { CanonicalChange, EntityType } from '@paysync/contracts';
import { StripeSimulator } from '@paysync/simulator';
import { eventually } from '@paysync/testkit';

import { StripeProvider, verifyStripeWebhook, type ProviderEvent } from '../index.js';

const ctx = { workspaceId: '11111111-1111-4111-8111-111111111111', source: 'backfill' as const };
const KEY = 'sk_test_simulator_key_0001';

async function listAll(
  provider: StripeProvider,
  entityType: EntityType,
  startCursor: string | null = null,
  maxPages = Infinity,
) {
  const changes: CanonicalChange[] = [];
  let cursor = startCursor;
  let pages = 0;
  let requests = 0;
  do {
    const page = await provider.listPage(entityType, { cursor, limit: 100 }, ctx);
    changes.push(...page.changes);
    requests += page.requests;
    cursor = page.nextCursor;
    pages++;
  } while (cursor && pages < maxPages);
  return { changes, cursor, pages, requests };
}

describe('StripeProvider against the simulator', () => {
  let sim: StripeSimulator;
  let provider: StripeProvider;

  beforeAll(async () => {
    sim = new StripeSimulator({
      seed: {
        customers: 10_000,
        products: 30,
        prices: 60,
        subscriptions: 250,
        invoices: 120,
        payment_intents: 150,
        charges: 130,
      },
      revokedKeys: ['sk_test_revoked_key_0001'],
    });
    await sim.start();
    provider = new StripeProvider({ apiKey: KEY, apiBaseUrl: sim.url, rateLimitPerSecond: 2000 });
  });

  afterAll(async () => {
    await sim.stop();
  });

  it('lists 10,000 customers through pagination, exactly once each', async () => {
    const { changes, pages } = await listAll(provider, 'customer');
    expect(changes).toHaveLength(10_000);
    expect(new Set(changes.map((c) => c.externalId)).size).toBe(10_000);
    expect(pages).toBe(100);
    expect(changes[0]).toMatchObject({
      entityType: 'customer',
      provider: 'stripe',
      deleted: false,
      source: 'backfill',
    });
    // Every object of a page carries the page's Date header as its version.
    expect(Math.abs((changes[0]?.version ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it('resumes from a saved cursor without gaps or duplicates', async () => {
    const first = await listAll(provider, 'customer', null, 37);
    expect(first.cursor).not.toBeNull();
    const rest = await listAll(provider, 'customer', first.cursor);
    const ids = [...first.changes, ...rest.changes].map((c) => c.externalId);
    expect(ids).toHaveLength(10_000);
    expect(new Set(ids).size).toBe(10_000);
  });

  it('survives 429s (honouring Retry-After), 5xx and connection resets without losing a page', async () => {
    sim.faults = { ...sim.faults, retryAfterSeconds: 0 };
    sim.failNext(3, 429);
    sim.failNext(2, 500);
    sim.failNext(1, 0);
    sim.faults = { ...sim.faults, rate429: 0.04, rate500: 0.03, rateReset: 0.02 };
    try {
      const { changes, requests, pages } = await listAll(provider, 'customer');
      expect(changes).toHaveLength(10_000);
      expect(new Set(changes.map((c) => c.externalId)).size).toBe(10_000);
      expect(requests).toBeGreaterThan(pages); // retries happened and were counted
    } finally {
      sim.faults = { latencyMs: 0, rate429: 0, rate500: 0, rateReset: 0, retryAfterSeconds: 1 };
    }
  });

  it('gives up after its attempts with a retryable error, and fails fast on a revoked key', async () => {
    const impatient = new StripeProvider({
      apiKey: KEY,
      apiBaseUrl: sim.url,
      rateLimitPerSecond: 2000,
      maxAttempts: 2,
    });
    sim.failNext(2, 500);
    await expect(impatient.listPage('customer', {}, ctx)).rejects.toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      retryable: true,
      details: expect.objectContaining({ statusCode: 500, attempts: 2 }),
    });
    const revoked = new StripeProvider({ apiKey: 'sk_test_revoked_key_0001', apiBaseUrl: sim.url });
    await expect(revoked.listPage('customer', {}, ctx)).rejects.toMatchObject({
      code: 'PROVIDER_ERROR',
      retryable: false,
      details: expect.objectContaining({ statusCode: 401, attempts: 1 }),
    });
  });

  it('lists every entity type; payments span intents then charges; canceled subscriptions are tombstones', async () => {
    const canceled = sim.delete('subscriptions', 'sub_sim0000000007', { silent: true });
    expect(canceled.status).toBe('canceled');
    const counts: Record<string, number> = {};
    for (const type of [
      'product',
      'price',
      'subscription',
      'invoice',
      'payment_transaction',
    ] as const) {
      const { changes } = await listAll(provider, type);
      counts[type] = changes.length;
      if (type === 'subscription') {
        expect(changes.find((c) => c.externalId === 'sub_sim0000000007')).toMatchObject({
          deleted: true,
        });
        expect(changes.filter((c) => c.deleted)).toHaveLength(1);
      }
      if (type === 'payment_transaction') {
        expect(new Set(changes.map((c) => (c.data as { kind: string }).kind))).toEqual(
          new Set(['payment_intent', 'charge']),
        );
      }
    }
    expect(counts).toEqual({
      product: 30,
      price: 60,
      subscription: 250,
      invoice: 120,
      payment_transaction: 280,
    });
  });

  it('lists a created-time segment only', async () => {
    const page = await provider.listPage(
      'customer',
      { createdGte: 1_700_000_100, createdLt: 1_700_000_150, limit: 100 },
      ctx,
    );
    expect(page.changes).toHaveLength(50);
    expect(page.nextCursor).toBeNull();
  });

  it('retrieves current state, and a tombstone for deleted or missing objects', async () => {
    sim.update('customers', 'cus_sim0000000042', { name: 'Renamed' }, { silent: true });
    expect(await provider.retrieve('customer', 'cus_sim0000000042', ctx)).toMatchObject({
      deleted: false,
      data: expect.objectContaining({ name: 'Renamed' }),
    });
    sim.delete('customers', 'cus_sim0000000043', { silent: true });
    expect(await provider.retrieve('customer', 'cus_sim0000000043', ctx)).toMatchObject({
      deleted: true,
      data: null,
    });
    expect(await provider.retrieve('invoice', 'in_sim9999999999', ctx)).toMatchObject({
      deleted: true,
      data: null,
    });
    expect(await provider.retrieve('payment_transaction', 'ch_sim0000000001', ctx)).toMatchObject({
      data: expect.objectContaining({ kind: 'charge' }),
    });
  });

  it('tests the connection and registers one webhook endpoint idempotently', async () => {
    expect(await provider.testConnection()).toEqual({ accountId: sim.accountId, mode: 'test' });
    const first = await provider.registerWebhookEndpoint('http://127.0.0.1:1/webhooks/stripe/abc');
    expect(first).toMatchObject({ created: true, secret: expect.stringMatching(/^whsec_/) });
    const second = await provider.registerWebhookEndpoint('http://127.0.0.1:1/webhooks/stripe/abc');
    expect(second).toEqual({ id: first.id, url: first.url, secret: null, created: false });
  });
});

describe('simulator webhook delivery', () => {
  let sim: StripeSimulator;
  let server: Server;
  let url: string;
  const received: ProviderEvent[] = [];
  const rejected: string[] = [];
  const SECRET = 'whsec_simulator_delivery_secret';

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          received.push(verifyStripeWebhook(Buffer.concat(chunks), req.headers, [SECRET]));
          res.writeHead(200).end('{}');
        } catch (err) {
          rejected.push((err as { code: string }).code);
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    sim = new StripeSimulator({ seed: { customers: 10 } });
    await sim.start();
    sim.addWebhookEndpoint(url, SECRET);
  });

  afterAll(async () => {
    await sim.stop();
    sim.webhooks.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('signs deliveries the way Stripe does, for created, updated and deleted objects', async () => {
    sim.create('customers', { email: 'new@example.com' });
    sim.update('customers', 'cus_sim0000000001', { name: 'Changed' });
    sim.delete('customers', 'cus_sim0000000002');
    await sim.webhooks.flush();
    await eventually(() => received.length >= 3, { what: 'three deliveries' });
    expect(received.map((e) => e.type)).toEqual([
      'customer.created',
      'customer.updated',
      'customer.deleted',
    ]);
    expect(received[0]?.accountId).toBe(sim.accountId);
    expect(rejected).toEqual([]);
  });

  it('duplicates and reorders when asked', async () => {
    received.length = 0;
    sim.setDelivery({ duplicateRate: 1, reorderWindow: 6 });
    for (let i = 3; i < 6; i++) sim.update('customers', `cus_sim000000000${i}`, { name: `N${i}` });
    await sim.webhooks.flush();
    sim.setDelivery({ duplicateRate: 0, reorderWindow: 0 });
    await eventually(() => received.length >= 6, { what: 'six deliveries' });
    const ids = received.map((e) => e.id);
    expect(new Set(ids).size).toBe(3);
    expect(ids).toHaveLength(6);
  });

  it('emits same-second updates when the clock is frozen', async () => {
    received.length = 0;
    sim.freezeClock(1_764_000_000);
    sim.update('customers', 'cus_sim0000000007', { name: 'first' });
    sim.update('customers', 'cus_sim0000000007', { name: 'second' });
    sim.freezeClock(undefined);
    await sim.webhooks.flush();
    await eventually(() => received.length >= 2, { what: 'two deliveries' });
    expect(received.map((e) => e.createdMs)).toEqual([1_764_000_000_000, 1_764_000_000_000]);
  });
});
