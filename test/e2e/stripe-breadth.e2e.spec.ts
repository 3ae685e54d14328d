import type { FastifyInstance } from 'fastify';

import { ENTITY_TYPES, type EntityType } from '@paysync/contracts';
import { ENTITY_TABLES, type EntityDrift } from '@paysync/db';
import { STRIPE_CAPABILITIES } from '@paysync/providers';
import { aStripeEvent, stripeFixture } from '@paysync/providers/testing';
import { collectionsOf, type SeedCounts } from '@paysync/simulator';
import { eventually, uniqueId } from '@paysync/testkit';

import { startApiHarness, type ApiHarness } from '../../services/api/src/testing/api-harness.js';
import { createConnection } from '../../services/api/src/testing/management-api.js';
import { startPipeline, type Pipeline } from '../support/pipeline.js';
import { startRecovery, startSyncRunner } from '../support/services.js';
import { postSignedWebhook } from '../support/webhooks.js';

// Stripe breadth (issue 19), end to end, against docs/providers/stripe-objects.md:
// - webhooks: one event of every type Stripe sends events for, signed, through ingress → Kafka →
//   processor → its table (children included: subscription items of a subscription event,
//   invoice lines of an invoice event);
// - backfill: a simulator account seeded with every object type, synced by the sync-runner from
//   the API's start command, lands exact counts in every table (nested lists past their first 10
//   included);
// - reconciliation: drift made in every table (a row lost, a column changed) is found per type
//   and repaired.

/** The table of an entity type. */
const table = (t: EntityType) => ENTITY_TABLES[t].table;

it('every entity type is synced from Stripe (capabilities), segmenting only lists with a created filter', () => {
  expect([...STRIPE_CAPABILITIES.entityTypes].sort()).toEqual([...ENTITY_TYPES].sort());
  // Listed through their parents (stripe-objects.md): never split into created-time segments.
  for (const t of [
    'subscription_item',
    'invoice_line_item',
    'tax_id',
    'discount',
    'payment_method',
  ] as const)
    expect(STRIPE_CAPABILITIES.segmentableEntityTypes).not.toContain(t);
});

/**
 * One webhook per type: the event type, the fixture (fixtures3.json) it carries, and the row it
 * must land: which entity type, external id and one canonical column with its value.
 */
interface WebhookCase {
  readonly entityType: EntityType;
  readonly eventType: string;
  readonly fixture: string;
  /** The row to wait for: its external id and one canonical column (snake_case) and value. */
  readonly expect: (object: Record<string, unknown>) => {
    externalId: string;
    column: string;
    value: unknown;
  };
}

const own =
  (column: string, field = column) =>
  (o: Record<string, unknown>) => ({ externalId: String(o.id), column, value: o[field] });

const nestedFirst = (list: string) => (o: Record<string, unknown>) => {
  const first = (o[list] as { data: { id: string }[] }).data[0]!;
  return {
    externalId: first.id,
    column: list === 'items' ? 'subscription_external_id' : 'invoice_external_id',
    value: o.id,
  };
};

const WEBHOOK_CASES: readonly WebhookCase[] = [
  { entityType: 'refund', eventType: 'refund.created', fixture: 'refund', expect: own('amount') },
  {
    entityType: 'dispute',
    eventType: 'charge.dispute.created',
    fixture: 'dispute',
    expect: own('amount'),
  },
  {
    entityType: 'credit_note',
    eventType: 'credit_note.created',
    fixture: 'credit_note',
    expect: own('total'),
  },
  { entityType: 'coupon', eventType: 'coupon.created', fixture: 'coupon', expect: own('duration') },
  {
    entityType: 'promotion_code',
    eventType: 'promotion_code.created',
    fixture: 'promotion_code',
    expect: own('code'),
  },
  {
    entityType: 'discount',
    eventType: 'customer.discount.created',
    fixture: 'discount',
    expect: own('customer_external_id', 'customer'),
  },
  {
    entityType: 'payment_method',
    eventType: 'payment_method.attached',
    fixture: 'payment_method',
    expect: own('type'),
  },
  {
    entityType: 'subscription_item',
    eventType: 'customer.subscription.updated',
    fixture: 'subscription',
    expect: nestedFirst('items'),
  },
  {
    entityType: 'subscription_schedule',
    eventType: 'subscription_schedule.created',
    fixture: 'subscription_schedule',
    expect: own('status'),
  },
  {
    entityType: 'invoice_line_item',
    eventType: 'invoice.created',
    fixture: 'invoice',
    expect: nestedFirst('lines'),
  },
  {
    entityType: 'tax_id',
    eventType: 'customer.tax_id.created',
    fixture: 'tax_id',
    expect: own('value'),
  },
  {
    entityType: 'checkout_session',
    eventType: 'checkout.session.completed',
    fixture: 'checkout.session',
    expect: own('mode'),
  },
  { entityType: 'payout', eventType: 'payout.created', fixture: 'payout', expect: own('amount') },
  {
    entityType: 'early_fraud_warning',
    eventType: 'radar.early_fraud_warning.created',
    fixture: 'radar.early_fraud_warning',
    expect: own('fraud_type'),
  },
  { entityType: 'review', eventType: 'review.opened', fixture: 'review', expect: own('reason') },
  {
    entityType: 'setup_intent',
    eventType: 'setup_intent.created',
    fixture: 'setup_intent',
    expect: own('status'),
  },
];

describe('webhooks: one event of every mapped type', () => {
  let p: Pipeline;

  beforeAll(async () => {
    p = await startPipeline({ seed: { customers: 2, products: 1, prices: 1 } });
  }, 60_000);
  afterAll(async () => p?.close());

  it('covers every breadth type Stripe sends events for (balance transactions have none)', () => {
    const covered = new Set(WEBHOOK_CASES.map((c) => c.entityType));
    const breadth = ENTITY_TYPES.slice(ENTITY_TYPES.indexOf('refund'));
    expect(breadth.filter((t) => !covered.has(t))).toEqual(['balance_transaction']);
    for (const c of WEBHOOK_CASES) expect(STRIPE_CAPABILITIES.eventTypes).toContain(c.eventType);
  });

  it.each(WEBHOOK_CASES)(
    '$eventType lands a $entityType row',
    async ({ entityType, eventType, fixture, expect: expected }) => {
      const object = stripeFixture(fixture);
      const event = aStripeEvent(eventType, object, {
        id: uniqueId('evt_breadth_'),
        created: Math.floor(Date.now() / 1000),
      });
      expect(await postSignedWebhook(p.webhookUrl, JSON.stringify(event), p.webhookSecret)).toBe(
        200,
      );
      const { externalId, column, value } = expected(object);
      const row = await eventually(
        async () =>
          (
            await p.prisma.$queryRawUnsafe<Record<string, unknown>[]>(
              `SELECT external_id, synced_via::text AS synced_via, last_event_id, deleted_at,
                      "${column}"::text AS value
                 FROM "${table(entityType)}"
                WHERE workspace_id = $1::uuid AND provider = 'stripe' AND external_id = $2`,
              p.workspaceId,
              externalId,
            )
          )[0],
        { what: `the ${entityType} row of ${eventType}`, timeoutMs: 30_000 },
      );
      expect(row).toEqual({
        external_id: externalId,
        synced_via: 'webhook',
        last_event_id: event.id,
        deleted_at: null,
        value: String(value),
      });
    },
    45_000,
  );
});

/**
 * Every object type; more than 100 customers and subscriptions (list pages), more than 10 items
 * per subscription and lines per invoice (nested lists followed past their first 10), tax ids and
 * payment methods on most customers.
 */
const SEED: SeedCounts = {
  customers: 130,
  products: 4,
  prices: 8,
  subscriptions: 12,
  invoices: 6,
  payment_intents: 6,
  charges: 6,
  refunds: 7,
  disputes: 3,
  credit_notes: 5,
  coupons: 4,
  promotion_codes: 6,
  discounts: 9,
  payment_methods: 150,
  subscription_items: 150,
  subscription_schedules: 3,
  invoice_line_items: 75,
  tax_ids: 40,
  checkout_sessions: 4,
  payouts: 5,
  balance_transactions: 12,
  early_fraud_warnings: 2,
  reviews: 2,
  setup_intents: 4,
};

describe('backfill and reconciliation of an account with every object type', () => {
  let h: ApiHarness;
  let runner: FastifyInstance;
  let recovery: FastifyInstance;
  let ws: { id: string; apiKey: string; apiKeyId: string };
  let base: string;
  /** What the simulator holds per entity type when the backfill starts. */
  let expected: Record<EntityType, number>;

  beforeAll(async () => {
    h = await startApiHarness({ seed: SEED });
    runner = await startSyncRunner({ ...h.env, LOG_LEVEL: 'warn' });
    recovery = await startRecovery({
      ...h.env,
      LOG_LEVEL: 'warn',
      RECOVERY_RECONCILE_POLL_MS: '200',
      RECOVERY_EVENTS_POLL_INTERVAL_MS: '0',
    });
    ws = await h.createWorkspace('breadth');
    base = `/api/v1/workspaces/${ws.id}`;
    await createConnection(h, ws, { apiKey: 'sk_test_breadth0001', webhookSecret: undefined });
    expected = Object.fromEntries(
      ENTITY_TYPES.map((t) => [
        t,
        collectionsOf(t).reduce((n, c) => n + h.sim.collections[c].liveCount, 0),
      ]),
    ) as Record<EntityType, number>;
  }, 90_000);

  afterAll(async () => {
    await recovery?.close();
    await runner?.close();
    await h?.close();
  });

  const call = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
    h.call(ws.apiKey, { method, url: `${base}${url}`, ...(payload && { payload }) });

  /**
   * Rows per entity type in the workspace: tombstones included (a synced object is a row; a
   * canceled subscription is one), or only `live` ones.
   */
  async function counts(live = false): Promise<Record<EntityType, number>> {
    const entries = await Promise.all(
      ENTITY_TYPES.map(async (t) => {
        const [row] = await h.prisma.$queryRawUnsafe<{ n: bigint }[]>(
          `SELECT count(*) AS n FROM "${table(t)}" WHERE workspace_id = $1::uuid
            ${live ? 'AND deleted_at IS NULL' : ''}`,
          ws.id,
        );
        return [t, Number(row!.n)] as const;
      }),
    );
    return Object.fromEntries(entries) as Record<EntityType, number>;
  }

  it('the seed has objects of every type, nested lists longer than their first 10', () => {
    for (const t of ENTITY_TYPES) expect([t, expected[t]]).toEqual([t, expect.any(Number)]);
    expect(ENTITY_TYPES.filter((t) => expected[t] === 0)).toEqual([]);
    expect(expected.subscription_item).toBeGreaterThan(10 * SEED.subscriptions!);
    expect(expected.invoice_line_item).toBeGreaterThan(10 * SEED.invoices!);
  });

  it('a backfill started through the API lands exact counts in every table', async () => {
    const start = await call('POST', '/sync/stripe/initial');
    expect(start.statusCode).toBe(202);
    const { sessionId } = start.json<{ sessionId: string }>();
    const session = await eventually(
      async () => {
        const body = (await call('GET', `/sync/sessions/${sessionId}`)).json<{
          status: string;
          entityTypes: string[];
          error: unknown;
        }>();
        return body.status === 'completed' || body.status === 'failed' ? body : undefined;
      },
      { what: 'the backfill session to finish', timeoutMs: 240_000 },
    );
    expect(session).toMatchObject({ status: 'completed', error: null });
    expect([...session.entityTypes].sort()).toEqual([...ENTITY_TYPES].sort());
    expect(await counts()).toEqual(expected);
  }, 300_000);

  /** One entity type's result in a reconciliation report, as the API answers it. */
  type Drift = EntityDrift;

  async function reconcile(repair: boolean) {
    const res = await call('POST', '/sync/reconcile', { provider: 'stripe', repair });
    expect(res.statusCode).toBe(202);
    const { reconciliationId } = res.json<{ reconciliationId: string }>();
    return eventually(
      async () => {
        const run = (await call('GET', `/sync/reconciliations/${reconciliationId}`)).json<{
          status: string;
          report: Partial<Record<EntityType, Drift>>;
        }>();
        return run.status === 'completed' || run.status === 'failed' ? run : undefined;
      },
      { what: `reconciliation ${reconciliationId}`, timeoutMs: 180_000 },
    );
  }

  async function columnValue(t: EntityType, column: string, externalId: string) {
    const [row] = await h.prisma.$queryRawUnsafe<{ value: string }[]>(
      `SELECT "${column}"::text AS value FROM "${table(t)}" WHERE workspace_id = $1::uuid AND external_id = $2`,
      ws.id,
      externalId,
    );
    return row?.value;
  }

  /** A text canonical column of `t` that is set on `externalId`'s row (drift is made in it). */
  async function driftColumn(t: EntityType, externalId: string): Promise<string> {
    const [row] = await h.prisma.$queryRawUnsafe<Record<string, unknown>[]>(
      `SELECT * FROM "${table(t)}" WHERE workspace_id = $1::uuid AND external_id = $2`,
      ws.id,
      externalId,
    );
    const column = ENTITY_TABLES[t].columns.find(
      (c) => c.pgType === 'text' && typeof row?.[c.column] === 'string',
    )?.column;
    if (!column) throw new Error(`no text column set on ${t} ${externalId}`);
    return column;
  }

  it('reconciliation finds a lost row and a changed column in every table, and repairs them', async () => {
    // Drift in every table: the newest row lost (a webhook never delivered), the next changed.
    const made: Record<string, { lost: string; changed: string; column: string; was: string }> = {};
    for (const t of ENTITY_TYPES) {
      const rows = await h.prisma.$queryRawUnsafe<{ external_id: string }[]>(
        `SELECT external_id FROM "${table(t)}" WHERE workspace_id = $1::uuid AND deleted_at IS NULL
          ORDER BY external_id DESC LIMIT 2`,
        ws.id,
      );
      expect([t, rows.length]).toEqual([t, 2]);
      const [lost, changed] = rows.map((r) => r.external_id) as [string, string];
      const column = await driftColumn(t, changed);
      const was = await columnValue(t, column, changed);
      await h.prisma.$executeRawUnsafe(
        `DELETE FROM "${table(t)}" WHERE workspace_id = $1::uuid AND external_id = $2`,
        ws.id,
        lost,
      );
      // One letter fits any text column (currencies are char(3)).
      await h.prisma.$executeRawUnsafe(
        `UPDATE "${table(t)}" SET "${column}" = CASE WHEN "${column}" = 'x' THEN 'y' ELSE 'x' END
          WHERE workspace_id = $1::uuid AND external_id = $2`,
        ws.id,
        changed,
      );
      made[t] = { lost, changed, column, was: String(was) };
    }

    const report = await reconcile(true);
    const wrong = ENTITY_TYPES.flatMap((t) => {
      const d = report.report[t];
      const ok =
        d !== undefined &&
        d.listingComplete &&
        d.error === undefined &&
        d.missing === 1 &&
        d.stale === 1 &&
        d.deleted === 0 &&
        d.repaired === 2 &&
        d.samples.missing[0] === made[t]!.lost &&
        d.samples.stale[0] === made[t]!.changed;
      return ok ? [] : [{ entityType: t, drift: d }];
    });
    expect(wrong).toEqual([]);
    expect(report.status).toBe('completed');
    // Repaired: the counts are the provider's again, every changed column as it was.
    expect(await counts()).toEqual(expected);
    for (const t of ENTITY_TYPES) {
      const { column, changed, was } = made[t]!;
      expect([t, await columnValue(t, column, changed)]).toEqual([t, was]);
    }

    // And a second run finds nothing.
    const clean = await reconcile(false);
    expect(clean.status).toBe('completed');
    const live = await counts(true);
    const drifted = ENTITY_TYPES.filter((t) => {
      const d = clean.report[t];
      return !d || d.missing + d.stale + d.deleted !== 0 || d.providerCount !== live[t];
    });
    expect(drifted).toEqual([]);
  }, 400_000);
});
