import type { ProviderName, TopicSpec } from '@paysync/contracts';
import { KeyRing } from '@paysync/crypto';
import { SyncWriteRepository, createPrismaClient, type ConnectionView, type Db } from '@paysync/db';
import { anEvent, createTestDatabase, type TestDatabase } from '@paysync/db/testing';
import { createKafka, topicName } from '@paysync/kafka';
import { TopicProbe } from '@paysync/kafka/testing';
import { createLogger } from '@paysync/observability';
import { StripeSimulator, type SeedCounts } from '@paysync/simulator';
import { stackEnv, uniqueId } from '@paysync/testkit';

import { StripeSim, connectSim, type ProviderSim } from './providers.js';

import { buildApp as buildIngress } from '../../services/ingress/src/app.js';
import { testConfig as ingressConfig } from '../../services/ingress/src/testing/test-config.js';
import { buildApp as buildProcessor } from '../../services/processor/src/app.js';
import { testConfig as processorConfig } from '../../services/processor/src/testing/test-config.js';

export const TEST_ENCRYPTION_KEYS = `t1:${KeyRing.generateKey()}`;

/** The pipeline of either provider (the provider column, support/providers.ts). */
export interface ProviderPipeline {
  readonly db: TestDatabase;
  readonly prisma: Db;
  readonly sim: ProviderSim;
  readonly ingress: Awaited<ReturnType<typeof buildIngress>>;
  readonly processor: Awaited<ReturnType<typeof buildProcessor>>;
  readonly ingressUrl: string;
  readonly workspaceId: string;
  readonly connection: ConnectionView;
  /** The connection's webhook secret: Stripe's signing secret, Chargebee's Basic credential. */
  readonly webhookSecret: string;
  readonly webhookUrl: string;
  readonly env: Record<string, string>;
  /**
   * Another account on the pipeline, for a simulator of either provider (not started yet): `sim`
   * started (and stopped by {@link close}), a connection of `workspaceId` to it with a webhook
   * secret of its own, and its webhooks sent to the pipeline's ingress.
   */
  addAccount(sim: ProviderSim, opts: { workspaceId: string }): Promise<PipelineAccount>;
  close(): Promise<void>;
}

/** The Stripe pipeline: its simulator is the Stripe simulator itself. */
export interface Pipeline extends Omit<ProviderPipeline, 'sim'> {
  readonly sim: StripeSimulator;
}

export interface PipelineOptions {
  env?: Record<string, string>;
  processor?: boolean;
}

/**
 * Ingress and processor built through their composition roots in this process, against the real
 * Kafka and a fresh database, with a simulator whose webhooks point at the ingress.
 */
export async function startPipeline(
  opts: { seed?: SeedCounts } & PipelineOptions = {},
): Promise<Pipeline> {
  const sim = new StripeSimulator({
    seed: opts.seed ?? { customers: 20, products: 5, prices: 10 },
  });
  const p = await startProviderPipeline(new StripeSim(sim), opts);
  return { ...p, sim };
}

/**
 * {@link startPipeline} for a simulator of either provider (not started yet): a connection of the
 * pipeline's workspace to it, its webhooks sent to the ingress route of its provider.
 */
export async function startProviderPipeline(
  sim: ProviderSim,
  opts: PipelineOptions = {},
): Promise<ProviderPipeline> {
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
  await sim.start();

  const workspaceId = (await prisma.workspace.create({ data: { name: 'pipeline' } })).id;
  const webhookSecret =
    sim.provider === 'stripe' ? `whsec_${uniqueId('s')}` : sim.newWebhookSecret();
  const connection = await connectSim(prisma, TEST_ENCRYPTION_KEYS, sim, {
    workspaceId,
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
  const webhookUrl = `${ingressUrl}/webhooks/${sim.provider}/${connection.id}`;
  sim.addWebhookEndpoint(webhookUrl, webhookSecret);
  const others: ProviderSim[] = [];

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
    async addAccount(other, { workspaceId: otherWorkspaceId }) {
      await other.start();
      others.push(other);
      return addProviderAccount({ prisma, ingressUrl }, other, { workspaceId: otherWorkspaceId });
    },
    async close() {
      await sim.stop();
      for (const other of others) await other.stop();
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
  p: Pick<ProviderPipeline, 'env'>,
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
  p: Pick<ProviderPipeline, 'prisma' | 'workspaceId'>,
  event: {
    providerEventId: string;
    objectId: string;
    payload: unknown;
    providerCreatedAt: Date;
    /** The stored type; Stripe's `customer.updated` unless given. */
    eventType?: string;
    provider?: ProviderName;
  },
): Promise<void> {
  await new SyncWriteRepository({ prisma: p.prisma }).recordFailures([
    {
      event: anEvent({
        workspaceId: p.workspaceId,
        objectType: 'customer',
        ...event,
        eventType: event.eventType ?? 'customer.updated',
      }),
      status: 'dead',
      attempt: 3,
      errorClass: 'PROVIDER_UNAVAILABLE',
      message: 'simulated',
    },
  ]);
}

/** A connection added to a pipeline, with where and how its webhooks are posted. */
export interface PipelineAccount {
  readonly connection: ConnectionView;
  readonly webhookSecret: string;
  readonly webhookUrl: string;
}

/** {@link ProviderPipeline.addAccount} of a simulator already started. */
async function addProviderAccount(
  p: Pick<ProviderPipeline, 'prisma' | 'ingressUrl'>,
  sim: ProviderSim,
  { workspaceId }: { workspaceId: string },
): Promise<PipelineAccount> {
  const webhookSecret =
    sim.provider === 'stripe' ? `whsec_${uniqueId('b')}` : sim.newWebhookSecret();
  const connection = await connectSim(p.prisma, TEST_ENCRYPTION_KEYS, sim, {
    workspaceId,
    webhookSecret,
  });
  const webhookUrl = `${p.ingressUrl}/webhooks/${sim.provider}/${connection.id}`;
  sim.addWebhookEndpoint(webhookUrl, webhookSecret);
  return { connection, webhookSecret, webhookUrl };
}
