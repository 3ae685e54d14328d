import { ENTITY_TABLES } from '@paysync/db';
import { ENTITY_TYPES, type EntityType } from '@paysync/contracts';
import { STRIPE_CAPABILITIES } from '@paysync/providers';
import { StripeSimulator, collectionsOf, type SeedCounts } from '@paysync/simulator';

import { BackfillHarness, type SyncRunnerApp } from '../../testing/backfill-harness.js';

// A backfill of every entity type Stripe syncs (issue 19) through the real sync-runner: types with
// their own list split into created-time segments when they hold more than a page; children
// listed through their parents (subscription items, invoice lines, tax ids, discounts, payment
// methods) run as one unit each, after their parents' units, and every table lands the
// simulator's exact count (nested lists followed past their first 10).
const SEED: SeedCounts = {
  customers: 240,
  products: 3,
  prices: 5,
  subscriptions: 8,
  invoices: 4,
  payment_intents: 4,
  charges: 4,
  refunds: 5,
  disputes: 2,
  credit_notes: 3,
  coupons: 3,
  promotion_codes: 4,
  discounts: 6,
  payment_methods: 260,
  subscription_items: 100,
  subscription_schedules: 2,
  invoice_line_items: 50,
  tax_ids: 30,
  checkout_sessions: 3,
  payouts: 3,
  balance_transactions: 6,
  early_fraud_warnings: 2,
  reviews: 2,
  setup_intents: 3,
};

const PARENT_LISTED: readonly EntityType[] = [
  'discount',
  'invoice_line_item',
  'payment_method',
  'subscription_item',
  'tax_id',
];

let h: BackfillHarness;
let sim: StripeSimulator;
let simUrl: string;
let runner: SyncRunnerApp;

beforeAll(async () => {
  h = await BackfillHarness.open();
  sim = new StripeSimulator({ seed: SEED });
  simUrl = await sim.start();
  runner = await h.startRunner('breadth', simUrl, {
    SYNC_POLL_INTERVAL_MS: '100',
    SYNC_RETRY_BACKOFF_MS: '100',
    SYNC_SEGMENTS_PER_ENTITY: '4',
    SYNC_RUNNER_CONCURRENCY: '4',
  });
}, 60_000);

afterAll(() => h?.close(runner, sim));

it('every entity type lands exactly, parent-listed children as one unit after their parents', async () => {
  expect([...STRIPE_CAPABILITIES.entityTypes].sort()).toEqual([...ENTITY_TYPES].sort());
  const c = await h.tenant('breadth', { apiBaseUrl: simUrl, rateLimitPerSecond: 1000 });
  const session = await h.startSession(c, ENTITY_TYPES);
  const done = await h.finished(session.id, { timeoutMs: 120_000 });
  expect([done.status, done.error]).toEqual(['completed', null]);

  const counts: Record<string, [number, number]> = {};
  for (const t of ENTITY_TYPES) {
    const [row] = await h.prisma.$queryRawUnsafe<{ n: bigint }[]>(
      `SELECT count(*) AS n FROM "${ENTITY_TABLES[t].table}" WHERE workspace_id = $1::uuid`,
      c.workspaceId,
    );
    const expected = collectionsOf(t).reduce((n, col) => n + sim.collections[col].liveCount, 0);
    counts[t] = [Number(row!.n), expected];
  }
  expect(Object.entries(counts).filter(([, [got, want]]) => got !== want || want === 0)).toEqual(
    [],
  );
  // Nested lists were followed past their first 10 (more than 10 per parent on average).
  expect(counts.subscription_item![0]).toBeGreaterThan(10 * SEED.subscriptions!);
  expect(counts.invoice_line_item![0]).toBeGreaterThan(10 * SEED.invoices!);

  const units = await h.prisma.syncUnit.findMany({ where: { sessionId: session.id } });
  expect(units.every((u) => u.status === 'done')).toBe(true);
  for (const t of PARENT_LISTED) {
    expect([t, units.filter((u) => u.entityType === t).length]).toEqual([t, 1]);
  }
  // More than a page of customers: split into segments.
  expect(units.filter((u) => u.entityType === 'customer').length).toBeGreaterThan(1);
  // Children waited for their parents (DEPENDS_ON).
  const finished = (t: EntityType) =>
    Math.max(...units.filter((u) => u.entityType === t).map((u) => u.finishedAt!.getTime()));
  const started = (t: EntityType) =>
    Math.min(...units.filter((u) => u.entityType === t).map((u) => u.startedAt!.getTime()));
  expect(started('subscription_item')).toBeGreaterThanOrEqual(finished('subscription'));
  expect(started('invoice_line_item')).toBeGreaterThanOrEqual(finished('invoice'));
  expect(started('tax_id')).toBeGreaterThanOrEqual(finished('customer'));
}, 150_000);
