// A backfill session of a Chargebee site (issue 17, "turn it on"): the real sync-runner lists a
// Chargebee simulator site through the Chargebee adapter, paced by the shared PostgreSQL bucket
// of the site (`chargebee:<site>:test`) at the server's per-minute budget with no burst; the site
// enforces the same budget (a sliding minute, 429 beyond it). Items and item prices are listed
// whole (not segmentable); the other types may be split into created-time segments.
import { SyncedEntityReader, type ConnectionView } from '@paysync/db';
import { ChargebeeSimulator, type ChargebeeSeedCounts } from '@paysync/simulator';

import { BackfillHarness, type SyncRunnerApp } from '../../testing/backfill-harness.js';

import type { EntityType } from '@paysync/contracts';

const SITE = 'acme-backfill-test';
const KEY = 'test_syncRunnerChargebee01';
/** The site's budget and paysync's pace for it: 600 per minute (10/s), to keep the test short. */
const PER_MINUTE = 600;

const SEED: ChargebeeSeedCounts = {
  customer: 450,
  item: 6,
  item_price: 12,
  subscription: 40,
  invoice: 30,
  transaction: 30,
};
const EXPECTED: readonly (readonly [EntityType, number])[] = [
  ['customer', 450],
  ['product', 6],
  ['price', 12],
  ['subscription', 40],
  ['invoice', 30],
  ['payment_transaction', 30],
];

let h: BackfillHarness;
let sim: ChargebeeSimulator;
let runner: SyncRunnerApp;
let c: ConnectionView;
let session: { id: string };
let elapsedMs: number;

beforeAll(async () => {
  h = await BackfillHarness.open();
  sim = new ChargebeeSimulator({
    site: SITE,
    apiKeys: [KEY],
    seed: SEED,
    rateLimitPerMinute: PER_MINUTE,
  });
  const simUrl = await sim.start();
  runner = await h.startRunner('sync-cb', simUrl, {
    SYNC_POLL_INTERVAL_MS: '100',
    SYNC_RETRY_BACKOFF_MS: '100',
    SYNC_SEGMENTS_PER_ENTITY: '4',
    SYNC_RUNNER_CONCURRENCY: '6',
    CHARGEBEE_RATE_LIMIT_PER_MINUTE_TEST: String(PER_MINUTE),
  });
  c = await h.chargebeeTenant('chargebee-backfill', {
    apiBaseUrl: simUrl,
    site: SITE,
    apiKey: KEY,
  });
  const started = Date.now();
  session = await h.startSession(
    c,
    EXPECTED.map(([t]) => t),
  );
  const done = await h.finished(session.id, { timeoutMs: 120_000 });
  elapsedMs = Date.now() - started;
  expect([done.status, done.error]).toEqual(['completed', null]);
}, 180_000);

afterAll(() => h?.close(runner, sim));

it('lands exactly the site’s objects of all six entity types', async () => {
  const reader = new SyncedEntityReader({ prisma: h.prisma });
  for (const [entityType, count] of EXPECTED) {
    expect([entityType, await reader.count(c.workspaceId, entityType)]).toEqual([
      entityType,
      count,
    ]);
  }
  const row = await reader.findByExternalId(
    c.workspaceId,
    'customer',
    'chargebee',
    'cbsim_cus_00000007',
  );
  const remote = sim.getObject('customer', 'cbsim_cus_00000007') as { email: string };
  expect(row).toMatchObject({ email: remote.email, synced_via: 'backfill' });
});

it('lists items and item prices whole; the segmentable types may be split', async () => {
  const units = await h.prisma.syncUnit.findMany({ where: { sessionId: session.id } });
  expect(units.every((u) => u.status === 'done')).toBe(true);
  for (const whole of ['product', 'price']) {
    expect(units.filter((u) => u.entityType === whole)).toEqual([
      expect.objectContaining({ createdGte: null, createdLt: null }),
    ]);
  }
  const customers = units.filter((u) => u.entityType === 'customer');
  expect(customers.length).toBe(4); // more than a page: split into created-time segments
  expect(customers.reduce((n, u) => n + u.written, 0)).toBe(450);
});

it('is paced by the site’s shared bucket: the per-minute budget, one request at a time, no 429', async () => {
  const bucket = await h.prisma.providerRateLimit.findUniqueOrThrow({
    where: { key: `chargebee:${SITE}:test` },
  });
  // Burst 1 and 599 per 60 s: no sliding minute holds more than 600.
  expect(bucket).toMatchObject({ baseRatePerSecond: (PER_MINUTE - 1) / 60, burst: 1 });
  const api = sim.requestLog.filter((r) => r.path.startsWith('/api/v2/'));
  expect(api.filter((r) => r.status === 429)).toEqual([]);
  // 10/s with no burst: n requests take at least (n - 1) × 100 ms.
  expect(api.length).toBeGreaterThan(10);
  const spanMs = api.at(-1)!.atMs - api[0]!.atMs;
  expect(spanMs).toBeGreaterThanOrEqual((api.length - 1) * 100 - 150);
  expect(elapsedMs).toBeGreaterThanOrEqual(spanMs);
  // Paced, not bursting: any 11 consecutive requests span about a second (10 gaps of 100 ms),
  // whatever a single request's send jitter.
  for (let i = 10; i < api.length; i++) {
    expect(api[i]!.atMs - api[i - 10]!.atMs).toBeGreaterThanOrEqual(1_000 - 150);
  }
});

// Sub-accounts are the adapter's call (review #12): the API refuses `settings.connect` for a
// Chargebee connection, and one that has it anyway (written before, or by hand) plans no
// connected-accounts unit — the plan asked the stored setting alone before.
it('plans no connected-accounts unit for a Chargebee site, whatever its stored settings say', async () => {
  const other = await h.chargebeeTenant('chargebee-connect-setting', {
    apiBaseUrl: c.settings.apiBaseUrl as string,
    site: SITE,
    apiKey: KEY,
  });
  await h.prisma.workspacePaymentConfiguration.update({
    where: { id: other.id },
    data: { settings: { ...other.settings, connect: true } },
  });
  const second = await h.startSession(other, ['product']);
  const done = await h.finished(second.id, { timeoutMs: 60_000 });
  expect([done.status, done.error]).toEqual(['completed', null]);
  const units = await h.prisma.syncUnit.findMany({ where: { sessionId: second.id } });
  expect(units.map((u) => u.entityType)).toEqual(['product']);
});
