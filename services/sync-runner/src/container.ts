import { asClass } from 'awilix';

import { SyncSessionRepository, SyncWriteRepository } from '@paysync/db';
import {
  asKafkaConsumer,
  asWorker,
  providerRegistrations,
  serviceRegistrations,
  type InfrastructureCradle,
  type ProviderCradle,
} from '@paysync/runtime';

import { SyncCommandsConsumer } from './modules/sync/sync-commands.consumer.js';
import { SyncUnitRepository } from './modules/sync/sync-unit.repository.js';
import { SyncWorkerPool } from './modules/sync/sync-worker-pool.js';
import { SyncMetrics } from './modules/sync/sync.metrics.js';
import { UnitRunner } from './modules/sync/unit-runner.js';

import type { Config } from './config.js';

/** The sync-runner container: the shared infrastructure and provider clients plus its own. */
export interface SyncRunnerCradle extends InfrastructureCradle<Config>, ProviderCradle {
  readonly syncWriteRepository: SyncWriteRepository;
  readonly syncSessionRepository: SyncSessionRepository;
  readonly syncUnitRepository: SyncUnitRepository;
  readonly syncMetrics: SyncMetrics;
  readonly unitRunner: UnitRunner;
  readonly syncWorkerPool: SyncWorkerPool;
  readonly syncCommandsConsumer: SyncCommandsConsumer;
}

/** The only place the sync-runner service registers dependencies (STYLE R11). */
export const registerDependencies = serviceRegistrations<Config, SyncRunnerCradle>(
  'sync-runner',
  ({ config }) => ({
    ...providerRegistrations(config.provider),
    syncWriteRepository: asClass(SyncWriteRepository).singleton(),
    syncSessionRepository: asClass(SyncSessionRepository).singleton(),
    syncUnitRepository: asClass(SyncUnitRepository).singleton(),
    syncMetrics: asClass(SyncMetrics).singleton(),
    unitRunner: asClass(UnitRunner).singleton(),
    // Workers finish their page and hand units back before the pool closes.
    syncWorkerPool: asClass(SyncWorkerPool, asWorker(config.kafka.consumersEnabled)),
    syncCommandsConsumer: asKafkaConsumer(
      (cradle: SyncRunnerCradle) => new SyncCommandsConsumer(cradle),
      config.kafka.consumersEnabled,
    ),
  }),
);
