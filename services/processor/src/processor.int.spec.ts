import {
  FAILURE_HEADERS,
  TOPICS,
  WEBHOOK_RECEIVED,
  type WebhookReceived,
} from '@paysync/contracts';
import { SyncedEntityReader } from '@paysync/db';
import { createEnvelope } from '@paysync/kafka';
import { stripeFixture } from '@paysync/providers/testing';
import { eventually } from '@paysync/testkit';

import { startProcessor, type ProcessorHarness } from './testing/processor-harness.js';
import { aCustomerUpdate, aStripeWebhook } from './testing/webhooks.js';

// The processor built through its composition root against the real Kafka and PostgreSQL: each
// test puts webhooks on billing.webhook.received.v1 as ingress does and checks one outcome in the
// event log, the synced tables and the DLQ.
let h: ProcessorHarness;

beforeAll(async () => {
  h = await startProcessor();
}, 60_000);

afterAll(async () => {
  await h?.close();
});

/** The event's row in the event log once it reached `status`. */
async function eventWithStatus(webhook: WebhookReceived, status: string) {
  return eventually(
    async () => {
      const event = await h.prisma.paymentSyncEvent.findFirst({
        where: { workspaceId: h.tenant.workspaceId, providerEventId: webhook.event.id },
      });
      return event?.status === status ? event : undefined;
    },
    { what: `event ${webhook.event.id} ${status}` },
  );
}

const customer = (id: string) =>
  new SyncedEntityReader({ prisma: h.prisma }).findByExternalId(
    h.tenant.workspaceId,
    'customer',
    'stripe',
    id,
  );

/** How many events the processor counted with `outcome` (its own metric). */
async function counted(outcome: string): Promise<number> {
  const { values } = await h.app.diContainer.cradle.processorMetrics.events.get();
  return values.filter((v) => v.labels.outcome === outcome).reduce((n, v) => n + v.value, 0);
}

it('apply: a mapped event writes its object and is logged processed', async () => {
  const webhook = aCustomerUpdate(h.tenant, 'cus_apply', 'Applied');
  await h.publish(webhook);
  const event = await eventWithStatus(webhook, 'processed');
  expect(event.attempts).toBe(1);
  expect(await customer('cus_apply')).toMatchObject({
    name: 'Applied',
    last_event_id: webhook.event.id,
  });
});

it('ignore: an event type we do not map is logged ignored and writes nothing', async () => {
  // (Early fraud warnings are synced since issue 19; Stripe transfers are not.)
  const webhook = aStripeWebhook(h.tenant, 'transfer.created', {
    id: 'tr_ignored',
    object: 'transfer',
  });
  await h.publish(webhook);
  const event = await eventWithStatus(webhook, 'ignored');
  expect(event.objectId).toBe('tr_ignored');
  expect(
    await h.prisma.customer.count({
      where: { workspaceId: h.tenant.workspaceId, externalId: 'tr_ignored' },
    }),
  ).toBe(0);
});

it('duplicate: the same event delivered again has no second effect', async () => {
  const first = aCustomerUpdate(h.tenant, 'cus_duplicate', 'First delivery');
  await h.publish(first);
  await eventWithStatus(first, 'processed');
  const before = await counted('skipped_duplicate');
  // Same event id, other content: it is the event id that makes it a duplicate.
  const again = aCustomerUpdate(h.tenant, 'cus_duplicate', 'Changed on redelivery', {
    eventId: first.event.id,
    createdMs: first.event.createdMs + 5000,
  });
  await h.publish(again);
  await eventually(async () => (await counted('skipped_duplicate')) === before + 1, {
    what: 'the redelivery counted as a duplicate',
  });
  expect((await customer('cus_duplicate'))?.name).toBe('First delivery');
  expect(
    await h.prisma.paymentSyncEvent.count({
      where: { workspaceId: h.tenant.workspaceId, providerEventId: first.event.id },
    }),
  ).toBe(1);
});

it('stale: an older version arriving after a newer one loses', async () => {
  const now = Date.now();
  const newer = aCustomerUpdate(h.tenant, 'cus_stale', 'Newer', { createdMs: now });
  const older = aCustomerUpdate(h.tenant, 'cus_stale', 'Older', { createdMs: now - 10_000 });
  await h.publish(newer);
  await eventWithStatus(newer, 'processed');
  await h.publish(older);
  await eventWithStatus(older, 'skipped_stale');
  expect(await customer('cus_stale')).toMatchObject({
    name: 'Newer',
    last_event_id: newer.event.id,
  });
});

it('poison: an event PostgreSQL cannot store goes through both retry tiers to the DLQ with its reason', async () => {
  // PostgreSQL refuses \u0000, and the write path never rewrites an id (text in other fields is
  // made storable, see the next test): no attempt can ever store this event.
  const poison = aStripeWebhook(
    h.tenant,
    'customer.updated',
    stripeFixture('customer', { id: 'cus_poison\u0000', name: 'bad id' }),
  );
  await h.publish(poison);
  const dead = await eventually(
    () =>
      h.deadLetters.messages.find(
        (m) => (m.envelope.payload as WebhookReceived).event?.id === poison.event.id,
      ),
    { what: 'the poison in the DLQ' },
  );
  expect(dead.headers).toMatchObject({
    [FAILURE_HEADERS.attempt]: '3',
    [FAILURE_HEADERS.originalTopic]: h.topic(TOPICS.webhookReceived),
    [FAILURE_HEADERS.errorClass]: expect.stringMatching(/.+/),
    [FAILURE_HEADERS.errorCode]: expect.stringMatching(/.+/),
    [FAILURE_HEADERS.errorMessage]: expect.stringMatching(/.+/),
  });
  const event = await eventWithStatus(poison, 'dead');
  expect(event.attempts).toBe(3);
  expect(event.errorClass).toBe(dead.headers[FAILURE_HEADERS.errorClass]);
  expect(event.lastError).toBeTruthy();
  expect(await customer('cus_poison')).toBeUndefined();
});

it("apply: NUL and lone surrogates in an object's text are stored without them (original kept), not dead-lettered", async () => {
  const object = stripeFixture('customer', {
    id: 'cus_nul_text',
    name: 'bad\u0000name',
    description: 'half \ud83d pair',
  });
  const webhook = aStripeWebhook(h.tenant, 'customer.updated', object);
  await h.publish(webhook);
  const event = await eventWithStatus(webhook, 'processed');
  expect(event.attempts).toBe(1);
  expect(JSON.parse(event.payloadOriginal as string)).toMatchObject({
    data: { object: { name: 'bad\u0000name' } },
  });
  const row = await customer('cus_nul_text');
  expect(row).toMatchObject({ name: 'badname', description: 'half \ufffd pair' });
  expect(JSON.parse(row?.raw_original as string)).toMatchObject({
    name: 'bad\u0000name',
    description: 'half \ud83d pair',
  });
  expect(
    h.deadLetters.messages.some((m) => JSON.stringify(m.envelope).includes('cus_nul_text')),
  ).toBe(false);
});

it('poison: a message that is not a webhook goes straight to the DLQ as MESSAGE_INVALID', async () => {
  const envelope = createEnvelope({
    type: WEBHOOK_RECEIVED,
    payload: { provider: 'stripe', event: 'not an event' },
  });
  await h.publishRaw({ key: 'invalid-1', envelope });
  const dead = await eventually(
    () => h.deadLetters.messages.find((m) => m.envelope.id === envelope.id),
    {
      what: 'the invalid message in the DLQ',
    },
  );
  expect(dead.key).toBe('invalid-1');
  expect(dead.headers).toMatchObject({
    [FAILURE_HEADERS.attempt]: '1',
    [FAILURE_HEADERS.errorClass]: 'MESSAGE_INVALID',
    [FAILURE_HEADERS.originalTopic]: h.topic(TOPICS.webhookReceived),
  });
  expect(dead.headers[FAILURE_HEADERS.errorMessage]).toContain('workspaceId');
});
