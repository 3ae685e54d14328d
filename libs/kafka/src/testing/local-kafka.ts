import type { Kafka } from 'kafkajs';
import { pino, type Logger } from 'pino';

import { ALL_TOPICS } from '@paysync/contracts';

import { createKafka } from '../client.js';
import { KafkaProducer } from '../producer.js';
import { ensureTopics } from '../topic-bootstrap.js';
import { topicName } from '../topics.js';

/** A Kafka client, a producer and a topic prefix of one int test file, on the local broker. */
export interface LocalKafka {
  readonly logger: Logger;
  readonly kafka: Kafka;
  readonly producer: KafkaProducer;
  readonly prefix: string;
  /** The topic's name under this file's prefix. */
  topic(spec: { name: string }): string;
  /** Creates every topic under the prefix (call in `beforeAll`). */
  ensureTopics(): Promise<void>;
  /** Disconnects the producer (call in `afterAll`). */
  close(): Promise<void>;
}

/**
 * Kafka for an int test file: a silent logger, a client for `service` on `brokers` (from the
 * local stack), a producer, and topics under `prefix` (unique per run).
 */
export function localKafka({
  brokers,
  prefix,
  service,
}: {
  readonly brokers: string[];
  readonly prefix: string;
  readonly service: string;
}): LocalKafka {
  const logger = pino({ level: 'silent' });
  const kafka = createKafka({ brokers, connectionTimeoutMs: 3000 }, logger, service);
  const producer = new KafkaProducer({ kafka, logger, produceTimeoutMs: 10_000 });
  return {
    logger,
    kafka,
    producer,
    prefix,
    topic: (spec) => topicName(spec, prefix),
    ensureTopics: async () => {
      await ensureTopics(kafka, ALL_TOPICS, prefix);
    },
    close: () => producer.disconnect(),
  };
}
