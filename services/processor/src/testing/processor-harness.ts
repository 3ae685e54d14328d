import { randomUUID } from 'node:crypto';

import { TOPICS, type TopicSpec, type WebhookReceived } from '@paysync/contracts';
import { KeyRing } from '@paysync/crypto';
import { createPrismaClient, type Db } from '@paysync/db';
import { createTestDatabase } from '@paysync/db/testing';
import { topicName, webhookReceivedMessage, type OutgoingMessage } from '@paysync/kafka';
import { TopicProbe } from '@paysync/kafka/testing';
import type { TestEnv } from '@paysync/runtime/testing';
import { stackEnv, uniqueId } from '@paysync/testkit';

import { buildApp } from '../app.js';

import { testConfig } from './test-config.js';

import type { WebhookTenant } from './webhooks.js';

/** A running processor with its own database, topics and consumer group (STYLE R40, R42). */
export interface ProcessorHarness {
  readonly app: Awaited<ReturnType<typeof buildApp>>;
  readonly prisma: Db;
  /** A workspace of the test database, and a connection id for its webhooks. */
  readonly tenant: WebhookTenant;
  /** Everything the processor dead-lettered so far. */
  readonly deadLetters: TopicProbe;
  /** The topic's name under this harness's prefix. */
  topic(spec: TopicSpec): string;
  /** Puts webhooks on `billing.webhook.received.v1` as ingress does. */
  publish(...webhooks: WebhookReceived[]): Promise<void>;
  /** Puts raw messages on `billing.webhook.received.v1`. */
  publishRaw(...messages: OutgoingMessage[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Builds the processor through its composition root with its consumer running against the local
 * Kafka and a fresh clone of the test database; retry tiers are short (`100,200` ms).
 */
export async function startProcessor(env: TestEnv = {}): Promise<ProcessorHarness> {
  const db = await createTestDatabase();
  const prisma = createPrismaClient({ url: db.url, poolMax: 2, statementTimeoutMs: 30_000 });
  const workspace = await prisma.workspace.create({ data: { name: 'processor-test' } });
  // A test may share the topics of another harness (same prefix): `topic()` follows it.
  const prefix = env.KAFKA_TOPIC_PREFIX ?? uniqueId('processor-int-');
  const app = await buildApp(
    testConfig({
      DATABASE_URL: db.appUrl, // the login role: under row-level security
      KAFKA_BROKERS: stackEnv().kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      PROCESSOR_GROUP_ID: uniqueId('processor-'),
      PROCESSOR_RETRY_DELAYS_MS: '100,200',
      ENCRYPTION_KEYS: `t1:${KeyRing.generateKey()}`,
      ...env,
    }),
  );
  await app.ready();
  const { kafka, kafkaProducer, topicBootstrap } = app.diContainer.cradle;
  await topicBootstrap.whenReady();
  const topic = (spec: TopicSpec) => topicName(spec, prefix);
  const deadLetters = await TopicProbe.start(kafka, topic(TOPICS.webhookDeadLetter));
  const publishRaw = (...messages: OutgoingMessage[]) =>
    kafkaProducer.send(topic(TOPICS.webhookReceived), messages);
  return {
    app,
    prisma,
    tenant: { workspaceId: workspace.id, connectionId: randomUUID() },
    deadLetters,
    topic,
    publish: (...webhooks) => publishRaw(...webhooks.map((w) => webhookReceivedMessage(w))),
    publishRaw,
    async close() {
      await deadLetters.stop();
      await app.close();
      await prisma.$disconnect();
      await db.drop();
    },
  };
}
