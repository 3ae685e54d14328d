import { KeyRing } from '@paysync/crypto';
import {
  ConnectionRepository,
  createPrismaClient,
  type CreateConnectionInput,
  type Db,
} from '@paysync/db';
import { createTestDatabase, type TestDatabase } from '@paysync/db/testing';
import { stackEnv, uniqueId } from '@paysync/testkit';

import { buildApp } from '../app.js';

import { testConfig } from './test-config.js';

export type RecoveryApp = Awaited<ReturnType<typeof buildApp>>;

/** A recovery app of an int test on its own test database, and a superuser client on that. */
export interface RecoveryHarness {
  readonly db: TestDatabase;
  readonly prisma: Db;
  readonly app: RecoveryApp;
  /** The app's Kafka topic prefix. */
  readonly prefix: string;
  /** A new workspace named `name` with a test-mode Stripe connection (encrypted with the keys). */
  stripeConnection(
    name: string,
    connection: Omit<CreateConnectionInput, 'workspaceId' | 'provider' | 'mode'>,
  ): Promise<{ workspaceId: string; configurationId: string }>;
  /** Closes the app once its topics exist, disconnects and drops the database. */
  close(): Promise<void>;
}

/**
 * A fresh test database and the recovery app on it (ready) with the local Kafka under a prefix
 * unique to `name`, ENCRYPTION_KEYS `keys` (a fresh key unless given), and the consumers off (the test drives the loops)
 * unless `env` says otherwise; `env` sets the rest.
 */
export async function startRecoveryHarness({
  name,
  keys = `t1:${KeyRing.generateKey()}`,
  env = {},
}: {
  readonly name: string;
  readonly keys?: string;
  readonly env?: Record<string, string>;
}): Promise<RecoveryHarness> {
  const db = await createTestDatabase();
  const prefix = uniqueId(`${name}-`);
  const app = await buildApp(
    testConfig({
      DATABASE_URL: db.appUrl,
      KAFKA_BROKERS: stackEnv().kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      ENCRYPTION_KEYS: keys,
      KAFKA_CONSUMERS_ENABLED: 'false',
      ...env,
    }),
  ).catch(async (err: unknown) => {
    await db.drop();
    throw err;
  });
  await app.ready();
  const prisma = createPrismaClient({ url: db.url, poolMax: 2, statementTimeoutMs: 30_000 });
  const connections = new ConnectionRepository({ prisma, keyRing: KeyRing.fromString(keys) });
  return {
    db,
    prisma,
    app,
    prefix,
    async stripeConnection(workspaceName, connection) {
      const workspaceId = (await prisma.workspace.create({ data: { name: workspaceName } })).id;
      const { id } = await connections.create({
        workspaceId,
        provider: 'stripe',
        mode: 'test',
        ...connection,
      });
      return { workspaceId, configurationId: id };
    },
    async close() {
      // The app creates its topics in the background: closing it in the middle of that leaves
      // kafkajs working after the test file ended (jest: "environment has been torn down").
      await app.diContainer.cradle.topicBootstrap.whenReady();
      await app.close();
      await prisma.$disconnect();
      await db.drop();
    },
  };
}
