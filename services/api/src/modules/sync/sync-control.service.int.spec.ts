import { KeyRing } from '@paysync/crypto';
import {
  ConnectionRepository,
  ReconciliationRepository,
  SyncSessionRepository,
  createPrismaClient,
  type Db,
} from '@paysync/db';
import { createTestDatabase, type TestDatabase } from '@paysync/db/testing';
import { KafkaProducer, createKafka } from '@paysync/kafka';
import { createLogger } from '@paysync/observability';

import { SyncControlService } from './sync-control.service.js';

// The session row is written before the command is published: when Kafka cannot take the
// command, the new session ends `failed` (KAFKA_UNAVAILABLE) instead of waiting for a command
// that never left. Kafka here is a real client whose broker address has nothing listening.
let db: TestDatabase;
let prisma: Db;
let producer: KafkaProducer;
let service: SyncControlService;
let sessions: SyncSessionRepository;
let workspaceId: string;
let configurationId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient({ url: db.url, poolMax: 2, statementTimeoutMs: 30_000 });
  const logger = createLogger({ level: 'silent', name: 'api' });
  const kafka = createKafka({ brokers: ['127.0.0.1:1'], connectionTimeoutMs: 200 }, logger, 'api', {
    initialRetryTime: 50,
    retries: 1,
    maxRetryTime: 100,
  });
  producer = new KafkaProducer({ kafka, logger, produceTimeoutMs: 1000 });
  const connections = new ConnectionRepository({
    prisma,
    keyRing: KeyRing.fromString(`t1:${KeyRing.generateKey()}`),
  });
  sessions = new SyncSessionRepository({ prisma });
  service = new SyncControlService({
    syncSessionRepository: sessions,
    reconciliationRepository: new ReconciliationRepository({ prisma }),
    connectionRepository: connections,
    kafkaProducer: producer,
    logger,
    config: { kafka: { topicPrefix: 'unreachable-' } },
  });
  workspaceId = (await prisma.workspace.create({ data: { name: 'kafka-down' } })).id;
  configurationId = (
    await connections.create({
      workspaceId,
      provider: 'stripe',
      mode: 'test',
      apiKey: 'sk_test_kafkadown0001',
    })
  ).id;
}, 60_000);

afterAll(async () => {
  await producer?.disconnect().catch(() => undefined);
  await prisma?.$disconnect();
  await db?.drop();
});

it('fails the new session with KAFKA_UNAVAILABLE when its start command cannot be published', async () => {
  await expect(
    service.startInitial({
      workspaceId,
      provider: 'stripe',
      entityTypes: ['customer'],
      requestedBy: 'test',
      correlationId: 'corr-kafka-down',
    }),
  ).rejects.toMatchObject({ code: 'KAFKA_UNAVAILABLE', retryable: true });
  const [session] = await prisma.paymentSyncSession.findMany({ where: { configurationId } });
  expect(session).toMatchObject({
    status: 'failed',
    error: { code: 'KAFKA_UNAVAILABLE' },
    requestedBy: 'test',
  });
  // The connection is free again: nothing is left pending.
  expect(await sessions.hasActive(configurationId)).toBe(false);
}, 30_000);
