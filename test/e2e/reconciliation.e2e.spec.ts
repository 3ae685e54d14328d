import type { FastifyInstance } from 'fastify';

import type { EntityType } from '@paysync/contracts';
import type { EntityDrift } from '@paysync/db';
import { createBillingProvider, providerAdapter } from '@paysync/providers';
import { eventually, uniqueId } from '@paysync/testkit';

import { backfill as backfillAll } from '../../services/recovery/src/testing/reconciler-harness.js';
import { startProviderPipeline, type ProviderPipeline } from '../support/pipeline.js';
import { PROVIDER_CASES } from '../support/providers.js';
import { adminCaller, startApi, startRecovery } from '../support/services.js';

// Drift made the way it happens in production: webhooks the provider never delivered (the
// simulator drops them) and changes that never emit one (silent mutations and deletes). The
// recovery service finds exactly that drift, repairs it through the write path, and a partial
// listing deletes nothing; the events poller recovers dropped webhooks from the events API. For
// each provider (issue 17): a Stripe account, and a Chargebee site (deletes found through
// include_deleted and a retrieve).
const ADMIN = `admin-${'c'.repeat(40)}`;
const TYPES: EntityType[] = ['customer', 'product', 'price'];

describe.each(PROVIDER_CASES)('$provider', (providerCase) => {
  const { provider } = providerCase;
  const RECOVERY_GROUP = uniqueId('recovery-');
  let p: ProviderPipeline;
  let api: FastifyInstance;
  let recovery: FastifyInstance;

  beforeAll(async () => {
    p = await startProviderPipeline(providerCase.newSim({ customer: 150, product: 10, price: 20 }));
    api = await startApi({ ...p.env, API_RECOVERY_GROUP_ID: RECOVERY_GROUP }, ADMIN);
    recovery = await startRecovery({
      ...p.env,
      RECOVERY_GROUP_ID: RECOVERY_GROUP,
      RECOVERY_RECONCILE_POLL_MS: '200',
      RECOVERY_EVENTS_POLL_INTERVAL_MS: '0', // the poller has its own test below
      STRIPE_MAX_ATTEMPTS: '2',
    });
    await backfill();
  }, 120_000);

  afterAll(async () => {
    await recovery?.close();
    await api?.close();
    await p?.close();
  });

  /** The initial sync, as the sync-runner does it: every page through the shared write path. */
  async function backfill(): Promise<void> {
    const client = createBillingProvider({
      provider,
      apiKey: provider === 'stripe' ? 'sk_test_reconcile0001' : p.sim.apiKey,
      apiBaseUrl: p.sim.url,
      mode: 'test',
      settings: p.sim.connectionSettings(),
    });
    await backfillAll(p.prisma, client, p.workspaceId, TYPES);
  }

  const call = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
    adminCaller(api, ADMIN, p.workspaceId)(method, url, payload);

  /** One entity type's result in a reconciliation report, as the API answers it. */
  type Drift = EntityDrift;

  interface Run {
    id: string;
    status: string;
    report: Record<string, Drift>;
    totals: Record<'missing' | 'stale' | 'deleted' | 'repaired', number>;
    error: { code: string } | null;
  }

  async function reconcile(body: Record<string, unknown>): Promise<Run> {
    const res = await call('POST', '/sync/reconcile', { provider, ...body });
    expect(res.statusCode).toBe(202);
    const { reconciliationId } = res.json<{ reconciliationId: string }>();
    let run: Run | undefined;
    await eventually(
      async () => {
        run = (await call('GET', `/sync/reconciliations/${reconciliationId}`)).json<Run>();
        return run.status === 'completed' || run.status === 'failed';
      },
      { what: `reconciliation ${reconciliationId} finished`, timeoutMs: 60_000 },
    );
    return run as Run;
  }

  async function processed(eventIds: readonly string[]): Promise<number> {
    return p.prisma.paymentSyncEvent.count({
      where: {
        workspaceId: p.workspaceId,
        providerEventId: { in: [...eventIds] },
        status: 'processed',
      },
    });
  }

  const customer = (i: number) => p.sim.id('customer', i);
  const eventIdsSince = (n: number) => p.sim.eventsSince(n).map((e) => e.id);
  const named = (name: string) => p.sim.customerName(name);

  it('reports dropped webhooks and silent changes exactly, repairs them, then finds no drift', async () => {
    const before = p.sim.eventCount;
    // 19 webhooks delivered, 1 dropped (5 %).
    for (let i = 0; i < 19; i++) p.sim.update('customer', customer(i), named(`seen ${i}`));
    const delivered = eventIdsSince(before);
    p.sim.setDelivery({ dropRate: 1 });
    p.sim.update('customer', customer(19), named('never delivered'));
    const created = p.sim.create('customer', named('created, webhook dropped'));
    p.sim.update('product', p.sim.id('product', 3), { name: 'product change dropped' });
    p.sim.setDelivery({ dropRate: 0 });
    // Changes that emit no webhook at all.
    for (const i of [20, 21, 22])
      p.sim.update('customer', customer(i), { email: `silent${i}@example.com` }, { silent: true });
    for (const i of [23, 24]) p.sim.delete('customer', customer(i), { silent: true });
    await eventually(async () => (await processed(delivered)) === delivered.length, {
      what: 'the delivered webhooks applied',
      timeoutMs: 60_000,
    });

    const report = await reconcile({ entityTypes: TYPES });
    expect(report.status).toBe('completed');
    const c = report.report.customer as Drift;
    expect(c).toMatchObject({
      providerCount: 149, // 150 seeded + 1 created − 2 deleted
      localCount: 150,
      missing: 1,
      stale: 4,
      deleted: 2,
      unverified: 0,
      repaired: 0,
      listingComplete: true,
      deletionCheck: 'done',
    });
    expect(c.samples.missing).toEqual([created.id]);
    expect([...c.samples.stale].sort()).toEqual([19, 20, 21, 22].map(customer).sort());
    expect([...c.samples.deleted].sort()).toEqual([23, 24].map(customer).sort());
    expect(report.report.product).toMatchObject({ missing: 0, stale: 1, deleted: 0 });
    expect(report.report.product?.samples.stale).toEqual([p.sim.id('product', 3)]);
    expect(report.report.price).toMatchObject({
      providerCount: 20,
      missing: 0,
      stale: 0,
      deleted: 0,
    });
    // A report changes nothing.
    expect(
      await p.prisma.customer.count({
        where: {
          workspaceId: p.workspaceId,
          externalId: { in: [23, 24].map(customer) },
          deletedAt: null,
        },
      }),
    ).toBe(2);

    const repaired = await reconcile({ entityTypes: TYPES, repair: true });
    expect(repaired.status).toBe('completed');
    expect(repaired.report.customer).toMatchObject({
      missing: 1,
      stale: 4,
      deleted: 2,
      repaired: 7,
    });
    expect(repaired.report.product).toMatchObject({ stale: 1, repaired: 1 });
    const rows = await p.prisma.customer.findMany({
      where: {
        workspaceId: p.workspaceId,
        externalId: { in: [...[19, 20, 23].map(customer), created.id as string] },
      },
    });
    const byId = new Map(rows.map((r) => [r.externalId, r]));
    expect(byId.get(customer(19))).toMatchObject({
      name: 'never delivered',
      syncedVia: 'reconcile',
    });
    expect(byId.get(customer(20))?.email).toBe('silent20@example.com');
    expect(byId.get(customer(23))?.deletedAt).not.toBeNull();
    expect(byId.get(created.id as string)?.name).toBe('created, webhook dropped');

    const again = await reconcile({ entityTypes: TYPES });
    expect(again.status).toBe('completed');
    expect(again.totals).toEqual({ missing: 0, stale: 0, deleted: 0, repaired: 0 });

    // Drift metrics, per entity type and provider (the provider label is new: issue 17).
    const metrics = await recovery.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(
      new RegExp(
        `paysync_reconciliation_drift_found_total\\{entity_type="customer",kind="stale",provider="${provider}",service="recovery"\\} 8`,
      ),
    );
    expect(metrics.body).toMatch(
      new RegExp(
        `paysync_reconciliation_drift_repaired_total\\{entity_type="customer",provider="${provider}",service="recovery"\\} 7`,
      ),
    );
  }, 180_000);

  it('a listing that breaks half-way deletes nothing; the next complete one does', async () => {
    for (const i of [30, 140]) p.sim.delete('customer', customer(i), { silent: true });
    p.sim.failListing('customer', 1); // the first page of 100 is served, the second fails
    const partial = await reconcile({ entityTypes: ['customer'], repair: true });
    expect(partial.status).toBe('failed');
    expect(partial.report.customer).toMatchObject({
      listingComplete: false,
      deletionCheck: 'skipped_partial_listing',
      deleted: 0,
      error: expect.objectContaining({ code: 'PROVIDER_UNAVAILABLE' }),
    });
    expect(
      await p.prisma.customer.count({
        where: { workspaceId: p.workspaceId, deletedAt: { not: null } },
      }),
    ).toBe(2); // only the two repaired in the previous test

    p.sim.clearListingFailure();
    const complete = await reconcile({ entityTypes: ['customer'], repair: true });
    expect(complete.status).toBe('completed');
    expect(complete.report.customer).toMatchObject({
      deleted: 2,
      repaired: 2,
      missing: 0,
      stale: 0,
    });
    expect([...(complete.report.customer?.samples.deleted ?? [])].sort()).toEqual(
      [30, 140].map(customer).sort(),
    );
  }, 180_000);

  it('refuses a second reconciliation of the connection while one is pending', async () => {
    await recovery.close(); // nobody runs it: it stays pending
    const first = await call('POST', '/sync/reconcile', { provider });
    expect(first.statusCode).toBe(202);
    const second = await call('POST', '/sync/reconcile', { provider });
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ code: 'RECONCILIATION_ACTIVE' });
    const listed = (await call('GET', '/sync/reconciliations?status=pending')).json<{
      data: { id: string }[];
    }>();
    expect(listed.data.map((r) => r.id)).toEqual([
      first.json<{ reconciliationId: string }>().reconciliationId,
    ]);
    // The next recovery replica picks it up (it also starts the events poller, tested below).
    recovery = await startRecovery({
      ...p.env,
      RECOVERY_GROUP_ID: RECOVERY_GROUP,
      RECOVERY_RECONCILE_POLL_MS: '200',
      RECOVERY_EVENTS_POLL_INTERVAL_MS: '2000',
      RECOVERY_EVENTS_GRACE_MS: '0',
    });
    const pendingId = first.json<{ reconciliationId: string }>().reconciliationId;
    let taken: Run | undefined;
    await eventually(
      async () => {
        taken = (await call('GET', `/sync/reconciliations/${pendingId}`)).json<Run>();
        return taken.status === 'completed';
      },
      { what: 'the pending reconciliation taken over and completed', timeoutMs: 60_000 },
    );
    // Every entity type the provider syncs, and everything is in sync by now.
    expect(Object.keys(taken?.report ?? {}).sort()).toEqual(
      [...providerAdapter(provider).capabilities.entityTypes].sort(),
    );
    expect(taken?.totals).toEqual({ missing: 0, stale: 0, deleted: 0, repaired: 0 });
  }, 120_000);

  it('the events poller applies webhooks that were never delivered within one polling interval', async () => {
    const before = p.sim.eventCount;
    p.sim.setDelivery({ dropRate: 1 });
    for (const i of [40, 41, 42]) p.sim.update('customer', customer(i), named(`polled ${i}`));
    p.sim.setDelivery({ dropRate: 0 });
    const dropped = eventIdsSince(before);
    // One interval (2 s) plus the pipeline's own time.
    await eventually(async () => (await processed(dropped)) === 3, {
      what: 'dropped webhooks recovered from /v1/events',
      timeoutMs: 2000 + 10_000,
      intervalMs: 100,
    });
    const events = await p.prisma.paymentSyncEvent.findMany({
      where: { workspaceId: p.workspaceId, providerEventId: { in: dropped } },
    });
    expect(events.map((e) => e.source)).toEqual(['reconcile', 'reconcile', 'reconcile']);
    const names = await p.prisma.customer.findMany({
      where: { workspaceId: p.workspaceId, externalId: { in: [40, 41, 42].map(customer) } },
      orderBy: { externalId: 'asc' },
    });
    expect(names.map((n) => n.name)).toEqual(['polled 40', 'polled 41', 'polled 42']);
    const metrics = await recovery.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(
      new RegExp(
        `paysync_events_gap_total\\{provider="${provider}",service="recovery"\\} [1-9]\\d*`,
      ),
    );

    const health = (await call('GET', '/error-recovery/health')).json<{
      status: string;
      dlqConsumer: { lag: number | null; error: string | null };
      components: { name: string; healthy: boolean }[];
    }>();
    expect(health.dlqConsumer).toMatchObject({ lag: 0, error: null });
    expect(health.components.map((c) => c.name)).toEqual(
      expect.arrayContaining(['events-poller', 'reconciliation', 'redrive', 'session-watchdog']),
    );
    expect(health.components.find((c) => c.name === 'events-poller')?.healthy).toBe(true);
  }, 60_000);
});
