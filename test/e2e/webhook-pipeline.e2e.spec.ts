import { FAILURE_HEADERS, TOPICS } from '@paysync/contracts';
import { KeyRing } from '@paysync/crypto';
import { ConnectionRepository, SyncedEntityReader, type SyncedRow } from '@paysync/db';
import { topicName } from '@paysync/kafka';
import { STRIPE_EVENT_TYPES, signStripePayload } from '@paysync/providers';
import { stripeFixture } from '@paysync/providers/testing';
import { eventually } from '@paysync/testkit';

import {
  TEST_ENCRYPTION_KEYS,
  pipelineEvent,
  pipelineTopicProbe,
  startPipeline,
  type Pipeline,
} from '../support/pipeline.js';

import type { EntityType } from '@paysync/contracts';

let p: Pipeline;
let reader: SyncedEntityReader;

beforeAll(async () => {
  p = await startPipeline({
    seed: {
      customers: 30,
      products: 5,
      prices: 10,
      subscriptions: 10,
      invoices: 5,
      payment_intents: 5,
      charges: 5,
    },
  });
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
      const r = await reader.findByExternalId(p.workspaceId, entityType, 'stripe', externalId);
      return r && check(r) ? r : undefined;
    },
    { what: `${entityType} ${externalId}`, timeoutMs: 30_000 },
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

function signedEvent(
  event: Record<string, unknown>,
  secret = p.webhookSecret,
  t = Math.floor(Date.now() / 1000),
) {
  const body = JSON.stringify(event);
  return { body, headers: { 'stripe-signature': signStripePayload(body, secret, t) } };
}

const anEvent = (type: string, object: Record<string, unknown>, id?: string) =>
  pipelineEvent(p, type, object, id);

describe('happy path: every entity type ends in the provider’s final state', () => {
  it('customers: created, updated, deleted', async () => {
    const created = p.sim.create('customers', { email: 'new@example.com', name: 'New' });
    await row('customer', created.id as string, (r) => r.email === 'new@example.com');
    p.sim.update('customers', created.id as string, { name: 'Renamed' });
    await row('customer', created.id as string, (r) => r.name === 'Renamed');
    p.sim.delete('customers', created.id as string);
    const deleted = await row('customer', created.id as string, (r) => r.deleted_at !== null);
    expect(deleted.synced_via).toBe('webhook');
  });

  it('products, prices, subscriptions (cancel = tombstone), invoices, payment intents and charges', async () => {
    const product = p.sim.create('products', { name: 'Gold' });
    const price = p.sim.create('prices', {
      product: product.id,
      unit_amount: 4200,
      currency: 'eur',
    });
    const subscription = p.sim.update('subscriptions', 'sub_sim0000000003', {
      cancel_at_period_end: true,
    });
    p.sim.delete('subscriptions', 'sub_sim0000000004');
    const invoice = p.sim.update(
      'invoices',
      'in_sim0000000001',
      { status: 'void' },
      { eventType: 'invoice.voided' },
    );
    const intent = p.sim.update(
      'payment_intents',
      'pi_sim0000000002',
      { status: 'canceled' },
      { eventType: 'payment_intent.canceled' },
    );
    const charge = p.sim.update(
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
    await row('subscription', subscription.id as string, (r) => r.cancel_at_period_end === true);
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
});

describe('every mapped Stripe event type', () => {
  it.each(STRIPE_EVENT_TYPES.map((t) => [t]))('%s lands in its table', async (type) => {
    const prefix = type.slice(0, type.lastIndexOf('.'));
    const { fixture, entity } = FIXTURE_FOR[prefix] as { fixture: string; entity: EntityType };
    const externalId = `${fixture.slice(0, 3)}_${type.replaceAll('.', '_')}`;
    const object = stripeFixture(fixture, {
      id: externalId,
      ...(fixture === 'subscription' && { status: 'active' }),
    });
    const event = signedEvent(anEvent(type, object));
    expect((await post(event.body, event.headers)).status).toBe(200);
    const stored = await row(entity, externalId);
    expect(stored.deleted_at !== null).toBe(type.endsWith('.deleted'));
    expect(stored.last_event_id).toBe(JSON.parse(event.body).id);
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

describe('exactly once in effect, newest wins, deletes stick', () => {
  it('the same event five times, concurrently, has one effect', async () => {
    const event = signedEvent(
      anEvent('customer.updated', {
        ...p.sim.getObject('customers', 'cus_sim0000000010'),
        name: 'Once',
      }),
    );
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => post(event.body, event.headers)),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    await row('customer', 'cus_sim0000000010', (r) => r.name === 'Once');
    const eventId = JSON.parse(event.body).id as string;
    const logged = await eventually(
      async () => {
        const e = await p.prisma.paymentSyncEvent.findFirst({
          where: { providerEventId: eventId },
        });
        return e?.status === 'processed' ? e : undefined;
      },
      { what: 'event processed' },
    );
    expect(await p.prisma.paymentSyncEvent.count({ where: { providerEventId: eventId } })).toBe(1);
    expect(logged.attempts).toBeGreaterThanOrEqual(1);
  });

  it('out-of-order delivery ends in the newest state', async () => {
    const base = p.sim.getObject('customers', 'cus_sim0000000011') as Record<string, unknown>;
    const now = Math.floor(Date.now() / 1000);
    const newer = signedEvent({
      ...anEvent('customer.updated', { ...base, name: 'Newest' }),
      created: now,
    });
    const older = signedEvent({
      ...anEvent('customer.updated', { ...base, name: 'Older' }),
      created: now - 10,
    });
    expect((await post(newer.body, newer.headers)).status).toBe(200);
    await row('customer', 'cus_sim0000000011', (r) => r.name === 'Newest');
    expect((await post(older.body, older.headers)).status).toBe(200);
    const olderId = JSON.parse(older.body).id as string;
    await eventually(
      async () =>
        (await p.prisma.paymentSyncEvent.findFirst({ where: { providerEventId: olderId } }))
          ?.status === 'skipped_stale',
      {
        what: 'older event skipped as stale',
      },
    );
    expect((await row('customer', 'cus_sim0000000011')).name).toBe('Newest');
  });

  it('same-second updates: the tie is re-fetched and the final state equals the simulator’s', async () => {
    const retrievesBefore = p.sim.requestCounts.get('GET /v1/customers/:id') ?? 0;
    p.sim.freezeClock(Math.floor(Date.now() / 1000));
    p.sim.setDelivery({ reorderWindow: 2 });
    p.sim.update('customers', 'cus_sim0000000012', { name: 'first' });
    p.sim.update('customers', 'cus_sim0000000012', { name: 'second' });
    p.sim.freezeClock(undefined);
    p.sim.setDelivery({ reorderWindow: 0 });
    // Whatever order they arrived in, the later one was a tie (same second, other content) and
    // the processor asked the provider for the current state.
    await eventually(
      () => (p.sim.requestCounts.get('GET /v1/customers/:id') ?? 0) > retrievesBefore,
      {
        what: 'a re-fetch of the tied customer',
      },
    );
    await row('customer', 'cus_sim0000000012', (r) => r.name === 'second');
    const tied = await eventually(
      async () => {
        const events = await p.prisma.paymentSyncEvent.findMany({
          where: { objectId: 'cus_sim0000000012' },
        });
        return events.length === 2 && events.every((e) => e.status === 'processed')
          ? events
          : undefined;
      },
      { what: 'both events processed' },
    );
    expect(tied).toHaveLength(2);
  });

  it('a delete followed by a late update stays deleted', async () => {
    const base = p.sim.getObject('customers', 'cus_sim0000000013') as Record<string, unknown>;
    const now = Math.floor(Date.now() / 1000);
    const del = signedEvent({ ...anEvent('customer.deleted', base), created: now });
    const late = signedEvent({
      ...anEvent('customer.updated', { ...base, name: 'Zombie' }),
      created: now - 5,
    });
    await post(del.body, del.headers);
    await row('customer', 'cus_sim0000000013', (r) => r.deleted_at !== null);
    await post(late.body, late.headers);
    const lateId = JSON.parse(late.body).id as string;
    await eventually(
      async () =>
        (await p.prisma.paymentSyncEvent.findFirst({ where: { providerEventId: lateId } }))
          ?.status === 'skipped_stale',
      {
        what: 'late update skipped',
      },
    );
    const final = await row('customer', 'cus_sim0000000013');
    expect(final.deleted_at).not.toBeNull();
    expect(final.name).not.toBe('Zombie');
  });

  it('an unknown event type is accepted (2xx) and recorded as ignored', async () => {
    const event = signedEvent(
      anEvent('radar.early_fraud_warning.created', {
        id: 'issfr_1',
        object: 'radar.early_fraud_warning',
      }),
    );
    expect((await post(event.body, event.headers)).status).toBe(200);
    const id = JSON.parse(event.body).id as string;
    await eventually(
      async () =>
        (await p.prisma.paymentSyncEvent.findFirst({ where: { providerEventId: id } }))?.status ===
        'ignored',
      {
        what: 'ignored event',
      },
    );
  });

  it('the Connect route resolves the workspace from the event’s account', async () => {
    const base = p.sim.getObject('customers', 'cus_sim0000000014') as Record<string, unknown>;
    const event = signedEvent(anEvent('customer.updated', { ...base, name: 'Via Connect' }));
    expect((await post(event.body, event.headers, `${p.ingressUrl}/webhooks/stripe`)).status).toBe(
      200,
    );
    await row('customer', 'cus_sim0000000014', (r) => r.name === 'Via Connect');
  });
});

describe('bad input gets the right 4xx and nothing is produced', () => {
  it('rejects each bad request with its code and writes nothing to Kafka', async () => {
    const probe = await pipelineTopicProbe(p, TOPICS.webhookReceived);
    const now = Math.floor(Date.now() / 1000);
    const good = signedEvent(anEvent('customer.updated', { id: 'cus_bad_1', object: 'customer' }));
    const cases: [
      string,
      Promise<{ status: number; body: Record<string, unknown> }>,
      number,
      string,
    ][] = [
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
        post(good.body, signedEvent(JSON.parse(good.body), 'whsec_wrong').headers),
        400,
        'WEBHOOK_SIGNATURE_INVALID',
      ],
      [
        'stale timestamp',
        post(good.body, signedEvent(JSON.parse(good.body), p.webhookSecret, now - 600).headers),
        400,
        'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE',
      ],
      [
        'future timestamp',
        post(good.body, signedEvent(JSON.parse(good.body), p.webhookSecret, now + 600).headers),
        400,
        'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE',
      ],
      [
        'invalid JSON under a valid signature',
        post('{"id":', { 'stripe-signature': signStripePayload('{"id":', p.webhookSecret, now) }),
        400,
        'WEBHOOK_PAYLOAD_INVALID',
      ],
      [
        'unknown connection',
        post(
          good.body,
          good.headers,
          `${p.ingressUrl}/webhooks/stripe/00000000-0000-4000-8000-000000000000`,
        ),
        404,
        'NOT_FOUND',
      ],
      [
        'garbage connection id',
        post(good.body, good.headers, `${p.ingressUrl}/webhooks/stripe/not-a-uuid`),
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
    const twice = await fetch(p.webhookUrl, {
      method: 'POST',
      body: good.body,
      headers: [
        ['stripe-signature', good.headers['stripe-signature']],
        ['stripe-signature', good.headers['stripe-signature']],
      ],
    });
    expect(twice.status).toBe(400);

    // Then one good request: the probe sees it, and nothing of the bad ones before it.
    expect((await post(good.body, good.headers)).status).toBe(200);
    const goodId = JSON.parse(good.body).id as string;
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
    const event = signedEvent(
      anEvent('customer.updated', {
        ...p.sim.getObject('customers', 'cus_sim0000000015'),
        name: 'x',
      }),
    );
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
    const rotated = 'whsec_rotated_secret_for_pipeline';
    await connections.update(p.workspaceId, p.connection.id, {
      webhookSecrets: [p.webhookSecret, rotated],
    });
    const withNew = signedEvent(
      anEvent('customer.updated', {
        ...p.sim.getObject('customers', 'cus_sim0000000015'),
        name: 'y',
      }),
      rotated,
    );
    await eventually(async () => (await post(withNew.body, withNew.headers)).status === 200, {
      what: 'new secret accepted',
    });
    expect((await post(event.body, event.headers)).status).toBe(200); // the old one is valid while rotating
    await connections.update(p.workspaceId, p.connection.id, { webhookSecrets: [rotated] });
    await eventually(async () => (await post(event.body, event.headers)).status === 400, {
      what: 'old secret refused',
    });
    await connections.update(p.workspaceId, p.connection.id, { webhookSecrets: [p.webhookSecret] });
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
    const poisonObject = {
      ...p.sim.getObject('customers', 'cus_sim0000000016'),
      currency: 'not-a-currency',
    };
    const poison = signedEvent(anEvent('customer.updated', poisonObject));
    // A later event for the same object (same partition key) must not wait for the poison.
    const after = signedEvent(
      anEvent('customer.updated', {
        ...p.sim.getObject('customers', 'cus_sim0000000016'),
        name: 'Healthy',
      }),
    );
    expect((await post(poison.body, poison.headers)).status).toBe(200);
    expect((await post(after.body, after.headers)).status).toBe(200);
    await row('customer', 'cus_sim0000000016', (r) => r.name === 'Healthy');

    const poisonId = JSON.parse(poison.body).id as string;
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
    const logged = await eventually(
      async () => {
        const e = await p.prisma.paymentSyncEvent.findFirst({
          where: { providerEventId: poisonId },
        });
        return e?.status === 'dead' ? e : undefined;
      },
      { what: 'poison logged as dead' },
    );
    expect(logged.attempts).toBe(3);
    expect(logged.lastError).toBeTruthy();
    await dlq.stop();
  });
});
