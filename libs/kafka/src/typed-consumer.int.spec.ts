import { z } from 'zod';

import { ALL_TOPICS, FAILURE_HEADERS, TOPICS } from '@paysync/contracts';
import { DependencyUnavailableError } from '@paysync/errors';
import { eventually, stackEnv, uniqueId } from '@paysync/testkit';

import {
  TypedConsumer,
  createEnvelope,
  ensureTopics,
  topicName,
  type ConsumerFailurePolicy,
  type HandlerFailure,
  type Received,
  type RoutedMessage,
  type ValidMessage,
} from './index.js';
import { TopicProbe, localKafka } from './testing/index.js';

// The generic consumer against the local broker: typed values in, and under a failure policy
// the retry tiers, the DLQ and the pause on an outage, as the processor relies on them.
const local = localKafka({
  brokers: stackEnv().kafkaBrokers,
  prefix: uniqueId('typed-int-'),
  service: 'typed-int',
});
const { logger, kafka, producer, topic } = local;
const schema = z.object({ n: z.number(), fail: z.enum(['never', 'always', 'outage']) });
type Item = z.infer<typeof schema>;

let dlq: TopicProbe;
let retryShort: TopicProbe;

beforeAll(async () => {
  await local.ensureTopics();
  dlq = await TopicProbe.start(kafka, topic(TOPICS.webhookDeadLetter));
  retryShort = await TopicProbe.start(kafka, topic(TOPICS.webhookRetryShort));
}, 60_000);

afterAll(async () => {
  await dlq?.stop();
  await retryShort?.stop();
  await local.close();
});

async function send(topicSpec: { name: string }, ...payloads: unknown[]) {
  const envelopes = payloads.map((payload) => createEnvelope({ type: 'item', payload }));
  await producer.send(
    topic(topicSpec),
    envelopes.map((envelope) => ({ key: 'same-key', envelope })),
  );
  return envelopes.map((e) => e.id);
}

/**
 * A batch consumer of the main topic (a group of its own) whose failures go through the two retry
 * tiers to the DLQ, keyed by item; `policy` sets the delays, what is transient and the hooks.
 */
function tieredConsumer(
  eachBatch: (messages: readonly ValidMessage<Item>[]) => Promise<HandlerFailure<Item>[]>,
  policy: Pick<ConsumerFailurePolicy<Item>, 'retryDelaysMs' | 'isTransient'> &
    Partial<Pick<ConsumerFailurePolicy<Item>, 'retryGroupId' | 'onRouted' | 'onPause'>>,
): TypedConsumer<Item> {
  return new TypedConsumer<Item>({
    kafka,
    logger,
    groupId: uniqueId('g-'),
    topics: [topic(TOPICS.webhookReceived)],
    schema,
    eachBatch,
    failurePolicy: {
      kafkaProducer: producer,
      retryTopics: [topic(TOPICS.webhookRetryShort), topic(TOPICS.webhookRetryLong)],
      deadLetterTopic: topic(TOPICS.webhookDeadLetter),
      transientBackoffMaxMs: 1000,
      partitionKey: (item) => `item-${item.n}`,
      ...policy,
    },
  });
}

/**
 * The batch handler of the tiered consumers: an item `take` lets through is handled (its `n`
 * recorded in `handled`) or, if it always fails, returned as a poison failure; `take` may throw.
 */
function handleItems(
  messages: readonly ValidMessage<Item>[],
  handled: number[],
  take: (item: Item) => boolean,
): HandlerFailure<Item>[] {
  const failures: HandlerFailure<Item>[] = [];
  for (const received of messages) {
    const { n, fail } = received.value;
    if (!take(received.value)) continue;
    if (fail === 'always') failures.push({ received, error: new Error(`poison ${n}`) });
    else handled.push(n);
  }
  return failures;
}

it('one at a time: hands typed values and invalid messages, with the reason, to the handler', async () => {
  const seen: Received<Item>[] = [];
  const consumer = new TypedConsumer<Item>({
    kafka,
    logger,
    groupId: uniqueId('g-'),
    topics: [topic(TOPICS.syncCommand)],
    schema,
    messageType: 'item',
    eachMessage: async (received) => {
      seen.push(received);
    },
  });
  await consumer.start();
  try {
    await send(TOPICS.syncCommand, { n: 1, fail: 'never' }, { n: 'x' });
    await eventually(() => seen.length >= 2, { what: 'two messages' });
    expect(seen[0]).toMatchObject({ valid: true, value: { n: 1, fail: 'never' } });
    expect(seen[1]).toMatchObject({ valid: false });
    expect(seen[1]?.valid === false && seen[1].error.message).toContain('n');
  } finally {
    await consumer.stop();
  }
});

describe('with a failure policy', () => {
  const handled: number[] = [];
  const routed: RoutedMessage<Item>[] = [];
  const pauses: number[] = [];
  let outages = 0;
  let consumer: TypedConsumer<Item>;

  beforeAll(async () => {
    consumer = tieredConsumer(
      async (messages) =>
        handleItems(messages, handled, ({ fail }) => {
          if (fail === 'outage' && outages++ < 2) {
            throw new DependencyUnavailableError('DB_UNAVAILABLE', 'database unavailable');
          }
          return true;
        }),
      {
        retryDelaysMs: [200, 400],
        isTransient: (err) => err instanceof DependencyUnavailableError,
        onRouted: async (list) => {
          routed.push(...list);
        },
        onPause: ({ delayMs }) => pauses.push(delayMs),
      },
    );
    await consumer.start();
  });

  afterAll(async () => {
    await consumer?.stop();
  });

  it('a message that always fails goes through both tiers, each after its delay, then to the DLQ', async () => {
    const [id] = await send(TOPICS.webhookReceived, { n: 10, fail: 'always' });
    const dead = await eventually(() => dlq.messages.find((m) => m.envelope.id === id), {
      what: 'the poison in the DLQ',
    });
    expect(dead.key).toBe('item-10');
    expect(dead.headers).toMatchObject({
      [FAILURE_HEADERS.attempt]: '3',
      [FAILURE_HEADERS.originalTopic]: topic(TOPICS.webhookReceived),
      [FAILURE_HEADERS.errorClass]: 'Error',
      [FAILURE_HEADERS.errorCode]: 'INTERNAL_ERROR',
      [FAILURE_HEADERS.errorMessage]: 'poison 10',
    });
    const tier1 = retryShort.messages.find((m) => m.envelope.id === id);
    expect(tier1?.headers[FAILURE_HEADERS.attempt]).toBe('2');
    const routes = routed.filter((r) => r.received.message.envelope?.id === id).map((r) => r.route);
    expect(routes.map((r) => [r.kind, r.attempt])).toEqual([
      ['retry', 1],
      ['retry', 2],
      ['dead', 3],
    ]);
    // Each tier was handled no earlier than its not-before.
    const tierHandled = routed.filter(
      (r) =>
        r.received.message.envelope?.id === id &&
        r.received.message.topic !== topic(TOPICS.webhookReceived),
    );
    for (const r of tierHandled) {
      const notBefore = Number(r.received.message.headers[FAILURE_HEADERS.notBefore]);
      expect(
        Date.parse(r.route.headers[FAILURE_HEADERS.failedAt] as string),
      ).toBeGreaterThanOrEqual(notBefore);
    }
  });

  it('an invalid message goes straight to the DLQ as MESSAGE_INVALID; the rest of the batch is handled', async () => {
    const [bad] = await send(
      TOPICS.webhookReceived,
      { n: 'not a number' },
      { n: 20, fail: 'never' },
    );
    const dead = await eventually(() => dlq.messages.find((m) => m.envelope.id === bad), {
      what: 'the invalid message in the DLQ',
    });
    expect(dead.headers).toMatchObject({
      [FAILURE_HEADERS.attempt]: '1',
      [FAILURE_HEADERS.errorClass]: 'MESSAGE_INVALID',
    });
    await eventually(() => handled.includes(20), { what: 'the valid neighbour handled' });
    expect(retryShort.messages.some((m) => m.envelope.id === bad)).toBe(false);
  });

  it('an undecodable message reaches the DLQ in a stand-in envelope that keeps its raw bytes', async () => {
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({
      topic: topic(TOPICS.webhookReceived),
      messages: [{ key: 'raw-key', value: 'not json' }],
    });
    await raw.disconnect();
    const dead = await eventually(
      () => dlq.messages.find((m) => m.envelope.type === 'invalid' && m.key === 'raw-key'),
      { what: 'the undecodable message in the DLQ' },
    );
    expect(dead.envelope.payload).toEqual({ raw: Buffer.from('not json').toString('base64') });
    expect(dead.headers).toMatchObject({
      [FAILURE_HEADERS.attempt]: '1',
      [FAILURE_HEADERS.errorClass]: 'MESSAGE_INVALID',
      [FAILURE_HEADERS.errorCode]: 'MESSAGE_INVALID',
      [FAILURE_HEADERS.errorMessage]: 'Message is not JSON',
    });
  });

  it('an outage pauses the partition and retries the batch; nothing is dead-lettered', async () => {
    const [id] = await send(TOPICS.webhookReceived, { n: 30, fail: 'outage' });
    await eventually(() => handled.includes(30), { what: 'the batch handled after the outage' });
    expect(pauses).toEqual([500, 1000]);
    expect(dlq.messages.some((m) => m.envelope.id === id)).toBe(false);
    expect(retryShort.messages.some((m) => m.envelope.id === id)).toBe(false);
  });
});

describe('with the retry tiers in a group of their own', () => {
  const handled: number[] = [];
  let consumer: TypedConsumer<Item>;

  beforeAll(async () => {
    consumer = tieredConsumer(
      // n < 40: the other describe's messages on the same topic.
      async (messages) => handleItems(messages, handled, ({ n }) => n >= 40),
      {
        retryGroupId: uniqueId('g-retry-'),
        // Far longer than the test waits: the failed message sits in the tier, held until then.
        retryDelaysMs: [120_000, 120_000],
        isTransient: () => false,
      },
    );
    await consumer.start();
  });

  afterAll(async () => {
    await consumer?.stop();
  });

  it('a message waiting out its retry delay does not hold the main topic', async () => {
    const [failing] = await send(TOPICS.webhookReceived, { n: 40, fail: 'always' });
    await eventually(() => retryShort.messages.some((m) => m.envelope.id === failing), {
      what: 'the failed message in the short tier',
    });
    // One consumer would now be waiting in the tier's batch, and kafkajs fetches no new batch
    // from that broker until it returns: this message would wait the 120 s out.
    await send(TOPICS.webhookReceived, { n: 41, fail: 'never' });
    await eventually(() => handled.includes(41), {
      what: 'the next message handled while the tier waits',
      timeoutMs: 20_000,
    });
  }, 60_000);
});

it('a retry group of its own takes over where the group committed on the tiers: nothing is read again', async () => {
  // Topics of its own: the tiers of the tests above hold messages due in minutes.
  const ownPrefix = uniqueId('typed-int-adopt-');
  await ensureTopics(kafka, ALL_TOPICS, ownPrefix);
  const own = (spec: { name: string }) => topicName(spec, ownPrefix);
  const groupId = uniqueId('g-');
  const calls = new Map<number, number>();
  const deadIds: string[] = [];
  const make = (retryGroupId?: string) =>
    new TypedConsumer<Item>({
      kafka,
      logger,
      groupId,
      topics: [own(TOPICS.webhookReceived)],
      schema,
      eachBatch: async (messages) =>
        messages
          .filter((r) => r.value.n >= 50)
          .map((received) => {
            calls.set(received.value.n, (calls.get(received.value.n) ?? 0) + 1);
            return { received, error: new Error(`poison ${received.value.n}`) };
          }),
      failurePolicy: {
        kafkaProducer: producer,
        ...(retryGroupId !== undefined && { retryGroupId }),
        retryTopics: [own(TOPICS.webhookRetryShort), own(TOPICS.webhookRetryLong)],
        retryDelaysMs: [50, 50],
        deadLetterTopic: own(TOPICS.webhookDeadLetter),
        isTransient: () => false,
        transientBackoffMaxMs: 1000,
        // One partition per topic for both messages: the second is read after the first.
        partitionKey: () => 'one-key',
        onRouted: async (list) => {
          for (const r of list)
            if (r.route.kind === 'dead') deadIds.push(r.received.message.envelope?.id ?? '');
        },
      },
    });

  // Before: one group for everything; a poison goes through both tiers to the DLQ.
  const before = make();
  await before.start();
  const sendOwn = async (payload: Item) => {
    const envelope = createEnvelope({ type: 'item', payload });
    await producer.send(own(TOPICS.webhookReceived), [{ key: 'one-key', envelope }]);
    return envelope.id;
  };
  const first = await sendOwn({ n: 50, fail: 'always' });
  try {
    await eventually(() => deadIds.includes(first), { what: 'the first poison dead' });
  } finally {
    await before.stop();
  }
  expect(calls.get(50)).toBe(3);

  // After: the tiers in a group of their own, which starts at the old group's offsets.
  const after = make(`${groupId}.retry`);
  await after.start();
  try {
    const second = await sendOwn({ n: 51, fail: 'always' });
    await eventually(() => deadIds.includes(second), { what: 'the second poison dead' });
  } finally {
    await after.stop();
  }
  expect(calls.get(51)).toBe(3);
  expect(calls.get(50)).toBe(3); // not read again from the tiers
}, 60_000);
