import type { CanonicalChange, EntityType } from '@paysync/contracts';
import { StripeSimulator, type SeedCounts } from '@paysync/simulator';

import { aStripeEvent } from '../testing/index.js';
import { STRIPE_CAPABILITIES } from './stripe.capabilities.js';
import { StripeProvider } from './stripe.provider.js';
import { stripeEventToProviderEvent } from './stripe.webhook.js';

// The provider and the simulator built to the same contract (docs/providers/stripe-objects.md):
// every breadth type of a seeded account lists exactly once each, through small pages, nested
// lists past their first 10 and per-parent lists; and every listed object retrieves as itself.
const ctx = { workspaceId: '11111111-1111-4111-8111-111111111111', source: 'backfill' as const };

const SEED: SeedCounts = {
  customers: 45,
  products: 4,
  prices: 8,
  subscriptions: 12,
  // More items than subscriptions: some subscriptions have more than 10 (a nested has_more).
  subscription_items: 70,
  invoices: 9,
  invoice_line_items: 60,
  payment_intents: 10,
  charges: 10,
  refunds: 23,
  disputes: 7,
  credit_notes: 11,
  coupons: 13,
  promotion_codes: 14,
  discounts: 9,
  payment_methods: 130,
  subscription_schedules: 6,
  tax_ids: 40,
  checkout_sessions: 17,
  payouts: 8,
  balance_transactions: 31,
  early_fraud_warnings: 5,
  reviews: 6,
  setup_intents: 15,
};

const COLLECTION_OF: Partial<Record<EntityType, keyof typeof SEED>> = {
  refund: 'refunds',
  dispute: 'disputes',
  credit_note: 'credit_notes',
  coupon: 'coupons',
  promotion_code: 'promotion_codes',
  discount: 'discounts',
  payment_method: 'payment_methods',
  subscription_item: 'subscription_items',
  subscription_schedule: 'subscription_schedules',
  invoice_line_item: 'invoice_line_items',
  tax_id: 'tax_ids',
  checkout_session: 'checkout_sessions',
  payout: 'payouts',
  balance_transaction: 'balance_transactions',
  early_fraud_warning: 'early_fraud_warnings',
  review: 'reviews',
  setup_intent: 'setup_intents',
};

describe('StripeProvider breadth types against the simulator', () => {
  let sim: StripeSimulator;
  let provider: StripeProvider;

  beforeAll(async () => {
    sim = new StripeSimulator({ seed: SEED });
    await sim.start();
    provider = new StripeProvider({
      apiKey: 'sk_test_breadth_sim_0001',
      apiBaseUrl: sim.url,
      rateLimitPerSecond: 5000,
    });
  });

  afterAll(async () => {
    await sim.stop();
  });

  async function listAll(type: EntityType, limit: number) {
    const changes: CanonicalChange[] = [];
    let cursor: string | null = null;
    let requests = 0;
    do {
      const page = await provider.listPage(type, { cursor, limit }, ctx);
      changes.push(...page.changes);
      requests += page.requests;
      cursor = page.nextCursor;
    } while (cursor);
    return { changes, requests };
  }

  it.each(Object.entries(COLLECTION_OF))(
    'lists every %s of the account exactly once (pages of 7)',
    async (type, collection) => {
      const { changes } = await listAll(type as EntityType, 7);
      const expected = sim.collections[collection as keyof typeof sim.collections].count;
      expect(expected).toBeGreaterThan(0);
      expect(changes.every((c) => c.entityType === type)).toBe(true);
      expect(new Set(changes.map((c) => c.externalId)).size).toBe(changes.length);
      expect(changes).toHaveLength(expected);
    },
  );

  it('counts every follow-up request of parent-listed types in `requests`', async () => {
    const before = [...sim.requestCounts.values()].reduce((a, b) => a + b, 0);
    const { requests } = await listAll('payment_method', 10);
    const after = [...sim.requestCounts.values()].reduce((a, b) => a + b, 0);
    // One customers page per 10 customers plus at least one list per customer.
    expect(requests).toBe(after - before);
    expect(requests).toBeGreaterThanOrEqual(Math.ceil(45 / 10) + 45);
  });

  it('retrieves each listed object of every retrievable type as itself', async () => {
    for (const type of Object.keys(COLLECTION_OF) as EntityType[]) {
      if (type === 'invoice_line_item' || type === 'discount') continue;
      const { changes } = await listAll(type, 100);
      const listed = changes.find((c) => !c.deleted) ?? changes[0];
      if (!listed) throw new Error(`no ${type} listed`);
      const got = await provider.retrieve(type, listed.externalId, ctx);
      expect(got).toMatchObject({ entityType: type, externalId: listed.externalId });
      expect(got.data).toEqual(listed.data);
    }
  });

  it('lists segmentable breadth types by created bounds without loss', async () => {
    for (const type of STRIPE_CAPABILITIES.segmentableEntityTypes) {
      if (!COLLECTION_OF[type]) continue;
      const whole = (await listAll(type, 100)).changes.length;
      const created = (await listAll(type, 100)).changes.map(
        (c) => (c.data as { providerCreatedAt: Date }).providerCreatedAt.getTime() / 1000,
      );
      const mid = created.sort((a, b) => a - b)[Math.floor(created.length / 2)] as number;
      let split = 0;
      for (const [gte, lt] of [
        [0, mid],
        [mid, 4_000_000_000],
      ] as const) {
        let cursor: string | null = null;
        do {
          const page = await provider.listPage(
            type,
            { cursor, limit: 5, createdGte: gte, createdLt: lt },
            ctx,
          );
          split += page.changes.length;
          cursor = page.nextCursor;
        } while (cursor);
      }
      expect(split).toBe(whole);
    }
  });

  it('re-fetches a breadth event’s object; an event about a discount (no retrieve) is skipped', async () => {
    const event = (type: string, object: Record<string, unknown>) =>
      stripeEventToProviderEvent(
        aStripeEvent(type, object, { created: 1_700_000_000 }) as Parameters<
          typeof stripeEventToProviderEvent
        >[0],
      );
    const [refund] = (await listAll('refund', 1)).changes;
    const raw = refund?.raw as Record<string, unknown>;
    const refetched = await provider.refetchEvent(
      event('refund.updated', { ...raw, status: 'stale-copy' }),
      ctx,
    );
    expect(refetched.kind).toBe('refetched');
    if (refetched.kind !== 'refetched') return;
    const payload = refetched.event.payload as { data: { object: Record<string, unknown> } };
    expect(payload.data.object).toEqual(raw);
    expect(refetched.deleted).toBe(false);

    const [discount] = (await listAll('discount', 100)).changes;
    expect(
      await provider.refetchEvent(
        event('customer.discount.updated', discount?.raw as Record<string, unknown>),
        ctx,
      ),
    ).toEqual({ kind: 'skipped', reason: 'Stripe cannot retrieve one discount' });
  });
});
