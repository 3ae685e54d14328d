import { ENTITY_TYPES, type EntityType } from '@paysync/contracts';
import { ENTITY_TABLES, type Db, type EntityDrift } from '@paysync/db';
import { STRIPE_CAPABILITIES, StripeProvider } from '@paysync/providers';
import { StripeSimulator, type SeedCounts } from '@paysync/simulator';

import {
  backfill,
  startReconcilerHarness,
  type ReconcilerHarness,
} from '../../testing/reconciler-harness.js';

import type { Reconciler } from './reconciler.js';

// Reconciliation of the Stripe breadth types (issue 19) against the simulator as Stripe: types
// with their own created-filtered list are compared window by window; children listed through
// their parents (subscription items, invoice lines, tax ids, discounts, payment methods) in one
// listing of the whole type; types Stripe cannot retrieve by id (invoice lines, discounts) are
// reported, never deleted on doubt. Provider pages of 7, so parents' lists take several pages.
const API_KEY = 'sk_test_reconcileBreadth1';
const SEED: SeedCounts = {
  customers: 12,
  products: 2,
  prices: 3,
  subscriptions: 3,
  invoices: 2,
  payment_intents: 3,
  charges: 3,
  refunds: 4,
  disputes: 2,
  credit_notes: 3,
  coupons: 3,
  promotion_codes: 3,
  discounts: 4,
  payment_methods: 14,
  // More than 10 per parent: nested lists followed past their first 10.
  subscription_items: 36,
  subscription_schedules: 2,
  invoice_line_items: 25,
  tax_ids: 9,
  checkout_sessions: 3,
  payouts: 3,
  balance_transactions: 5,
  early_fraud_warnings: 2,
  reviews: 2,
  setup_intents: 3,
};
/** The issue-19 types: every entity type after the first six. */
const BREADTH = ENTITY_TYPES.slice(ENTITY_TYPES.indexOf('refund'));

let h: ReconcilerHarness;
let prisma: Db;
const sim = new StripeSimulator({ seed: SEED });
let reconciler: Reconciler;
let workspaceId: string;
let configurationId: string;

const table = (t: EntityType) => ENTITY_TABLES[t].table;

beforeAll(async () => {
  h = await startReconcilerHarness({ name: 'reconcile-breadth', sims: [sim] });
  const [simUrl] = h.urls as [string];
  prisma = h.prisma;
  ({ workspaceId, configurationId } = await h.simConnection('reconcile-breadth', API_KEY, simUrl));
  reconciler = h.reconciler('reconcile-breadth-test', { reconcilePageSize: 7 });

  // The initial sync of every breadth type, through the shared write path.
  const provider = new StripeProvider({ apiKey: API_KEY, apiBaseUrl: simUrl });
  await backfill(prisma, provider, workspaceId, BREADTH);
}, 90_000);

afterAll(async () => {
  await h?.close();
});

const reconcile = (repair: boolean) =>
  h.reconcile({ workspaceId, configurationId, entityTypes: BREADTH, repair }, reconciler);

async function liveCount(t: EntityType): Promise<number> {
  const [row] = await prisma.$queryRawUnsafe<{ n: bigint }[]>(
    `SELECT count(*) AS n FROM "${table(t)}" WHERE workspace_id = $1::uuid AND deleted_at IS NULL`,
    workspaceId,
  );
  return Number(row!.n);
}

/** Newest-first external ids of live local rows of `t`. */
async function liveIds(t: EntityType, n: number): Promise<string[]> {
  const rows = await prisma.$queryRawUnsafe<{ external_id: string }[]>(
    `SELECT external_id FROM "${table(t)}" WHERE workspace_id = $1::uuid AND deleted_at IS NULL
      ORDER BY external_id DESC LIMIT $2`,
    workspaceId,
    n,
  );
  return rows.map((r) => r.external_id);
}

it('Stripe syncs every breadth type; the ones listed through parents are not segmented', () => {
  expect(BREADTH).toHaveLength(17);
  expect(BREADTH.filter((t) => !STRIPE_CAPABILITIES.entityTypes.includes(t))).toEqual([]);
  expect(
    BREADTH.filter((t) => !STRIPE_CAPABILITIES.segmentableEntityTypes.includes(t)).sort(),
  ).toEqual(['discount', 'invoice_line_item', 'payment_method', 'subscription_item', 'tax_id']);
});

it('after the backfill, every type is listed completely and nothing has drifted', async () => {
  const { status, report } = await reconcile(false);
  const wrong: unknown[] = [];
  for (const t of BREADTH) {
    const d = report[t];
    const live = await liveCount(t);
    const expected = {
      providerCount: live,
      localCount: live,
      missing: 0,
      stale: 0,
      deleted: 0,
      unverified: 0,
      listingComplete: true,
      deletionCheck: 'done',
    };
    if (
      live === 0 ||
      !d ||
      Object.entries(expected).some(([k, v]) => d[k as keyof EntityDrift] !== v)
    )
      wrong.push({ entityType: t, live, drift: d });
  }
  expect(wrong).toEqual([]);
  expect(status).toBe('completed');
}, 60_000);

it('a lost row and a changed column in every table are found, and repaired', async () => {
  const made: Partial<
    Record<EntityType, { lost: string; changed: string; column: string; was: string }>
  > = {};
  for (const t of BREADTH) {
    const [lost, changed] = (await liveIds(t, 2)) as [string, string];
    const [row] = await prisma.$queryRawUnsafe<Record<string, unknown>[]>(
      `SELECT * FROM "${table(t)}" WHERE workspace_id = $1::uuid AND external_id = $2`,
      workspaceId,
      changed,
    );
    const column = ENTITY_TABLES[t].columns.find(
      (c) => c.pgType === 'text' && typeof row?.[c.column] === 'string',
    )!.column;
    await prisma.$executeRawUnsafe(
      `DELETE FROM "${table(t)}" WHERE workspace_id = $1::uuid AND external_id = $2`,
      workspaceId,
      lost,
    );
    // One letter fits any text column (currencies are char(3)).
    await prisma.$executeRawUnsafe(
      `UPDATE "${table(t)}" SET "${column}" = CASE WHEN "${column}" = 'x' THEN 'y' ELSE 'x' END
        WHERE workspace_id = $1::uuid AND external_id = $2`,
      workspaceId,
      changed,
    );
    made[t] = { lost, changed, column, was: String(row![column]) };
  }
  const { status, report } = await reconcile(true);
  const wrong = BREADTH.filter((t) => {
    const d = report[t];
    return !(
      d &&
      d.missing === 1 &&
      d.stale === 1 &&
      d.deleted === 0 &&
      d.repaired === 2 &&
      d.samples.missing[0] === made[t]!.lost &&
      d.samples.stale[0] === made[t]!.changed
    );
  }).map((t) => ({ entityType: t, drift: report[t] }));
  expect(wrong).toEqual([]);
  expect(status).toBe('completed');
  for (const t of BREADTH) {
    const { changed, column, was } = made[t]!;
    const [row] = await prisma.$queryRawUnsafe<{ value: string }[]>(
      `SELECT "${column}"::text AS value FROM "${table(t)}" WHERE workspace_id = $1::uuid AND external_id = $2`,
      workspaceId,
      changed,
    );
    expect([t, row?.value]).toEqual([t, was]);
  }
  const again = await reconcile(false);
  expect(
    BREADTH.filter((t) => {
      const d = again.report[t];
      return !d || d.missing + d.stale + d.deleted + d.unverified > 0;
    }),
  ).toEqual([]);
}, 90_000);

it('objects gone at the provider are deleted when a retrieve confirms it; without a retrieve, reported only', async () => {
  const [taxId] = await liveIds('tax_id', 1);
  const [coupon] = await liveIds('coupon', 1);
  const [item] = await liveIds('subscription_item', 1);
  const [discount] = await liveIds('discount', 1);
  for (const [collection, id] of [
    ['tax_ids', taxId],
    ['coupons', coupon],
    ['subscription_items', item],
    ['discounts', discount],
  ] as const)
    sim.delete(collection, id!, { silent: true });

  const { status, report } = await reconcile(true);
  for (const [t, id] of [
    ['tax_id', taxId],
    ['coupon', coupon],
    ['subscription_item', item],
  ] as const) {
    expect([t, report[t]]).toEqual([
      t,
      expect.objectContaining({ deleted: 1, repaired: 1, deletionCheck: 'done' }),
    ]);
    expect(report[t]!.samples.deleted).toEqual([id]);
  }
  // Stripe has no GET of one discount: it is reported, kept live, and the run did not fail.
  expect(report.discount).toMatchObject({
    deleted: 0,
    unverified: 1,
    repaired: 0,
    deletionCheck: 'partial',
    samples: { unverified: [discount] },
  });
  expect(report.discount?.error).toBeUndefined();
  expect(status).toBe('completed');
  const [gone] = await prisma.$queryRawUnsafe<{ deleted: boolean }[]>(
    `SELECT deleted_at IS NOT NULL AS deleted FROM tax_ids WHERE workspace_id = $1::uuid AND external_id = $2`,
    workspaceId,
    taxId,
  );
  expect(gone?.deleted).toBe(true);
  expect(await liveIds('discount', 100)).toContain(discount);
}, 60_000);
