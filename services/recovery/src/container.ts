// Loads @fastify/awilix's types (and the awilix-manager options asyncInit/asyncDispose it augments).
import type {} from '@fastify/awilix';
import {
  asClass,
  asFunction,
  asValue,
  type AwilixContainer,
  type NameAndRegistrationPair,
} from 'awilix';

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

import {
  ConnectionRepository,
  DriftRepository,
  ReconciliationRepository,
  SyncWriteRepository,
} from '@paysync/db';
import type { Logger } from '@paysync/observability';
import { createConnectionProvider } from '@paysync/providers';
import {
  DISPOSE_PRIORITY,
  asKafkaConsumer,
  infrastructureRegistrations,
  type InfrastructureCradle,
} from '@paysync/runtime';

import { DeadLetterRepository } from './modules/dead-letters/dead-letter.repository.js';
import { DeadLettersConsumer } from './modules/dead-letters/dead-letters.consumer.js';
import { Redriver } from './modules/dead-letters/redriver.js';
import { EventsPoller } from './modules/events/events-poller.js';
import { HeartbeatRepository } from './modules/heartbeats/heartbeat.repository.js';
import { PeriodicTask } from './modules/heartbeats/periodic-task.js';
import { RecoveryMetrics } from './modules/heartbeats/recovery.metrics.js';
import { StateMetrics } from './modules/observability/state.metrics.js';
import { Reconciler, type ProviderFactory } from './modules/reconciliation/reconciler.js';
import { SessionWatchdog } from './modules/sessions/session-watchdog.js';

import type { Config } from './config.js';

export interface RecoveryCradle extends InfrastructureCradle {
  readonly config: Config;
  readonly deadLetterRepository: DeadLetterRepository;
  readonly deadLettersConsumer: DeadLettersConsumer;
  readonly redriver: Redriver;
  readonly recoveryMetrics: RecoveryMetrics;
  readonly stateMetrics: StateMetrics;
  readonly heartbeatRepository: HeartbeatRepository;
  readonly connectionRepository: ConnectionRepository;
  readonly syncWriteRepository: SyncWriteRepository;
  readonly driftRepository: DriftRepository;
  readonly reconciliationRepository: ReconciliationRepository;
  readonly providerFactory: ProviderFactory;
  readonly sessionWatchdog: SessionWatchdog;
  readonly reconciler: Reconciler;
  readonly eventsPoller: EventsPoller;
  /** The periodic loops, each recorded in `recovery_heartbeats`. */
  readonly redriveTask: PeriodicTask;
  readonly sessionTask: PeriodicTask;
  readonly reconcileTask: PeriodicTask;
  readonly eventsTask: PeriodicTask | undefined;
}

declare module '@fastify/awilix' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Cradle extends RecoveryCradle {}
}

export type DependencyOverrides = Partial<NameAndRegistrationPair<RecoveryCradle>>;

/** The only place the recovery service registers dependencies (STYLE R11). */
export function registerDependencies(
  container: AwilixContainer<RecoveryCradle>,
  { config, logger }: { config: Config; logger: Logger },
  overrides: DependencyOverrides = {},
): void {
  const settings = config.recovery;
  const owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const workerLifetime = {
    lifetime: 'SINGLETON' as const,
    asyncInit: 'start' as const,
    asyncDispose: 'stop' as const,
    asyncDisposePriority: DISPOSE_PRIORITY.workers,
    enabled: config.kafka.consumersEnabled,
  };
  container.register({
    config: asValue(config),
    logger: asValue(logger),
    ...infrastructureRegistrations('recovery', config),
    deadLetterRepository: asClass(DeadLetterRepository).singleton(),
    deadLettersConsumer: asKafkaConsumer(
      ({ kafka, deadLetterRepository }: RecoveryCradle) =>
        new DeadLettersConsumer({
          kafka,
          logger,
          deadLetterRepository,
          policy: {
            maxAttempts: settings.redriveMaxAttempts,
            baseMs: settings.redriveBaseMs,
            maxDelayMs: settings.redriveMaxDelayMs,
          },
          groupId: settings.groupId,
          topicPrefix: config.kafka.topicPrefix,
        }),
      config.kafka.consumersEnabled,
    ),
    recoveryMetrics: asClass(RecoveryMetrics).singleton(),
    stateMetrics: asClass(StateMetrics, { lifetime: 'SINGLETON', asyncInit: 'start' }),
    heartbeatRepository: asClass(HeartbeatRepository).singleton(),
    connectionRepository: asFunction(
      ({ prisma }: RecoveryCradle) =>
        new ConnectionRepository({ prisma, keyRing: config.crypto.keyRing }),
    ).singleton(),
    syncWriteRepository: asClass(SyncWriteRepository).singleton(),
    driftRepository: asClass(DriftRepository).singleton(),
    reconciliationRepository: asClass(ReconciliationRepository).singleton(),
    providerFactory: asValue<ProviderFactory>((connection, rateLimiter) =>
      createConnectionProvider(connection, {
        defaultApiBaseUrl: config.provider.stripeApiBaseUrl,
        rateLimiter,
        maxAttempts: config.provider.stripeMaxAttempts,
      }),
    ),
    redriver: asFunction(
      ({ deadLetterRepository, kafkaProducer, recoveryMetrics }: RecoveryCradle) =>
        new Redriver({
          deadLetterRepository,
          kafkaProducer,
          recoveryMetrics,
          topicPrefix: config.kafka.topicPrefix,
          logger,
        }),
    ).singleton(),
    sessionWatchdog: asFunction(
      ({ prisma, kafkaProducer, recoveryMetrics }: RecoveryCradle) =>
        new SessionWatchdog({
          prisma,
          kafkaProducer,
          recoveryMetrics,
          topicPrefix: config.kafka.topicPrefix,
          settings: {
            stalledAfterMs: settings.sessionStalledAfterMs,
            maxAutoResumes: settings.sessionAutoResumeMax,
            resumeDelayMs: settings.sessionResumeDelayMs,
          },
          logger,
        }),
    ).singleton(),
    reconciler: asFunction(
      (c: RecoveryCradle) =>
        new Reconciler({
          prisma: c.prisma,
          connectionRepository: c.connectionRepository,
          driftRepository: c.driftRepository,
          syncWriteRepository: c.syncWriteRepository,
          reconciliationRepository: c.reconciliationRepository,
          providerFactory: c.providerFactory,
          recoveryMetrics: c.recoveryMetrics,
          settings: {
            owner,
            leaseMs: settings.reconcileLeaseMs,
            maxVerify: settings.reconcileMaxVerify,
            pageSize: 100,
          },
          logger,
        }),
    ).singleton(),
    eventsPoller: asFunction(
      (c: RecoveryCradle) =>
        new EventsPoller({
          prisma: c.prisma,
          connectionRepository: c.connectionRepository,
          providerFactory: c.providerFactory,
          kafkaProducer: c.kafkaProducer,
          topicPrefix: config.kafka.topicPrefix,
          recoveryMetrics: c.recoveryMetrics,
          settings: {
            graceMs: settings.eventsGraceMs,
            lookbackSeconds: settings.eventsLookbackSeconds,
          },
          logger,
        }),
    ).singleton(),
    redriveTask: asFunction(
      ({ redriver, heartbeatRepository }: RecoveryCradle) =>
        new PeriodicTask({
          name: 'redrive',
          intervalMs: settings.redriveIntervalMs,
          run: () => redriver.tick(),
          heartbeats: heartbeatRepository,
          logger,
        }),
      workerLifetime,
    ),
    sessionTask: asFunction(
      ({ sessionWatchdog, heartbeatRepository }: RecoveryCradle) =>
        new PeriodicTask({
          name: 'session-watchdog',
          intervalMs: settings.sessionCheckIntervalMs,
          run: () => sessionWatchdog.check(),
          heartbeats: heartbeatRepository,
          logger,
        }),
      workerLifetime,
    ),
    reconcileTask: asFunction(
      ({ reconciler, reconciliationRepository, heartbeatRepository }: RecoveryCradle) =>
        new PeriodicTask({
          name: 'reconciliation',
          intervalMs: settings.reconcilePollMs,
          run: async () => {
            const scheduled = await reconciliationRepository.scheduleDue();
            const ran = await reconciler.runNext();
            return { scheduled, ...(ran && { reconciliationId: ran.id, status: ran.status }) };
          },
          heartbeats: heartbeatRepository,
          logger,
        }),
      workerLifetime,
    ),
    eventsTask: asFunction(
      ({ eventsPoller, heartbeatRepository }: RecoveryCradle) =>
        new PeriodicTask({
          name: 'events-poller',
          intervalMs: settings.eventsPollIntervalMs,
          run: () => eventsPoller.poll(),
          heartbeats: heartbeatRepository,
          logger,
        }),
      { ...workerLifetime, enabled: workerLifetime.enabled && settings.eventsPollIntervalMs > 0 },
    ),
    ...overrides,
  });
}
