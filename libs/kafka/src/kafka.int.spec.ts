import { pino } from 'pino';

import { ALL_TOPICS, TOPICS } from '@paysync/contracts';
import { eventually, stackEnv, uniqueId } from '@paysync/testkit';

import {
  KafkaConsumer,
  KafkaHealth,
  KafkaProducer,
  applyTopics,
  createEnvelope,
  createKafka,
  ensureTopics,
  topicName,
  type ConsumedMessage,
} from './index.js';
import { apiVersions } from './testing/index.js';

const logger = pino({ level: 'silent' });
const { kafkaBrokers } = stackEnv();
const settings = {
  brokers: kafkaBrokers,
  topicPrefix: uniqueId('kafka-int-'),
  consumersEnabled: true,
  produceTimeoutMs: 10_000,
  connectionTimeoutMs: 3000,
};
const kafka = createKafka(settings, logger, 'kafka-int');

/** A consumer of `topic` in group `groupId` (a new one unless given) with `handleBatch`. */
const consumerOf = (
  topic: string,
  handleBatch: (messages: readonly ConsumedMessage[]) => Promise<void>,
  groupId = uniqueId('group-'),
) => new KafkaConsumer({ kafka, logger, groupId, topics: [topic], handleBatch });

describe('Kafka lib against the local broker', () => {
  beforeAll(async () => {
    await ensureTopics(kafka, ALL_TOPICS, settings.topicPrefix);
  });

  it('talks to Apache Kafka 4.x (protocol ranges, not a stand-in)', async () => {
    const [host, port] = (kafkaBrokers[0] as string).split(':') as [string, string];
    const ranges = await apiVersions(host, Number(port));
    const byKey = new Map(ranges.map((r) => [r.apiKey, r]));
    // Kafka 4.0 removed Fetch v0–v3 and OffsetCommit v0–v1 (KIP-896) and ships the new consumer
    // group protocol (ConsumerGroupHeartbeat, key 68) and DescribeTopicPartitions (75).
    expect(byKey.get(1)?.minVersion).toBeGreaterThanOrEqual(4);
    expect(byKey.get(8)?.minVersion).toBeGreaterThanOrEqual(2);
    expect(byKey.has(68)).toBe(true);
    expect(byKey.has(75)).toBe(true);
  });

  it('creates the catalogue idempotently with its partition counts', async () => {
    const again = await ensureTopics(kafka, ALL_TOPICS, settings.topicPrefix);
    expect(again.created).toEqual([]);
    const admin = kafka.admin();
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({
      topics: [topicName(TOPICS.webhookReceived, settings.topicPrefix)],
    });
    await admin.disconnect();
    expect(metadata.topics[0]?.partitions).toHaveLength(TOPICS.webhookReceived.partitions);
  });

  it('grows a topic once when two appliers race, and the broker shows the new count when apply returns', async () => {
    // Services call ensureTopics at start-up and `paysync topics apply` may run beside them: the
    // controller refuses the second CreatePartitions (INVALID_PARTITIONS), which must not fail it.
    const spec = {
      ...TOPICS.webhookDeadLetter,
      partitions: TOPICS.webhookDeadLetter.partitions + 3,
    };
    const layout = { replicationFactor: -1, reportDrift: false };
    const reports = await Promise.all(
      [1, 2, 3].map(() => applyTopics(kafka, [spec], settings.topicPrefix, layout)),
    );
    const name = topicName(spec, settings.topicPrefix);
    // Each applier either grew it or found it grown; together they grew it exactly once.
    expect(reports.flatMap((r) => r.grown)).toEqual([
      { topic: name, from: TOPICS.webhookDeadLetter.partitions, to: spec.partitions },
    ]);
    expect(reports.flatMap((r) => r.unchanged)).toEqual([name, name]);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [name] });
      expect(topics[0]?.partitions).toHaveLength(spec.partitions);
    } finally {
      await admin.disconnect();
    }
    const again = await applyTopics(kafka, [spec], settings.topicPrefix, layout);
    expect(again).toEqual({ created: [], grown: [], unchanged: [name], drift: [] });
  });

  it('round-trips envelopes with headers, keyed to one partition, committing after handling', async () => {
    const topic = topicName(TOPICS.syncCommand, settings.topicPrefix);
    const producer = new KafkaProducer({ kafka, logger, produceTimeoutMs: 10_000 });
    const groupId = uniqueId('group-');
    const seen: ConsumedMessage[] = [];
    const consumer = consumerOf(
      topic,
      async (messages) => {
        seen.push(...messages);
      },
      groupId,
    );
    await consumer.start();
    try {
      const envelopes = Array.from({ length: 5 }, (_, i) =>
        createEnvelope({
          type: 'sync.start',
          workspaceId: 'ws-1',
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          payload: { i },
        }),
      );
      await producer.send(
        topic,
        envelopes.map((envelope) => ({ key: 'ws-1:customer:cus_1', envelope })),
      );
      await eventually(() => seen.length >= 5, { what: 'five consumed messages' });

      expect(seen.map((m) => (m.envelope?.payload as { i: number }).i)).toEqual([0, 1, 2, 3, 4]);
      expect(new Set(seen.map((m) => m.partition)).size).toBe(1);
      const first = seen[0] as ConsumedMessage;
      expect(first.headers).toMatchObject({
        'event-id': envelopes[0]?.id,
        'event-type': 'sync.start',
        'workspace-id': 'ws-1',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        'content-type': 'application/json',
      });
      expect(first.key).toBe('ws-1:customer:cus_1');

      // Offsets were committed after handling: the group's committed offset is past the last message.
      const admin = kafka.admin();
      await admin.connect();
      const committed = await eventually(
        async () => {
          const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
          const partition = offsets[0]?.partitions.find((p) => p.partition === first.partition);
          return partition && Number(partition.offset) === Number(seen[4]?.offset) + 1
            ? partition
            : undefined;
        },
        { what: 'committed offset' },
      );
      await admin.disconnect();
      expect(committed).toBeDefined();
    } finally {
      await consumer.stop();
      await producer.disconnect();
    }
  });

  it('redelivers a batch whose handler failed (nothing committed)', async () => {
    const topic = topicName(TOPICS.webhookRetryShort, settings.topicPrefix);
    const producer = new KafkaProducer({ kafka, logger, produceTimeoutMs: 10_000 });
    let attempts = 0;
    const handled: string[] = [];
    const consumer = consumerOf(topic, async (messages) => {
      attempts++;
      if (attempts === 1) throw new Error('transient failure');
      handled.push(...messages.map((m) => m.envelope!.id));
    });
    await consumer.start();
    try {
      const envelope = createEnvelope({ type: 'x', payload: {} });
      await producer.send(topic, [{ key: 'k', envelope }]);
      await eventually(() => handled.includes(envelope.id), { what: 'redelivery' });
      expect(attempts).toBeGreaterThanOrEqual(2);
    } finally {
      await consumer.stop();
      await producer.disconnect();
    }
  });

  it('hands undecodable messages to the handler with their error', async () => {
    const topic = topicName(TOPICS.webhookRetryLong, settings.topicPrefix);
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({ topic, messages: [{ key: 'k', value: 'not json' }] });
    await raw.disconnect();
    const received: ConsumedMessage[] = [];
    const consumer = consumerOf(topic, async (messages) => {
      received.push(...messages);
    });
    await consumer.start();
    try {
      const message = await eventually(() => received[0], { what: 'bad message' });
      expect(message.envelope).toBeUndefined();
      expect(message.decodeError?.message).toBe('Message is not JSON');
    } finally {
      await consumer.stop();
    }
  });

  it('fails a produce within the timeout when Kafka is unreachable', async () => {
    const dead = createKafka(
      { ...settings, brokers: ['127.0.0.1:1'], connectionTimeoutMs: 200 },
      logger,
      'dead',
    );
    const producer = new KafkaProducer({ kafka: dead, logger, produceTimeoutMs: 1500 });
    const started = Date.now();
    await expect(
      producer.send('any', [{ key: 'k', envelope: createEnvelope({ type: 't', payload: {} }) }]),
    ).rejects.toMatchObject({ code: 'KAFKA_UNAVAILABLE', retryable: true });
    expect(Date.now() - started).toBeLessThan(10_000);
    await producer.disconnect().catch(() => undefined);
  });

  it('reports health against a live and a dead cluster', async () => {
    const live = new KafkaHealth({ kafkaSettings: settings, logger });
    await expect(live.check()).resolves.toBeUndefined();
    await live.close();
    const dead = new KafkaHealth({
      kafkaSettings: { ...settings, brokers: ['127.0.0.1:1'] },
      logger,
    });
    await expect(dead.check()).rejects.toThrow();
  });
});
