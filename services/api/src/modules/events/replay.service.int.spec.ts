import { randomUUID } from 'node:crypto';

import { jest } from '@jest/globals';

import { TOPICS, type WebhookReceived } from '@paysync/contracts';
import { withTenant } from '@paysync/db';
import { DependencyUnavailableError, ValidationError } from '@paysync/errors';
import { topicName } from '@paysync/kafka';
import { TopicProbe } from '@paysync/kafka/testing';
import { eventually } from '@paysync/testkit';

import type { ApiHarness } from '../../testing/api-harness.js';
import {
  createConnection,
  startWithWorkspace,
  type TestWorkspace,
} from '../../testing/management-api.js';

import type { ReplayRequest, ReplayService } from './replay.service.js';

// ReplayService against the real database and Kafka: which events it selects, what it plans for
// each, and what it publishes. The processor's side of a replay is in test/e2e/replay.e2e.spec.ts.

let h: ApiHarness;
let ws: TestWorkspace;
let replayService: ReplayService;
let probe: TopicProbe;

beforeAll(async () => {
  ({ h, ws } = await startWithWorkspace('replay'));
  replayService = h.app.diContainer.cradle.replayService;
  await createConnection(h, ws);
  probe = await TopicProbe.start(
    h.app.diContainer.cradle.kafka,
    topicName(TOPICS.webhookReceived, h.env.KAFKA_TOPIC_PREFIX ?? ''),
  );
}, 60_000);
afterAll(async () => {
  await probe?.stop();
  await h?.close();
});

/** A stored event of this test's own type, so each case selects only its own events. */
async function storedEvent(
  type: string,
  status: 'processed' | 'dead' | 'ignored',
  provider: 'stripe' | 'chargebee' = 'stripe',
) {
  const providerEventId = `evt_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
  return h.prisma.paymentSyncEvent.create({
    data: {
      workspaceId: ws.id,
      provider,
      providerEventId,
      eventType: type,
      status,
      source: 'webhook',
      objectType: 'customer',
      objectId: 'cus_replay',
      payload: { id: providerEventId, object: 'event', created: 1_764_000_000, livemode: false },
      providerCreatedAt: new Date(1_764_000_000_000),
    },
  });
}

// On behalf of the workspace, as its route runs it (row-level security).
const replay = (overrides: Partial<ReplayRequest>) =>
  withTenant(ws.id, () =>
    replayService.replay({
      workspaceId: ws.id,
      dryRun: false,
      force: false,
      limit: 100,
      mode: 'stored',
      correlationId: randomUUID(),
      ...overrides,
    }),
  );

async function rejection(request: Promise<unknown>) {
  const err: unknown = await request.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ValidationError);
  return (err as ValidationError).errors.map((e) => e.path);
}

it('refuses a replay that names no events', async () => {
  expect(await rejection(replay({}))).toEqual(['body']);
});

it('refuses more matching events than the limit', async () => {
  await storedEvent('test.too_many', 'dead');
  await storedEvent('test.too_many', 'dead');
  expect(await rejection(replay({ filter: { type: 'test.too_many' }, limit: 1 }))).toEqual([
    'body/limit',
  ]);
});

it('refuses a refetch of more than 100 events', async () => {
  expect(
    await rejection(replay({ filter: { type: 'test.none' }, mode: 'refetch', limit: 101 })),
  ).toEqual(['body/limit']);
});

it('a dry run plans every event and changes nothing', async () => {
  const dead = await storedEvent('test.dry', 'dead');
  const orphan = await storedEvent('test.dry', 'dead', 'chargebee');
  const result = await replay({ filter: { type: 'test.dry' }, dryRun: true });
  expect(result.matched).toBe(2);
  expect(result.items).toHaveLength(2);
  expect(result.items).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ id: dead.id, outcome: 'would_replay', reason: null }),
      {
        id: orphan.id,
        providerEventId: orphan.providerEventId,
        type: 'test.dry',
        status: 'dead',
        outcome: 'skipped',
        reason: 'the workspace has no chargebee connection',
      },
    ]),
  );
  const statuses = await h.prisma.paymentSyncEvent.findMany({
    where: { id: { in: [dead.id, orphan.id] } },
  });
  expect(statuses.map((e) => e.status)).toEqual(['dead', 'dead']);
});

it('a stored replay leaves settled events out, unless their status is asked for', async () => {
  const settled = await storedEvent('test.settled', 'processed');
  expect((await replay({ filter: { type: 'test.settled' } })).matched).toBe(0);
  expect((await replay({ eventIds: [settled.id] })).matched).toBe(0);
  const byStatus = await replay({ filter: { type: 'test.settled', status: 'processed' } });
  expect(byStatus.items).toEqual([
    expect.objectContaining({
      id: settled.id,
      outcome: 'skipped',
      reason: 'already applied (use force)',
    }),
  ]);
});

it('publishes one replay message per event, with its stored payload and original date', async () => {
  const dead = await storedEvent('test.publish', 'dead');
  const result = await replay({ eventIds: [dead.id] });
  expect(result.items).toEqual([expect.objectContaining({ id: dead.id, outcome: 'replayed' })]);
  const message = await eventually(() =>
    probe.messages.find(
      (m) => (m.envelope.payload as WebhookReceived).event.id === dead.providerEventId,
    ),
  );
  expect(message.envelope.payload).toMatchObject({
    provider: 'stripe',
    workspaceId: ws.id,
    source: 'replay',
    event: {
      id: dead.providerEventId,
      type: 'test.publish',
      createdMs: 1_764_000_000_000,
      objectType: 'customer',
      objectId: 'cus_replay',
      payload: dead.payload,
    },
  });
  // A dead event is not reopened: only forced, settled ones are.
  const after = await h.prisma.paymentSyncEvent.findUniqueOrThrow({ where: { id: dead.id } });
  expect(after.status).toBe('dead');
});

it('force reopens settled events as received before publishing them', async () => {
  const settled = await storedEvent('test.force', 'ignored');
  const result = await replay({ eventIds: [settled.id], force: true });
  expect(result.items).toEqual([expect.objectContaining({ outcome: 'replayed' })]);
  const after = await h.prisma.paymentSyncEvent.findUniqueOrThrow({ where: { id: settled.id } });
  expect(after.status).toBe('received');
  await eventually(() =>
    probe.messages.some(
      (m) => (m.envelope.payload as WebhookReceived).event.id === settled.providerEventId,
    ),
  );
});

it('sends a large replay in chunks of 100; a send failing midway leaves the unsent events in their old status', async () => {
  const events = [];
  for (let i = 0; i < 250; i++) events.push(await storedEvent('test.chunked', 'processed'));
  const producer = h.app.diContainer.cradle.kafkaProducer;
  const send = producer.send.bind(producer);
  const batches: number[] = [];
  const spy = jest.spyOn(producer, 'send').mockImplementation(async (topic, messages) => {
    batches.push(messages.length);
    if (batches.length === 2)
      throw new DependencyUnavailableError('KAFKA_UNAVAILABLE', `Could not produce to ${topic}`);
    return send(topic, messages);
  });
  let result;
  try {
    result = await replay({ filter: { type: 'test.chunked' }, force: true, limit: 1000 });
  } finally {
    spy.mockRestore();
  }
  expect(batches).toEqual([100, 100]);
  expect(result.matched).toBe(250);
  // Items come in selection order (oldest first): the first chunk went out, the rest did not.
  const sent = result.items.slice(0, 100);
  const unsent = result.items.slice(100);
  expect(new Set(result.items.map((i) => i.id))).toEqual(new Set(events.map((e) => e.id)));
  expect(sent.map((i) => [i.outcome, i.reason])).toEqual(sent.map(() => ['replayed', null]));
  expect(unsent.map((i) => [i.status, i.outcome])).toEqual(
    unsent.map(() => ['processed', 'skipped']),
  );
  const reasons = [...new Set(unsent.map((i) => i.reason))];
  expect(reasons).toHaveLength(1);
  expect(reasons[0]).toMatch(/^not sent \(KAFKA_UNAVAILABLE\): status unchanged/);
  const status = new Map(
    (
      await h.prisma.paymentSyncEvent.findMany({
        where: { id: { in: events.map((e) => e.id) } },
        select: { id: true, status: true },
      })
    ).map((e) => [e.id, e.status]),
  );
  // Sent: reopened for the processor. Not sent (the failed chunk and the one after it): as before.
  expect(sent.map((e) => status.get(e.id))).toEqual(sent.map(() => 'received'));
  expect(unsent.map((e) => status.get(e.id))).toEqual(unsent.map(() => 'processed'));
  const ids = new Set(sent.map((e) => e.providerEventId));
  await eventually(
    () =>
      probe.messages.filter((m) => ids.has((m.envelope.payload as WebhookReceived).event.id))
        .length === 100,
    { what: 'the first chunk on the topic' },
  );
  const unsentIds = new Set(unsent.map((e) => e.providerEventId));
  expect(
    probe.messages.some((m) => unsentIds.has((m.envelope.payload as WebhookReceived).event.id)),
  ).toBe(false);
}, 60_000);

it('a replay whose first send fails fails, and changes no status', async () => {
  const settled = await storedEvent('test.first_fails', 'ignored');
  const spy = jest
    .spyOn(h.app.diContainer.cradle.kafkaProducer, 'send')
    .mockRejectedValue(new DependencyUnavailableError('KAFKA_UNAVAILABLE', 'Could not produce'));
  try {
    await expect(replay({ eventIds: [settled.id], force: true })).rejects.toMatchObject({
      code: 'KAFKA_UNAVAILABLE',
    });
  } finally {
    spy.mockRestore();
  }
  const after = await h.prisma.paymentSyncEvent.findUniqueOrThrow({ where: { id: settled.id } });
  expect(after.status).toBe('ignored');
});
