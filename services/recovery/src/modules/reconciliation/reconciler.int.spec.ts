import { jest } from '@jest/globals';

import type { CanonicalChange } from '@paysync/contracts';
import { SyncWriteRepository, type Db, type EntityDrift } from '@paysync/db';
import { StripeProvider } from '@paysync/providers';
import { BASE_CREATED, StripeSimulator, simId } from '@paysync/simulator';

import {
  backfill,
  localRows,
  startReconcilerHarness,
  type ReconcilerHarness,
} from '../../testing/reconciler-harness.js';

import type { Reconciler } from './reconciler.js';

// The streaming comparison against real PostgreSQL and the simulator as Stripe, with windows of 5
// local rows and provider pages of 3, so drift falls on both sides of many window and page
// boundaries: objects gone at the provider, objects missing locally, a changed one, a second that
// holds more local rows than a window, and a local row without a created time.
const WINDOW = 5;
const API_KEY = 'sk_test_reconcileStream1';
let h: ReconcilerHarness;
let prisma: Db;
const sim = new StripeSimulator({ seed: { customers: 60 } });
let reconciler: Reconciler;
let workspaceId: string;
let configurationId: string;
let windowSizes: { gte: number | null; lt: number | null; rows: number }[];

const customer = (i: number) => simId('customers', i);

beforeAll(async () => {
  // KAFKA_CONSUMERS_ENABLED false (the harness's default): the test runs the reconciler itself.
  h = await startReconcilerHarness({ name: 'reconcile-stream', sims: [sim] });
  const [simUrl] = h.urls as [string];
  prisma = h.prisma;
  ({ workspaceId, configurationId } = await h.simConnection('reconcile-stream', API_KEY, simUrl));

  const driftRepository = h.app.diContainer.cradle.driftRepository;
  const liveIdsCreatedIn = driftRepository.liveIdsCreatedIn.bind(driftRepository);
  jest
    .spyOn(driftRepository, 'liveIdsCreatedIn')
    .mockImplementation(async (ws, provider, entityType, gte, lt) => {
      const ids = await liveIdsCreatedIn(ws, provider, entityType, gte, lt);
      windowSizes.push({ gte, lt, rows: ids.length });
      return ids;
    });
  reconciler = h.reconciler('reconcile-stream-test', {
    reconcileWindowRows: WINDOW,
    reconcilePageSize: 3,
  });

  // The initial sync, through the shared write path as the sync-runner does it.
  const provider = new StripeProvider({ apiKey: API_KEY, apiBaseUrl: simUrl });
  await backfill(prisma, provider, workspaceId, ['customer']);
  // Local rows of objects the provider never had, all created in the second of customer 40: with
  // it, six rows in one second, more than a window holds.
  const template = (await provider.retrieve('customer', customer(40), {
    workspaceId,
    source: 'backfill',
  })) as CanonicalChange;
  await new SyncWriteRepository({ prisma }).applyChanges(
    localRows(
      template,
      [1, 2, 3, 4, 5].map((k) => `cus_localonly${k}`),
    ),
  );
}, 60_000);

afterAll(async () => {
  await h?.close();
});

async function reconcile(repair: boolean): Promise<EntityDrift> {
  windowSizes = [];
  const { status, report } = await h.reconcile(
    { workspaceId, configurationId, entityTypes: ['customer'], repair },
    reconciler,
  );
  expect(status).toBe('completed');
  if (!report.customer) throw new Error('no customer report');
  return report.customer;
}

it('finds deletions and missing rows across window and page boundaries, holding one window at a time', async () => {
  // Gone at the provider (4, 5: both sides of the first window's end; 59: the newest).
  for (const i of [4, 5, 20, 59]) sim.delete('customers', customer(i), { silent: true });
  // Missing locally: two created without a webhook, three whose local rows were lost.
  const created = [sim.create('customers', { name: 'new 1' }), sim.create('customers', {})];
  await prisma.customer.deleteMany({
    where: { workspaceId, externalId: { in: [13, 14, 35].map(customer) } },
  });
  // Changed silently, and a local row without a created time.
  sim.update('customers', customer(27), { email: 'silent27@example.com' }, { silent: true });
  await prisma.customer.updateMany({
    where: { workspaceId, externalId: customer(50) },
    data: { providerCreatedAt: null },
  });

  const gone = [4, 5, 20, 59].map(customer);
  const localOnly = [1, 2, 3, 4, 5].map((k) => `cus_localonly${k}`);
  const missing = [...[13, 14, 35].map(customer), ...created.map((o) => o.id as string)];
  const report = await reconcile(false);
  expect(report).toMatchObject({
    providerCount: 60 - 4 + 2,
    localCount: 60 - 3 + 5,
    missing: 5,
    stale: 2,
    deleted: 9,
    unverified: 0,
    listingComplete: true,
    deletionCheck: 'done',
  });
  expect([...report.samples.missing].sort()).toEqual([...missing].sort());
  expect([...report.samples.stale].sort()).toEqual([27, 50].map(customer).sort());
  expect([...report.samples.deleted].sort()).toEqual([...gone, ...localOnly].sort());

  // Bounded: no window held more than WINDOW local rows, except the one second holding six.
  const over = windowSizes.filter((w) => w.rows > WINDOW);
  expect(over).toEqual([{ gte: BASE_CREATED + 40, lt: BASE_CREATED + 41, rows: 6 }]);
  expect(windowSizes.length).toBeGreaterThan(10);
  expect(windowSizes.reduce((n, w) => n + w.rows, 0)).toBe(report.localCount - 1);

  const repaired = await reconcile(true);
  expect(repaired).toMatchObject({ missing: 5, stale: 2, deleted: 9, repaired: 16 });
  const again = await reconcile(false);
  expect(again).toMatchObject({
    providerCount: 58,
    localCount: 58,
    missing: 0,
    stale: 0,
    deleted: 0,
    unverified: 0,
  });
  expect(
    await prisma.customer.count({
      where: { workspaceId, externalId: { in: [...gone, ...localOnly] }, deletedAt: null },
    }),
  ).toBe(0);
}, 120_000);
