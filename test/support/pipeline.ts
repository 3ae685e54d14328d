import type { TopicSpec } from '@paysync/contracts';
import { KeyRing } from '@paysync/crypto';
import {
  ConnectionRepository,
  SyncWriteRepository,
  createPrismaClient,
  type ConnectionView,
  type Db,
} from '@paysync/db';
import { anEvent, createTestDatabase, type TestDatabase } from '@paysync/db/testing';
import { createKafka, topicName } from '@paysync/kafka';
import { TopicProbe } from '@paysync/kafka/testing';
import { createLogger } from '@paysync/observability';
import { StripeSimulator, type SeedCounts } from '@paysync/simulator';
import { stackEnv, uniqueId } from '@paysync/testkit';

import { buildApp as buildIngress } from '../../services/ingress/src/app.js';
import { testConfig as ingressConfig } from '../../services/ingress/src/testing/test-config.js';
import { buildApp as buildProcessor } from '../../services/processor/src/app.js';
import { testConfig as processorConfig } from '../../services/processor/src/testing/test-config.js';

export const TEST_ENCRYPTION_KEYS = `t1:${KeyRing.generateKey()}`;

export interface Pipeline {
  readonly db: TestDatabase;
  readonly prisma: Db;
  readonly sim: StripeSimulator;
  readonly ingress: Awaited<ReturnType<typeof buildIngress>>;
  readonly processor: Awaited<ReturnType<typeof buildProcessor>>;
  readonly ingressUrl: string;
  readonly workspaceId: string;
  readonly connection: ConnectionView;
  readonly webhookSecret: string;
  readonly webhookUrl: string;
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Ingress and processor built through their composition roots in this process, against the real
 * Kafka and a fresh database, with a simulator whose webhooks point at the ingress.
 */
export async function startPipeline(
  opts: { seed?: SeedCounts; env?: Record<string, string>; processor?: boolean } = {},
): Promise<Pipeline> {
  const db = await createTestDatabase();
  const { kafkaBrokers } = stackEnv();
  const env: Record<string, string> = {
    DATABASE_URL: db.appUrl,
    KAFKA_BROKERS: kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: uniqueId('e2e-'),
    ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    PROCESSOR_GROUP_ID: uniqueId('processor-'),
    PROCESSOR_RETRY_DELAYS_MS: '300,600',
    INGRESS_CONNECTION_CACHE_TTL_MS: '200',
    ...opts.env,
  };
  const prisma = createPrismaClient({ url: db.url, poolMax: 4, statementTimeoutMs: 30_000 });
  const sim = new StripeSimulator({
    seed: opts.seed ?? { customers: 20, products: 5, prices: 10 },
  });
  await sim.start();

  const workspaceId = (await prisma.workspace.create({ data: { name: 'pipeline' } })).id;
  const webhookSecret = `whsec_${uniqueId('s')}`;
  const connection = await connectSimulator(prisma, sim, {
    workspaceId,
    apiKey: 'sk_test_pipeline_key_0001',
    webhookSecret,
  });

  const ingress = await buildIngress(ingressConfig(env));
  // Topics exist before any test subscribes a probe to them.
  await ingress.diContainer.cradle.topicBootstrap.whenReady();
  const ingressUrl = await ingress.listen({ host: '127.0.0.1', port: 0 });
  const processor = await buildProcessor(
    processorConfig({
      ...env,
      KAFKA_CONSUMERS_ENABLED: opts.processor === false ? 'false' : 'true',
    }),
  );
  await processor.ready();
  const webhookUrl = `${ingressUrl}/webhooks/stripe/${connection.id}`;
  sim.addWebhookEndpoint(webhookUrl, webhookSecret);

  return {
    db,
    prisma,
    sim,
    ingress,
    processor,
    ingressUrl,
    workspaceId,
    connection,
    webhookSecret,
    webhookUrl,
    env,
    async close() {
      await sim.stop();
      sim.webhooks.close();
      await ingress.close();
      await processor.close();
      await prisma.$disconnect();
      await db.drop();
    },
  };
}

/**
 * A Stripe event as the simulator's account would send it to this pipeline: created now, in test
 * mode, at the API version paysync is written against.
 */
export function pipelineEvent(
  p: Pipeline,
  type: string,
  object: Record<string, unknown>,
  id = `evt_${Math.random().toString(36).slice(2)}`,
) {
  return {
    id,
    object: 'event',
    type,
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    api_version: '2026-10-28.endive',
    account: p.sim.accountId,
    data: { object },
  };
}

/** Reads the pipeline's `topic` (under its prefix) from now on, through a Kafka client of its own. */
export function pipelineTopicProbe(
  p: Pipeline,
  topic: Pick<TopicSpec, 'name'>,
): Promise<TopicProbe> {
  const kafka = createKafka(
    { brokers: stackEnv().kafkaBrokers, connectionTimeoutMs: 3000 },
    createLogger({ level: 'silent', name: 't' }),
    't',
  );
  return TopicProbe.start(kafka, topicName(topic, p.env.KAFKA_TOPIC_PREFIX as string));
}

/**
 * Records a `customer.updated` event of the pipeline's workspace as dead after three attempts (a
 * provider outage), as the processor leaves one: what a replay picks up.
 */
export async function recordDeadEvent(
  p: Pipeline,
  event: { providerEventId: string; objectId: string; payload: unknown; providerCreatedAt: Date },
): Promise<void> {
  await new SyncWriteRepository({ prisma: p.prisma }).recordFailures([
    {
      event: anEvent({
        workspaceId: p.workspaceId,
        eventType: 'customer.updated',
        objectType: 'customer',
        ...event,
      }),
      status: 'dead',
      attempt: 3,
      errorClass: 'PROVIDER_UNAVAILABLE',
      message: 'simulated',
    },
  ]);
}

/**
 * A test-mode Stripe connection of `workspaceId` to the simulator `sim` (started), signed with
 * `webhookSecret` and linked to the simulator's account.
 */
async function connectSimulator(
  prisma: Db,
  sim: StripeSimulator,
  {
    workspaceId,
    apiKey,
    webhookSecret,
  }: { workspaceId: string; apiKey: string; webhookSecret: string },
): Promise<ConnectionView> {
  const connections = new ConnectionRepository({
    prisma,
    keyRing: KeyRing.fromString(TEST_ENCRYPTION_KEYS),
  });
  const connection = await connections.create({
    workspaceId,
    provider: 'stripe',
    mode: 'test',
    apiKey,
    webhookSecrets: [webhookSecret],
    settings: { apiBaseUrl: sim.url },
  });
  await connections.linkProviderAccount(connection, sim.accountId);
  return connection;
}

/**
 * Another Stripe account on the pipeline: a connection of `workspaceId` to the simulator `sim`
 * (started) with a webhook secret of its own, and `sim`'s webhooks sent to the pipeline's ingress.
 */
export async function addPipelineAccount(
  p: Pipeline,
  sim: StripeSimulator,
  { workspaceId, apiKey }: { workspaceId: string; apiKey: string },
): Promise<ConnectionView> {
  const webhookSecret = `whsec_${uniqueId('b')}`;
  const connection = await connectSimulator(p.prisma, sim, { workspaceId, apiKey, webhookSecret });
  sim.addWebhookEndpoint(`${p.ingressUrl}/webhooks/stripe/${connection.id}`, webhookSecret);
  return connection;
}
