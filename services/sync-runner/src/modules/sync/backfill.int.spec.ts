import { ENTITY_TYPES, type EntityType } from '@paysync/contracts';
import {
  SyncWriteRepository,
  SyncedEntityReader,
  withTenant,
  type ConnectionView,
  type Db,
  type SyncSessionRepository,
} from '@paysync/db';
import { aCustomerChange, aCustomerData } from '@paysync/db/testing';
import { StripeSimulator, type SeedCounts } from '@paysync/simulator';
import { eventually, uniqueId } from '@paysync/testkit';

import { BackfillHarness, type SyncRunnerApp } from '../../testing/backfill-harness.js';

const SEED: SeedCounts = {
  customers: 450,
  products: 12,
  prices: 30,
  subscriptions: 60,
  invoices: 40,
  payment_intents: 25,
  charges: 25,
};
const EXPECTED: Partial<Record<EntityType, number>> = {
  customer: 450,
  product: 12,
  price: 30,
  subscription: 60,
  invoice: 40,
  payment_transaction: 50,
};
/** The types this suite seeds, in dependency order. */
const SEEDED_TYPES = ENTITY_TYPES.filter((t) => EXPECTED[t] !== undefined);

let h: BackfillHarness;
let prisma: Db;
let sim: StripeSimulator;
let simUrl: string;
let runner: SyncRunnerApp;
let sessions: SyncSessionRepository;
let reader: SyncedEntityReader;

const tenant = (
  name: string,
  apiKey?: string,
  rateLimitPerSecond?: number,
): Promise<ConnectionView> =>
  h.tenant(name, {
    apiBaseUrl: simUrl,
    ...(apiKey !== undefined && { apiKey }),
    ...(rateLimitPerSecond !== undefined && { rateLimitPerSecond }),
  });

const start = (c: ConnectionView, entityTypes: readonly EntityType[] = SEEDED_TYPES) =>
  h.startSession(c, entityTypes);

const finished = (sessionId: string) => h.finished(sessionId);

beforeAll(async () => {
  h = await BackfillHarness.open();
  prisma = h.prisma;
  sessions = h.sessions;
  sim = new StripeSimulator({ seed: SEED });
  simUrl = await sim.start();
  reader = new SyncedEntityReader({ prisma });
  runner = await h.startRunner('sync', simUrl, {
    SYNC_POLL_INTERVAL_MS: '100',
    SYNC_RETRY_BACKOFF_MS: '100',
    SYNC_SEGMENTS_PER_ENTITY: '4',
    SYNC_RUNNER_CONCURRENCY: '6',
  });
}, 60_000);

afterAll(() => h?.close(runner, sim));

afterEach(() => {
  sim.faults = { latencyMs: 0, rate429: 0, rate500: 0, rateReset: 0, retryAfterSeconds: 1 };
});

it('lands exactly the provider’s objects for all six entity types, in parallel segments', async () => {
  const c = await tenant('full');
  // A canceled subscription is still listed by the provider (status=all) and must land too.
  const cancel = await fetch(`${simUrl}/v1/subscriptions/sub_sim0000000003`, {
    method: 'DELETE',
    headers: { authorization: 'Bearer sk_test_x' },
  });
  expect(cancel.status).toBe(200);
  const session = await start(c);
  const done = await finished(session.id);
  expect(done.status).toBe('completed');
  expect(done.error).toBeNull();
  for (const t of SEEDED_TYPES) {
    expect([t, await reader.count(c.workspaceId, t)]).toEqual([t, EXPECTED[t]]);
  }
  // A sample of field values, straight from the simulator's own API.
  for (const id of ['cus_sim0000000000', 'cus_sim0000000449', 'cus_sim0000000200']) {
    const res = await fetch(`${simUrl}/v1/customers/${id}`, {
      headers: { authorization: 'Bearer sk_test_x' },
    });
    const remote = (await res.json()) as { email: string; name: string };
    const row = await reader.findByExternalId(c.workspaceId, 'customer', 'stripe', id);
    expect(row).toMatchObject({ email: remote.email, name: remote.name, synced_via: 'backfill' });
  }
  const canceled = await reader.findByExternalId(
    c.workspaceId,
    'subscription',
    'stripe',
    'sub_sim0000000003',
  );
  expect(canceled).toMatchObject({ status: 'canceled' });
  const units = await prisma.syncUnit.findMany({ where: { sessionId: session.id } });
  const customerUnits = units.filter((u) => u.entityType === 'customer');
  expect(customerUnits.length).toBe(4); // split into segments
  expect(units.every((u) => u.status === 'done')).toBe(true);
  expect(customerUnits.reduce((n, u) => n + u.written, 0)).toBe(450);
  // Entity types ran in dependency order: no price unit started before every product unit ended.
  const productsDone = Math.max(
    ...units.filter((u) => u.entityType === 'product').map((u) => u.finishedAt!.getTime()),
  );
  const pricesStarted = Math.min(
    ...units.filter((u) => u.entityType === 'price').map((u) => u.startedAt!.getTime()),
  );
  expect(pricesStarted).toBeGreaterThanOrEqual(productsDone);
}, 90_000);

it('a 429 storm slows the sync without failing it', async () => {
  const c = await tenant('storm');
  sim.faults = { latencyMs: 0, rate429: 0.3, rate500: 0, rateReset: 0, retryAfterSeconds: 0 };
  sim.failNext(3, 429);
  const session = await start(c, ['product', 'price']);
  const done = await finished(session.id);
  expect(done.status).toBe('completed');
  expect(await reader.count(c.workspaceId, 'product')).toBe(12);
  expect(await reader.count(c.workspaceId, 'price')).toBe(30);
  const units = await prisma.syncUnit.findMany({ where: { sessionId: session.id } });
  expect(units.reduce((n, u) => n + u.throttles, 0)).toBeGreaterThan(0);
}, 90_000);

it('a revoked key fails the session with a clear error, never "completed"', async () => {
  const key = `sk_test_${uniqueId('revoked')}`;
  sim.revokeKey(key);
  const c = await tenant('revoked', key);
  const session = await start(c, ['customer']);
  const done = await finished(session.id);
  expect(done.status).toBe('failed');
  expect(done.error).toMatchObject({ code: 'PROVIDER_ERROR', entityType: 'customer' });
  expect(JSON.stringify(done.error)).toContain('revoked');
});

it('newer webhook state wins over pages fetched before it; older state is replaced', async () => {
  const c = await tenant('race');
  const writes = new SyncWriteRepository({ prisma });
  const future = Date.now() + 3_600_000;
  // A webhook newer than anything the sync will fetch, and one older than the sync.
  await writes.applyChanges([
    aCustomerChange({
      workspaceId: c.workspaceId,
      externalId: 'cus_sim0000000007',
      version: future,
      data: aCustomerData({ name: 'from a newer webhook' }),
    }),
    aCustomerChange({
      workspaceId: c.workspaceId,
      externalId: 'cus_sim0000000008',
      version: Date.now() - 3_600_000,
      data: aCustomerData({ name: 'from an old webhook' }),
    }),
  ]);
  const session = await start(c, ['customer']);
  expect((await finished(session.id)).status).toBe('completed');
  const newer = await reader.findByExternalId(
    c.workspaceId,
    'customer',
    'stripe',
    'cus_sim0000000007',
  );
  expect(newer).toMatchObject({ name: 'from a newer webhook', synced_via: 'webhook' });
  const older = await reader.findByExternalId(
    c.workspaceId,
    'customer',
    'stripe',
    'cus_sim0000000008',
  );
  expect(older?.name).not.toBe('from an old webhook');
  expect(older?.synced_via).toBe('backfill');
});

it('two workspaces progress concurrently; a cancelled session stops and resumes to completion', async () => {
  // A's account allows 5 requests/s, so it is still running when it is cancelled (at 200/s it
  // could finish between two polls of the check below: a CI flake).
  const a = await tenant('fair-a', undefined, 5);
  const b = await tenant('fair-b');
  sim.faults = { latencyMs: 15, rate429: 0, rate500: 0, rateReset: 0, retryAfterSeconds: 1 };
  const sa = await start(a, ['customer']);
  const sb = await start(b, ['customer']);
  // Both make progress before either finishes.
  await eventually(
    async () => {
      const units = await prisma.syncUnit.findMany({
        where: { sessionId: { in: [sa.id, sb.id] } },
      });
      const pages = (id: string) =>
        units.filter((u) => u.sessionId === id).reduce((n, u) => n + u.pages, 0);
      return pages(sa.id) > 0 && pages(sb.id) > 0;
    },
    { timeoutMs: 30_000, what: 'both sessions to commit pages' },
  );
  await sessions.cancel(a.workspaceId, sa.id);
  expect((await finished(sb.id)).status).toBe('completed');
  // The cancelled one stopped short and holds no running unit once its workers noticed.
  await eventually(
    async () =>
      (await prisma.syncUnit.count({ where: { sessionId: sa.id, status: 'running' } })) === 0,
    { timeoutMs: 15_000, what: 'cancelled units released' },
  );
  const before = await reader.count(a.workspaceId, 'customer');
  expect(before).toBeLessThan(450);
  expect((await prisma.paymentSyncSession.findUniqueOrThrow({ where: { id: sa.id } })).status).toBe(
    'cancelled',
  );
  // Resume from the checkpoints.
  // On behalf of the workspace, as the sync-commands consumer runs it (row-level security).
  const resumed = await withTenant(a.workspaceId, () =>
    runner.diContainer.cradle.syncUnitRepository.resume(sa.id),
  );
  expect(resumed).toBe(true);
  runner.diContainer.cradle.syncWorkerPool.poke();
  expect((await finished(sa.id)).status).toBe('completed');
  expect(await reader.count(a.workspaceId, 'customer')).toBe(450);
}, 120_000);
