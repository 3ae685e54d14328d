// Loads @fastify/awilix's types (and the awilix-manager options asyncInit/asyncDispose it augments).
import type {} from '@fastify/awilix';

import { asClass, asFunction, type AwilixContainer, type NameAndRegistrationPair } from 'awilix';

import { ConnectionRepository, SyncSessionRepository, SyncWriteRepository } from '@paysync/db';
import type { Logger } from '@paysync/observability';
import {
  asKafkaConsumer,
  asWorker,
  infrastructureRegistrations,
  providerRegistrations,
  type InfrastructureCradle,
  type ProviderCradle,
} from '@paysync/runtime';

import { SyncCommandsConsumer } from './modules/sync/sync-commands.consumer.js';
import { SyncUnitRepository } from './modules/sync/sync-unit.repository.js';
import { SyncWorkerPool } from './modules/sync/sync-worker-pool.js';
import { SyncMetrics } from './modules/sync/sync.metrics.js';
import { UnitRunner } from './modules/sync/unit-runner.js';

import type { Config } from './config.js';

export interface SyncRunnerCradle extends InfrastructureCradle<Config>, ProviderCradle {
  readonly connectionRepository: ConnectionRepository;
  readonly syncWriteRepository: SyncWriteRepository;
  readonly syncSessionRepository: SyncSessionRepository;
  readonly syncUnitRepository: SyncUnitRepository;
  readonly syncMetrics: SyncMetrics;
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
  container.register({
    ...infrastructureRegistrations('sync-runner', { config, logger }),
    connectionRepository: asFunction(
      ({ prisma }: SyncRunnerCradle) =>
        new ConnectionRepository({ prisma, keyRing: config.crypto.keyRing }),
    ).singleton(),
    syncWriteRepository: asClass(SyncWriteRepository).singleton(),
    syncSessionRepository: asClass(SyncSessionRepository).singleton(),
    syncUnitRepository: asClass(SyncUnitRepository).singleton(),
    syncMetrics: asClass(SyncMetrics).singleton(),
    ...providerRegistrations({
      stripeApiBaseUrl: config.provider.stripeApiBaseUrl,
      stripeMaxAttempts: config.provider.stripeMaxAttempts,
    }),
    unitRunner: asClass(UnitRunner).singleton(),
    // Workers finish their page and hand units back before the pool closes.
    syncWorkerPool: asClass(SyncWorkerPool, asWorker(config.kafka.consumersEnabled)),
    syncCommandsConsumer: asKafkaConsumer(
      (cradle: SyncRunnerCradle) => new SyncCommandsConsumer(cradle),
      config.kafka.consumersEnabled,
    ),
    ...overrides,
  });
}
