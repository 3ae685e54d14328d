import { z } from 'zod';

import { TOPICS } from '@paysync/contracts';
import { eventually, stackEnv, uniqueId } from '@paysync/testkit';

import { TypedConsumer, createEnvelope } from './index.js';
import { localKafka } from './testing/index.js';

// A consumer's fetch batching (`fetch: { minBytes, maxWaitTimeMs }`, the processor's
// PROCESSOR_FETCH_MIN_BYTES / PROCESSOR_FETCH_MAX_WAIT_MS) against the local broker: messages
// produced one request at a time reach the handler together, not one batch each.
const local = localKafka({
  brokers: stackEnv().kafkaBrokers,
  prefix: uniqueId('fetch-int-'),
  service: 'fetch-int',
});
const { logger, kafka, producer, topic } = local;
const schema = z.object({ n: z.number() });

beforeAll(async () => {
  await local.ensureTopics();
}, 60_000);

afterAll(async () => {
  await local.close();
});

it('a fetch waits for minBytes or maxWaitTimeMs: ten single-message sends arrive in at most two batches', async () => {
  const batches: number[][] = [];
  const consumer = new TypedConsumer<z.infer<typeof schema>>({
    kafka,
    logger,
    groupId: uniqueId('g-'),
    topics: [topic(TOPICS.webhookReceived)],
    schema,
    // Far more bytes than ten messages: each fetch ends on its wait. A fetch already waiting when
    // the sends begin may take the first few; the next one takes the rest.
    fetch: { minBytes: 1_048_576, maxWaitTimeMs: 2000 },
    eachBatch: async (messages) => {
      batches.push(messages.map((m) => m.value.n));
      return [];
    },
    failurePolicy: {
      kafkaProducer: producer,
      retryTopics: [],
      retryDelaysMs: [],
      deadLetterTopic: topic(TOPICS.webhookDeadLetter),
      transientBackoffMaxMs: 1000,
      isTransient: () => false,
    },
  });
  await consumer.start();
  try {
    for (let n = 1; n <= 10; n++) {
      await producer.send(topic(TOPICS.webhookReceived), [
        { key: 'one-partition', envelope: createEnvelope({ type: 'item', payload: { n } }) },
      ]);
    }
    await eventually(() => batches.flat().length >= 10, { what: 'ten messages handled' });
    expect(batches.flat()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(batches.length).toBeLessThanOrEqual(2);
  } finally {
    await consumer.stop();
  }
}, 60_000);
