import { FAILURE_HEADERS, TOPICS } from '@paysync/contracts';
import { KeyRing } from '@paysync/crypto';
import { ConnectionRepository, SyncedEntityReader, type SyncedRow } from '@paysync/db';
import { topicName } from '@paysync/kafka';
import {
  CHARGEBEE_EVENT_TYPES,
  STRIPE_EVENT_TYPES,
  connectionRateLimit,
  signStripePayload,
} from '@paysync/providers';
import { stripeFixture } from '@paysync/providers/testing';
import { StripeSimulator } from '@paysync/simulator';
import { eventually } from '@paysync/testkit';

import {
  TEST_ENCRYPTION_KEYS,
  pipelineTopicProbe,
  startProviderPipeline,
  type ProviderPipeline,
} from '../support/pipeline.js';
import type { ChargebeeSim } from '../support/providers.js';
import {
  StripeSim,
  chargebeeCase,
  type ProviderSim,
  type SimEntity,
} from '../support/providers.js';

import type { EntityType } from '@paysync/contracts';

// The webhook pipeline (ingress → Kafka → processor → tables) for each provider (issue 17): the
// same tests in a provider column, plus what only one provider has (Stripe's event types,
// signatures and Connect route; Chargebee's event types and Basic credentials).
const ROWS: { provider: 'stripe' | 'chargebee'; newSim: () => ProviderSim }[] = [
  {
    provider: 'stripe',
    newSim: () =>
      new StripeSim(
        new StripeSimulator({
          seed: {
            customers: 30,
            products: 5,
            prices: 10,
            subscriptions: 10,
            invoices: 5,
            payment_intents: 5,
            charges: 5,
          },
        }),
      ),
  },
  {
    provider: 'chargebee',
    newSim: () =>
      chargebeeCase.newSim({
        customer: 30,
        product: 5,
        price: 10,
        subscription: 10,
        invoice: 5,
        payment_transaction: 5,
      }),
  },
];

describe.each(ROWS)('$provider', ({ provider, newSim }) => {
  let p: ProviderPipeline;
  let reader: SyncedEntityReader;
  const isStripe = provider === 'stripe';
  /** The Stripe simulator itself, for what only Stripe has. */
  const stripe = () => (p.sim as StripeSim).raw;
  const cb = () => (p.sim as ChargebeeSim).raw;

  beforeAll(async () => {
    p = await startProviderPipeline(newSim());
    reader = new SyncedEntityReader({ prisma: p.prisma });
  });

  afterAll(async () => {
    await p.close();
  });

  async function row(
    entityType: EntityType,
    externalId: string,
    check: (r: SyncedRow) => boolean = () => true,
  ) {
    return eventually(
      async () => {
        const r = await reader.findByExternalId(p.workspaceId, entityType, provider, externalId);
        return r && check(r) ? r : undefined;
      },
      { what: `${entityType} ${externalId}`, timeoutMs: 30_000 },
    );
  }

  /** The event log row of `providerEventId`, once its status is `status`. */
  async function loggedAs(providerEventId: string, status: string, what: string) {
    return eventually(
      async () => {
        const e = await p.prisma.paymentSyncEvent.findFirst({ where: { providerEventId } });
        return e?.status === status ? e : undefined;
      },
      { what },
    );
  }

  async function post(body: string, headers: Record<string, string>, url = p.webhookUrl) {
    const res = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  /** The event as the provider sends it: signed (Stripe) or with Basic credentials (Chargebee). */
  function signedEvent(event: Record<string, unknown>, secret = p.webhookSecret) {
    const body = JSON.stringify(event);
    return { body, headers: p.sim.authHeaders(body, secret) };
  }

  /** A Stripe event signed at `t`. */
  function stripeSigned(
    event: Record<string, unknown>,
    secret = p.webhookSecret,
    t = Math.floor(Date.now() / 1000),
  ) {
    const body = JSON.stringify(event);
    return { body, headers: { 'stripe-signature': signStripePayload(body, secret, t) } };
  }

  /** A change of customer `i` (a seeded one) to `fields`, as the provider's event. */
  const customerEvent = (i: number, fields: Record<string, unknown>, at?: number) =>
    p.sim.event(
      'updated',
      'customer',
      { ...p.sim.getObject('customer', p.sim.id('customer', i)), ...fields },
      at === undefined ? {} : { at },
    );

  const eventId = (e: { body: string }) => JSON.parse(e.body).id as string;

  describe('happy path: every entity type ends in the provider’s final state', () => {
    it('customers: created, updated, deleted', async () => {
      const created = p.sim.create('customer', {
        email: 'new@example.com',
        ...p.sim.customerName('New'),
      });
      await row('customer', created.id as string, (r) => r.email === 'new@example.com');
      p.sim.update('customer', created.id as string, p.sim.customerName('Renamed'));
      await row('customer', created.id as string, (r) => r.name === 'Renamed');
      p.sim.delete('customer', created.id as string);
      const deleted = await row('customer', created.id as string, (r) => r.deleted_at !== null);
      expect(deleted.synced_via).toBe('webhook');
    });

    if (isStripe) {
      it('products, prices, subscriptions (cancel = tombstone), invoices, payment intents and charges', async () => {
        const product = stripe().create('products', { name: 'Gold' });
        const price = stripe().create('prices', {
          product: product.id,
          unit_amount: 4200,
          currency: 'eur',
        });
        const subscription = stripe().update('subscriptions', 'sub_sim0000000003', {
          cancel_at_period_end: true,
        });
        stripe().delete('subscriptions', 'sub_sim0000000004');
        const invoice = stripe().update(
          'invoices',
          'in_sim0000000001',
          { status: 'void' },
          { eventType: 'invoice.voided' },
        );
        const intent = stripe().update(
          'payment_intents',
          'pi_sim0000000002',
          { status: 'canceled' },
          { eventType: 'payment_intent.canceled' },
        );
        const charge = stripe().update(
          'charges',
          'ch_sim0000000002',
          { refunded: true, amount_refunded: 2002 },
          { eventType: 'charge.refunded' },
        );

        await row('product', product.id as string, (r) => r.name === 'Gold');
        await row(
          'price',
          price.id as string,
          (r) => r.product_external_id === product.id && Number(r.unit_amount) === 4200,
        );
        await row(
          'subscription',
          subscription.id as string,
          (r) => r.cancel_at_period_end === true,
        );
        await row(
          'subscription',
          'sub_sim0000000004',
          (r) => r.deleted_at !== null && r.status === 'canceled',
        );
        await row('invoice', invoice.id as string, (r) => r.status === 'void');
        await row(
          'payment_transaction',
          intent.id as string,
          (r) => r.status === 'canceled' && r.kind === 'payment_intent',
        );
        await row(
          'payment_transaction',
          charge.id as string,
          (r) => r.status === 'refunded' && Number(r.amount_refunded) === 2002,
        );
      });
    } else {
      it('items, item prices, subscriptions (non-renewing, cancelled, deleted), invoices and transactions', async () => {
        const item = cb().create('item', { name: 'Gold' });
        const price = cb().create('item_price', {
          item_id: item.id,
          price: 4200,
          currency_code: 'EUR',
        });
        const nonRenewing = cb().update(
          'subscription',
          p.sim.id('subscription', 3),
          { status: 'non_renewing' },
          { eventType: 'subscription_changed' },
        );
        const cancelled = cb().cancelSubscription(p.sim.id('subscription', 5));
        cb().delete('subscription', p.sim.id('subscription', 4));
        const invoice = cb().update('invoice', p.sim.id('invoice', 1), { status: 'voided' });
        const refunded = cb().update(
          'transaction',
          p.sim.id('payment_transaction', 2),
          {
            linked_refunds: [
              { txn_id: 'cbsim_txn_refund_2', txn_amount: 1002, txn_status: 'success' },
            ],
          },
          { eventType: 'payment_refunded' },
        );
        const failed = cb().update(
          'transaction',
          p.sim.id('payment_transaction', 3),
          { status: 'failure', error_code: 'card_declined' },
          { eventType: 'payment_failed' },
        );

        await row('product', item.id as string, (r) => r.name === 'Gold');
        await row(
          'price',
          price.id as string,
          (r) =>
            r.product_external_id === item.id &&
            Number(r.unit_amount) === 4200 &&
            r.currency === 'eur',
        );
        await row(
          'subscription',
          nonRenewing.id as string,
          (r) => r.cancel_at_period_end === true && r.status === 'active',
        );
        await row('subscription', cancelled.id as string, (r) => r.status === 'canceled');
        await row('subscription', p.sim.id('subscription', 4), (r) => r.deleted_at !== null);
        await row('invoice', invoice.id as string, (r) => r.status === 'void');
        await row(
          'payment_transaction',
          refunded.id as string,
          (r) => Number(r.amount_refunded) === 1002 && r.kind === 'transaction',
        );
        await row(
          'payment_transaction',
          failed.id as string,
          (r) => r.status === 'failed' && r.failure_code === 'card_declined',
        );
      });
    }
  });

  if (isStripe) {
    describe('every mapped Stripe event type', () => {
      it.each(STRIPE_EVENT_TYPES.map((t) => [t]))('%s lands in its table', async (type) => {
        const prefix = type.slice(0, type.lastIndexOf('.'));
        const { fixture, entity } = FIXTURE_FOR[prefix] as { fixture: string; entity: EntityType };
        const externalId = `${fixture.slice(0, 3)}_${type.replaceAll('.', '_')}`;
        const object = stripeFixture(fixture, {
          id: externalId,
          ...(fixture === 'subscription' && { status: 'active' }),
        });
        const event = stripeSigned((p.sim as StripeSim).stripeEvent(type, object));
        expect((await post(event.body, event.headers)).status).toBe(200);
        const stored = await row(entity, externalId);
        expect(stored.deleted_at !== null).toBe(type.endsWith('.deleted'));
        expect(stored.last_event_id).toBe(JSON.parse(event.body).id);
      });
    });
  } else {
    describe('every mapped Chargebee event type', () => {
      it.each(CHARGEBEE_EVENT_TYPES.map((t) => [t]))('%s lands in its table', async (type) => {
        const entity = chargebeeEntityOf(type);
        const externalId = `cb_${type}`;
        const object = { ...p.sim.getObject(entity, p.sim.id(entity, 0)), id: externalId };
        const event = signedEvent({
          ...p.sim.event('updated', entity, object),
          event_type: type,
        });
        expect((await post(event.body, event.headers)).status).toBe(200);
        const stored = await row(entity, externalId);
        expect(stored.deleted_at !== null).toBe(type.endsWith('_deleted'));
        expect(stored.last_event_id).toBe(JSON.parse(event.body).id);
      });
    });
  }

  describe('exactly once in effect, newest wins, deletes stick', () => {
    it('the same event five times, concurrently, has one effect', async () => {
      const event = signedEvent(customerEvent(10, p.sim.customerName('Once')));
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => post(event.body, event.headers)),
      );
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
      await row('customer', p.sim.id('customer', 10), (r) => r.name === 'Once');
      const id = eventId(event);
      const logged = await loggedAs(id, 'processed', 'event processed');
      expect(await p.prisma.paymentSyncEvent.count({ where: { providerEventId: id } })).toBe(1);
      expect(logged.attempts).toBeGreaterThanOrEqual(1);
    });

    it('out-of-order delivery ends in the newest state', async () => {
      const now = Math.floor(Date.now() / 1000);
      const newer = signedEvent(customerEvent(11, p.sim.customerName('Newest'), now));
      const older = signedEvent(customerEvent(11, p.sim.customerName('Older'), now - 10));
      expect((await post(newer.body, newer.headers)).status).toBe(200);
      await row('customer', p.sim.id('customer', 11), (r) => r.name === 'Newest');
      expect((await post(older.body, older.headers)).status).toBe(200);
      const olderId = eventId(older);
      await loggedAs(olderId, 'skipped_stale', 'older event skipped as stale');
      expect((await row('customer', p.sim.id('customer', 11))).name).toBe('Newest');
    });

    it('same-version updates: the tie is re-fetched and the final state equals the simulator’s', async () => {
      const id = p.sim.id('customer', 12);
      const retrievesBefore = p.sim.retrieves('customer');
      // The account's shared bucket (the sync-runner's and recovery's; keyed by the account once
      // verified); only the processor's re-fetches call the provider in this pipeline.
      const connections = new ConnectionRepository({
        prisma: p.prisma,
        keyRing: KeyRing.fromString(TEST_ENCRYPTION_KEYS),
      });
      const bucket = async () =>
        p.prisma.providerRateLimit.findUnique({
          where: {
            key: connectionRateLimit(await connections.get(p.workspaceId, p.connection.id)).key,
          },
        });
      const bucketBefore = (await bucket())?.updatedAt.getTime() ?? 0;
      p.sim.freezeVersions(Math.floor(Date.now() / 1000));
      p.sim.setDelivery({ reorderWindow: 2 });
      p.sim.update('customer', id, p.sim.customerName('first'));
      p.sim.update('customer', id, p.sim.customerName('second'));
      p.sim.freezeVersions(undefined);
      p.sim.setDelivery({ reorderWindow: 0 });
      // Whatever order they arrived in, the later one was a tie (same version, other content) and
      // the processor asked the provider for the current state.
      await eventually(() => p.sim.retrieves('customer') > retrievesBefore, {
        what: 'a re-fetch of the tied customer',
      });
      // The re-fetch took its token from that bucket, not from a private limiter of its own.
      expect((await bucket())?.updatedAt.getTime() ?? 0).toBeGreaterThan(bucketBefore);
      await row('customer', id, (r) => r.name === 'second');
      const tied = await eventually(
        async () => {
          const events = await p.prisma.paymentSyncEvent.findMany({
            where: { objectId: id },
          });
          return events.length === 2 && events.every((e) => e.status === 'processed')
            ? events
            : undefined;
        },
        { what: 'both events processed' },
      );
      expect(tied).toHaveLength(2);
    });

    if (isStripe) {
      it('a tied subscription event: the re-fetch applies its items too, with the provider’s current quantity', async () => {
        type Sub = Record<string, unknown> & { items: { data: Record<string, unknown>[] } };
        const id = p.sim.id('subscription', 8);
        const sub = p.sim.getObject('subscription', id) as Sub;
        const itemId = sub.items.data[0]?.id as string;
        // The provider's state now: the item's quantity is 7 (changed without an event).
        stripe().update('subscription_items', itemId, { quantity: 7 }, { silent: true });
        const at = Math.floor(Date.now() / 1000);
        const withQuantity = (quantity: number, note: string): Sub => ({
          ...sub,
          metadata: { note },
          items: {
            ...sub.items,
            data: sub.items.data.map((i, k) => (k === 0 ? { ...i, quantity } : i)),
          },
        });
        // Two events of one second with other content: the second is a tie, parent and item alike.
        const first = signedEvent(
          p.sim.event('updated', 'subscription', withQuantity(1, 'first'), { at }),
        );
        const second = signedEvent(
          p.sim.event('updated', 'subscription', withQuantity(2, 'second'), { at }),
        );
        expect((await post(first.body, first.headers)).status).toBe(200);
        await row('subscription_item', itemId, (r) => Number(r.quantity) === 1);
        const retrievesBefore = p.sim.retrieves('subscription');
        expect((await post(second.body, second.headers)).status).toBe(200);
        const secondId = eventId(second);
        await loggedAs(secondId, 'processed', 'the tied subscription event processed');
        expect(p.sim.retrieves('subscription')).toBeGreaterThan(retrievesBefore);
        expect(Number((await row('subscription_item', itemId)).quantity)).toBe(7);
        expect((await row('subscription', id)).metadata).toEqual(
          (p.sim.getObject('subscription', id) as Sub).metadata,
        );
      });
    }

    it('a delete followed by a late update stays deleted', async () => {
      const id = p.sim.id('customer', 13);
      const base = p.sim.getObject('customer', id) as Record<string, unknown>;
      const now = Math.floor(Date.now() / 1000);
      const del = signedEvent(p.sim.event('deleted', 'customer', base, { at: now }));
      const late = signedEvent(customerEvent(13, p.sim.customerName('Zombie'), now - 5));
      await post(del.body, del.headers);
      await row('customer', id, (r) => r.deleted_at !== null);
      await post(late.body, late.headers);
      const lateId = eventId(late);
      await loggedAs(lateId, 'skipped_stale', 'late update skipped');
      const final = await row('customer', id);
      expect(final.deleted_at).not.toBeNull();
      expect(final.name).not.toBe('Zombie');
    });

    it('an unknown event type is accepted (2xx) and recorded as ignored', async () => {
      const event = signedEvent(p.sim.unsyncedEvent());
      expect((await post(event.body, event.headers)).status).toBe(200);
      const id = eventId(event);
      await loggedAs(id, 'ignored', 'ignored event');
    });

    if (isStripe) {
      it('the Connect route resolves the workspace from the event’s account', async () => {
        const event = signedEvent(customerEvent(14, { name: 'Via Connect' }));
        expect(
          (await post(event.body, event.headers, `${p.ingressUrl}/webhooks/stripe`)).status,
        ).toBe(200);
        await row('customer', 'cus_sim0000000014', (r) => r.name === 'Via Connect');
      });
    } else {
      it('the route without a connection id finds no Chargebee connection (events name no site)', async () => {
        const event = signedEvent(customerEvent(14, p.sim.customerName('No site')));
        const res = await post(event.body, event.headers, `${p.ingressUrl}/webhooks/chargebee`);
        expect({ status: res.status, code: res.body.code }).toEqual({
          status: 404,
          code: 'NOT_FOUND',
        });
      });
    }
  });

  describe('bad input gets the right 4xx and nothing is produced', () => {
    type Case = [
      string,
      Promise<{ status: number; body: Record<string, unknown> }>,
      number,
      string,
    ];

    function stripeCases(good: { body: string; headers: Record<string, string> }): Case[] {
      const now = Math.floor(Date.now() / 1000);
      return [
        ['oversized', post('x'.repeat(1_048_577), good.headers), 413, 'PAYLOAD_TOO_LARGE'],
        ['missing signature', post(good.body, {}), 400, 'WEBHOOK_SIGNATURE_MISSING'],
        [
          'garbled signature',
          post(good.body, { 'stripe-signature': 't=abc,v1=zz' }),
          400,
          'WEBHOOK_SIGNATURE_MALFORMED',
        ],
        [
          'wrong secret',
          post(good.body, stripeSigned(JSON.parse(good.body), 'whsec_wrong').headers),
          400,
          'WEBHOOK_SIGNATURE_INVALID',
        ],
        [
          'stale timestamp',
          post(good.body, stripeSigned(JSON.parse(good.body), p.webhookSecret, now - 600).headers),
          400,
          'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE',
        ],
        [
          'future timestamp',
          post(good.body, stripeSigned(JSON.parse(good.body), p.webhookSecret, now + 600).headers),
          400,
          'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE',
        ],
        [
          'invalid JSON under a valid signature',
          post('{"id":', { 'stripe-signature': signStripePayload('{"id":', p.webhookSecret, now) }),
          400,
          'WEBHOOK_PAYLOAD_INVALID',
        ],
      ];
    }

    function chargebeeCases(good: { body: string; headers: Record<string, string> }): Case[] {
      const basic = (credential: string) => ({
        authorization: `Basic ${Buffer.from(credential, 'utf8').toString('base64')}`,
      });
      const [user] = p.webhookSecret.split(':') as [string];
      return [
        ['oversized', post('x'.repeat(1_048_577), good.headers), 413, 'PAYLOAD_TOO_LARGE'],
        ['missing credentials', post(good.body, {}), 400, 'WEBHOOK_SIGNATURE_MISSING'],
        [
          'not Basic',
          post(good.body, { authorization: 'Bearer abc' }),
          400,
          'WEBHOOK_SIGNATURE_MALFORMED',
        ],
        [
          'no username:password',
          post(good.body, basic('justoneword')),
          400,
          'WEBHOOK_SIGNATURE_MALFORMED',
        ],
        [
          'wrong password',
          post(good.body, basic(`${user}:wrong-password-000000`)),
          400,
          'WEBHOOK_SIGNATURE_INVALID',
        ],
        [
          'wrong username',
          post(good.body, basic(`intruder:${p.webhookSecret.slice(user.length + 1)}`)),
          400,
          'WEBHOOK_SIGNATURE_INVALID',
        ],
        [
          'invalid JSON under valid credentials',
          post('{"id":', good.headers),
          400,
          'WEBHOOK_PAYLOAD_INVALID',
        ],
        [
          'not a Chargebee event under valid credentials',
          post(JSON.stringify({ id: 'ev_x', type: 'customer.updated' }), good.headers),
          400,
          'WEBHOOK_PAYLOAD_INVALID',
        ],
        [
          'a Chargebee connection on the Stripe route',
          post(good.body, good.headers, `${p.ingressUrl}/webhooks/stripe/${p.connection.id}`),
          404,
          'NOT_FOUND',
        ],
      ];
    }

    it('rejects each bad request with its code and writes nothing to Kafka', async () => {
      const probe = await pipelineTopicProbe(p, TOPICS.webhookReceived);
      const good = signedEvent(
        p.sim.event('updated', 'customer', {
          ...(isStripe ? { object: 'customer' } : {}),
          id: isStripe ? 'cus_bad_1' : 'cbsim_cus_bad_1',
        }),
      );
      const cases: Case[] = [
        ...(isStripe ? stripeCases(good) : chargebeeCases(good)),
        [
          'unknown connection',
          post(
            good.body,
            good.headers,
            `${p.ingressUrl}/webhooks/${provider}/00000000-0000-4000-8000-000000000000`,
          ),
          404,
          'NOT_FOUND',
        ],
        [
          'garbage connection id',
          post(good.body, good.headers, `${p.ingressUrl}/webhooks/${provider}/not-a-uuid`),
          404,
          'NOT_FOUND',
        ],
        [
          'unknown provider',
          post(good.body, good.headers, `${p.ingressUrl}/webhooks/paypal/${p.connection.id}`),
          404,
          'NOT_FOUND',
        ],
      ];
      for (const [name, answer, status, code] of cases) {
        const res = await answer;
        expect({ name, status: res.status, code: res.body.code }).toEqual({ name, status, code });
      }
      // An array-valued header (the header sent twice) is malformed.
      const [authHeader, authValue] = Object.entries(good.headers)[0] as [string, string];
      const twice = await fetch(p.webhookUrl, {
        method: 'POST',
        body: good.body,
        headers: [
          [authHeader, authValue],
          [authHeader, authValue],
        ],
      });
      expect(twice.status).toBe(400);

      // Then one good request: the probe sees it, and nothing of the bad ones before it.
      expect((await post(good.body, good.headers)).status).toBe(200);
      const goodId = eventId(good);
      await eventually(
        () =>
          probe.messages.some(
            (m) => (m.envelope.payload as { event: { id: string } }).event.id === goodId,
          ),
        { what: 'good event on the topic' },
      );
      const ids = probe.messages.map(
        (m) => (m.envelope.payload as { event: { id: string } }).event.id,
      );
      expect(ids.filter((id) => id === goodId)).toHaveLength(1);
      await probe.stop();
    });

    it('an inactive connection answers 404 within the cache TTL; a rotated secret works as soon', async () => {
      const event = signedEvent(customerEvent(15, p.sim.customerName('x')));
      await p.prisma.workspacePaymentConfiguration.update({
        where: { id: p.connection.id },
        data: { isActive: false },
      });
      await eventually(async () => (await post(event.body, event.headers)).status === 404, {
        what: 'inactive → 404',
      });
      await p.prisma.workspacePaymentConfiguration.update({
        where: { id: p.connection.id },
        data: { isActive: true },
      });
      await eventually(async () => (await post(event.body, event.headers)).status === 200, {
        what: 'active again → 200',
      });

      // Rotation: the new secret is accepted within the TTL; once the old one is removed it is not.
      const connections = new ConnectionRepository({
        prisma: p.prisma,
        keyRing: KeyRing.fromString(TEST_ENCRYPTION_KEYS),
      });
      const rotated = isStripe ? 'whsec_rotated_secret_for_pipeline' : p.sim.newWebhookSecret();
      await connections.update(p.workspaceId, p.connection.id, {
        webhookSecrets: [p.webhookSecret, rotated],
      });
      const withNew = signedEvent(customerEvent(15, p.sim.customerName('y')), rotated);
      await eventually(async () => (await post(withNew.body, withNew.headers)).status === 200, {
        what: 'new secret accepted',
      });
      expect((await post(event.body, event.headers)).status).toBe(200); // the old one is valid while rotating
      await connections.update(p.workspaceId, p.connection.id, { webhookSecrets: [rotated] });
      await eventually(async () => (await post(event.body, event.headers)).status === 400, {
        what: 'old secret refused',
      });
      await connections.update(p.workspaceId, p.connection.id, {
        webhookSecrets: [p.webhookSecret],
      });
      await eventually(async () => (await post(event.body, event.headers)).status === 200, {
        what: 'original secret accepted again',
      });
    });
  });

  describe('poison events', () => {
    it('go through every retry tier, then to the DLQ with their metadata, without blocking the partition', async () => {
      const dlq = await pipelineTopicProbe(p, TOPICS.webhookDeadLetter);
      // PostgreSQL refuses a currency too long for char(3): this event can never be stored. (NUL
      // in text is no poison: the write path stores it without the NUL.)
      // One version (second) above the next event, so the poison is never outdated by it, nor tied
      // with it (a tie is re-fetched and resolved with the provider's valid state: newest state
      // wins, no poison left): every attempt reaches the write. Under batching the healthy event
      // is stored before the poison's retries, so without this the outcome depended on timing.
      const poison = signedEvent(
        customerEvent(
          16,
          isStripe ? { currency: 'not-a-currency' } : { preferred_currency_code: 'not-a-currency' },
          Math.floor(Date.now() / 1000) + 1,
        ),
      );
      // A later event for the same object (same partition key) must not wait for the poison.
      const after = signedEvent(customerEvent(16, p.sim.customerName('Healthy')));
      expect((await post(poison.body, poison.headers)).status).toBe(200);
      expect((await post(after.body, after.headers)).status).toBe(200);
      await row('customer', p.sim.id('customer', 16), (r) => r.name === 'Healthy');

      const poisonId = eventId(poison);
      const dead = await eventually(
        () =>
          dlq.messages.find(
            (m) => (m.envelope.payload as { event: { id: string } }).event.id === poisonId,
          ),
        { what: 'poison in the DLQ', timeoutMs: 30_000 },
      );
      expect(dead.headers).toMatchObject({
        [FAILURE_HEADERS.attempt]: '3',
        [FAILURE_HEADERS.originalTopic]: topicName(
          TOPICS.webhookReceived,
          p.env.KAFKA_TOPIC_PREFIX as string,
        ),
        [FAILURE_HEADERS.originalPartition]: expect.any(String),
        [FAILURE_HEADERS.originalOffset]: expect.any(String),
        [FAILURE_HEADERS.errorClass]: expect.any(String),
        [FAILURE_HEADERS.errorMessage]: expect.any(String),
      });
      const logged = await loggedAs(poisonId, 'dead', 'poison logged as dead');
      expect(logged.attempts).toBe(3);
      expect(logged.lastError).toBeTruthy();
      await dlq.stop();
    });
  });
});

const FIXTURE_FOR: Record<string, { fixture: string; entity: EntityType }> = {
  customer: { fixture: 'customer', entity: 'customer' },
  product: { fixture: 'product', entity: 'product' },
  price: { fixture: 'price', entity: 'price' },
  plan: { fixture: 'plan', entity: 'price' },
  'customer.subscription': { fixture: 'subscription', entity: 'subscription' },
  invoice: { fixture: 'invoice', entity: 'invoice' },
  payment_intent: { fixture: 'payment_intent', entity: 'payment_transaction' },
  charge: { fixture: 'charge', entity: 'payment_transaction' },
};

/** The entity a Chargebee event type is about (`payment_*` events are about a transaction). */
function chargebeeEntityOf(type: string): SimEntity {
  if (type.startsWith('payment_') || type.startsWith('transaction_')) return 'payment_transaction';
  if (type.startsWith('item_price_')) return 'price';
  if (type.startsWith('item_')) return 'product';
  for (const entity of ['subscription', 'customer', 'invoice'] as const) {
    if (type.startsWith(`${entity}_`)) return entity;
  }
  throw new Error(`no entity for ${type}`);
}
