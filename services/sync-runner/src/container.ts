// Loads @fastify/awilix's types (and the awilix-manager options asyncInit/asyncDispose it augments).
import type {} from '@fastify/awilix';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

import {
  asClass,
  asFunction,
  asValue,
  type AwilixContainer,
  type NameAndRegistrationPair,
} from 'awilix';

import { ConnectionRepository, SyncWriteRepository } from '@paysync/db';
import type { Logger } from '@paysync/observability';
import { createConnectionProvider } from '@paysync/providers';
import {
  DISPOSE_PRIORITY,
  asKafkaConsumer,
  infrastructureRegistrations,
  type InfrastructureCradle,
} from '@paysync/runtime';

import { SyncCommandsConsumer } from './modules/sync/sync-commands.consumer.js';
import { SyncUnitRepository } from './modules/sync/sync-unit.repository.js';
import { SyncWorkerPool } from './modules/sync/sync-worker-pool.js';
import { SyncMetrics } from './modules/sync/sync.metrics.js';
import { UnitRunner, type SyncProviderFactory } from './modules/sync/unit-runner.js';

import type { Config } from './config.js';

export interface SyncRunnerCradle extends InfrastructureCradle {
  readonly config: Config;
  readonly connectionRepository: ConnectionRepository;
  readonly syncWriteRepository: SyncWriteRepository;
  readonly syncUnitRepository: SyncUnitRepository;
  readonly syncMetrics: SyncMetrics;
  readonly syncProviderFactory: SyncProviderFactory;
  readonly unitRunner: UnitRunner;
  readonly syncWorkerPool: SyncWorkerPool;
  readonly syncCommandsConsumer: SyncCommandsConsumer;
}

declare module '@fastify/awilix' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Cradle extends SyncRunnerCradle {}
}

export type DependencyOverrides = Partial<NameAndRegistrationPair<SyncRunnerCradle>>;

/** The only place the sync-runner service registers dependencies (STYLE R11). */
export function registerDependencies(
  container: AwilixContainer<SyncRunnerCradle>,
  { config, logger }: { config: Config; logger: Logger },
  overrides: DependencyOverrides = {},
): void {
  const settings = config.syncRunner;
  const owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  container.register({
    config: asValue(config),
    logger: asValue(logger),
    ...infrastructureRegistrations('sync-runner', config),
    connectionRepository: asFunction(
      ({ prisma }: SyncRunnerCradle) =>
        new ConnectionRepository({ prisma, keyRing: config.crypto.keyRing }),
    ).singleton(),
    syncWriteRepository: asClass(SyncWriteRepository).singleton(),
    syncUnitRepository: asClass(SyncUnitRepository).singleton(),
    syncMetrics: asClass(SyncMetrics).singleton(),
    syncProviderFactory: asValue<SyncProviderFactory>((connection, rateLimiter) =>
      createConnectionProvider(connection, {
        defaultApiBaseUrl: config.provider.stripeApiBaseUrl,
        rateLimiter,
        maxAttempts: config.provider.stripeMaxAttempts,
      }),
    ),
    unitRunner: asFunction(
      (c: SyncRunnerCradle) =>
        new UnitRunner({
          prisma: c.prisma,
          syncUnitRepository: c.syncUnitRepository,
          connectionRepository: c.connectionRepository,
          syncWriteRepository: c.syncWriteRepository,
          syncProviderFactory: c.syncProviderFactory,
          syncMetrics: c.syncMetrics,
          logger,
          settings: {
            owner,
            leaseMs: settings.leaseMs,
            pageSize: settings.pageSize,
            segments: settings.segments,
            maxUnitAttempts: settings.maxUnitAttempts,
            retryBackoffMs: settings.retryBackoffMs,
          },
        }),
    ).singleton(),
    syncWorkerPool: asFunction(
      ({ syncUnitRepository, unitRunner, syncMetrics }: SyncRunnerCradle) =>
        new SyncWorkerPool({
          syncUnitRepository,
          unitRunner,
          syncMetrics,
          logger,
          concurrency: settings.concurrency,
          pollIntervalMs: settings.pollIntervalMs,
          owner,
          leaseMs: settings.leaseMs,
        }),
      {
        lifetime: 'SINGLETON',
        asyncInit: 'start',
        asyncDispose: 'stop',
        // Workers finish their page and hand units back before the pool closes.
        asyncDisposePriority: DISPOSE_PRIORITY.workers,
        enabled: config.kafka.consumersEnabled,
      },
    ),
    syncCommandsConsumer: asKafkaConsumer(
      ({ kafka, syncUnitRepository, syncWorkerPool }: SyncRunnerCradle) =>
        new SyncCommandsConsumer({
          kafka,
          logger,
          syncUnitRepository,
          syncWorkerPool,
          groupId: settings.groupId,
          topicPrefix: config.kafka.topicPrefix,
        }),
      config.kafka.consumersEnabled,
    ),
    ...overrides,
  });
}
