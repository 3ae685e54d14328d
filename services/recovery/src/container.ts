import { asClass } from 'awilix';

import {
  DriftRepository,
  ReconciliationRepository,
  SyncSessionRepository,
  SyncWriteRepository,
} from '@paysync/db';
import {
  asKafkaConsumer,
  providerRegistrations,
  serviceRegistrations,
  type InfrastructureCradle,
  type ProviderCradle,
} from '@paysync/runtime';

import { DeadLetterRepository } from './modules/dead-letters/dead-letter.repository.js';
import { DeadLettersConsumer } from './modules/dead-letters/dead-letters.consumer.js';
import { Redriver } from './modules/dead-letters/redriver.js';
import { EventCursorRepository } from './modules/events/event-cursor.repository.js';
import { EventsPoller } from './modules/events/events-poller.js';
import { HeartbeatRepository } from './modules/heartbeats/heartbeat.repository.js';
import { RecoveryMetrics } from './modules/heartbeats/recovery.metrics.js';
import { recoveryTasks, type RecoveryTasks } from './modules/heartbeats/recovery-tasks.js';
import { StateMetrics } from './modules/observability/state.metrics.js';
import { Reconciler } from './modules/reconciliation/reconciler.js';
import { SessionWatchdog } from './modules/sessions/session-watchdog.js';

import type { Config } from './config.js';

/** The recovery container: shared infrastructure, provider clients, its own classes and loops. */
export interface RecoveryCradle
  extends InfrastructureCradle<Config>, ProviderCradle, RecoveryTasks {
  readonly deadLetterRepository: DeadLetterRepository;
  readonly deadLettersConsumer: DeadLettersConsumer;
  readonly redriver: Redriver;
  readonly recoveryMetrics: RecoveryMetrics;
  readonly stateMetrics: StateMetrics;
  readonly heartbeatRepository: HeartbeatRepository;
  readonly syncWriteRepository: SyncWriteRepository;
  readonly syncSessionRepository: SyncSessionRepository;
  readonly driftRepository: DriftRepository;
  readonly reconciliationRepository: ReconciliationRepository;
  readonly eventCursorRepository: EventCursorRepository;
  readonly sessionWatchdog: SessionWatchdog;
  readonly reconciler: Reconciler;
  readonly eventsPoller: EventsPoller;
}

/** The only place the recovery service registers dependencies (STYLE R11). */
export const registerDependencies = serviceRegistrations<Config, RecoveryCradle>(
  'recovery',
  ({ config }) => ({
    ...providerRegistrations(config.provider),
    deadLetterRepository: asClass(DeadLetterRepository).singleton(),
    deadLettersConsumer: asKafkaConsumer(
      (c: RecoveryCradle) => new DeadLettersConsumer(c),
      config.kafka.consumersEnabled,
    ),
    recoveryMetrics: asClass(RecoveryMetrics).singleton(),
    stateMetrics: asClass(StateMetrics, { lifetime: 'SINGLETON', asyncInit: 'start' }),
    heartbeatRepository: asClass(HeartbeatRepository).singleton(),
    syncWriteRepository: asClass(SyncWriteRepository).singleton(),
    syncSessionRepository: asClass(SyncSessionRepository).singleton(),
    driftRepository: asClass(DriftRepository).singleton(),
    reconciliationRepository: asClass(ReconciliationRepository).singleton(),
    eventCursorRepository: asClass(EventCursorRepository).singleton(),
    redriver: asClass(Redriver).singleton(),
    sessionWatchdog: asClass(SessionWatchdog).singleton(),
    reconciler: asClass(Reconciler).singleton(),
    eventsPoller: asClass(EventsPoller).singleton(),
    ...recoveryTasks(config),
  }),
);
