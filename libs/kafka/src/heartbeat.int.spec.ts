import { z } from 'zod';

import { TOPICS } from '@paysync/contracts';
import { eventually, stackEnv, uniqueId } from '@paysync/testkit';

import { TypedConsumer, createEnvelope } from './index.js';
import { localKafka } from './testing/index.js';

// A handler slower than the group's session timeout, against the local broker (issue 16 item 3).
// kafkajs heartbeats only between batches: without the handler's own heartbeats the broker drops
// the member mid-batch, the commit fails, and the batch is delivered again, and again, each time
// as slow: the partition never moves. With them the batch is handled once and committed.
const local = localKafka({
  brokers: stackEnv().kafkaBrokers,
  prefix: uniqueId('heartbeat-int-'),
  service: 'heartbeat-int',
});
const { logger, kafka, producer } = local;
const topic = local.topic(TOPICS.syncCommand);
const schema = z.object({ n: z.number() });

/** The broker's smallest session timeout (group.min.session.timeout.ms). */
const SESSION_TIMEOUT_MS = 6000;
/** How long the first message's handler takes: a slow dependency, above the session timeout. */
const SLOW_MS = SESSION_TIMEOUT_MS + 3000;

beforeAll(() => local.ensureTopics(), 60_000);

afterAll(() => local.close());

/** Runs a consumer whose handler is slow for `n === slow`; counts the calls per message. */
async function run(n: number, heartbeatIntervalMs: number | undefined) {
  const calls = new Map<number, number>();
  const consumer = new TypedConsumer<{ n: number }>({
    kafka,
    logger,
    groupId: uniqueId('g-'),
    topics: [topic],
    schema,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    ...(heartbeatIntervalMs !== undefined && { heartbeatIntervalMs }),
    eachMessage: async (received) => {
      if (!received.valid || received.value.n < n) return;
      const m = received.value.n;
      calls.set(m, (calls.get(m) ?? 0) + 1);
      if (m === n) await new Promise((resolve) => setTimeout(resolve, SLOW_MS));
    },
  });
  await consumer.start();
  // Two messages on one partition (one key): the slow one, then one behind it.
  await producer.send(
    topic,
    [n, n + 1].map((v) => ({
      key: 'one-key',
      envelope: createEnvelope({ type: 'item', payload: { n: v } }),
    })),
  );
  return { calls, consumer };
}

it('a handler slower than the session timeout heartbeats: its message is handled once and the partition moves on', async () => {
  const { calls, consumer } = await run(100, undefined);
  try {
    await eventually(() => calls.get(101) === 1, {
      what: 'the message behind the slow one handled',
      timeoutMs: 40_000,
    });
    expect(calls.get(100)).toBe(1);
  } finally {
    await consumer.stop();
  }
}, 60_000);

it('control: without heartbeats during the handler the same slow message is delivered again', async () => {
  // A tick longer than the handler is no heartbeat at all: the behaviour before issue 16 item 3.
  const { calls, consumer } = await run(200, 60_000);
  try {
    await eventually(() => (calls.get(200) ?? 0) >= 2, {
      what: 'the slow message redelivered after the member was dropped',
      timeoutMs: 40_000,
    });
  } finally {
    await consumer.stop();
  }
}, 60_000);
