import { asClass, asFunction } from 'awilix';

import {
  DriftRepository,
  ReconciliationRepository,
  SyncSessionRepository,
  SyncWriteRepository,
} from '@paysync/db';
import {
  asKafkaConsumer,
  asWorker,
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
import { PeriodicTask, type PeriodicTaskDeps } from './modules/heartbeats/periodic-task.js';
import { RecoveryMetrics } from './modules/heartbeats/recovery.metrics.js';
import { StateMetrics } from './modules/observability/state.metrics.js';
import { Reconciler } from './modules/reconciliation/reconciler.js';
import { SessionWatchdog } from './modules/sessions/session-watchdog.js';

import type { Config } from './config.js';

/** The recovery container: the shared infrastructure and provider clients plus its own. */
export interface RecoveryCradle extends InfrastructureCradle<Config>, ProviderCradle {
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
  /** The periodic loops, each recorded in `recovery_heartbeats`. */
  readonly redriveTask: PeriodicTask;
  readonly sessionTask: PeriodicTask;
  readonly reconcileTask: PeriodicTask;
  readonly eventsTask: PeriodicTask | undefined;
}

/** The only place the recovery service registers dependencies (STYLE R11). */
export const registerDependencies = serviceRegistrations<Config, RecoveryCradle>(
  'recovery',
  ({ config }) => {
    const settings = config.recovery;
    const enabled = config.kafka.consumersEnabled;
    return {
      ...providerRegistrations(config.provider),
      deadLetterRepository: asClass(DeadLetterRepository).singleton(),
      deadLettersConsumer: asKafkaConsumer(
        (c: RecoveryCradle) => new DeadLettersConsumer(c),
        enabled,
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
      redriveTask: periodicTask('redrive', settings.redriveIntervalMs, enabled, ({ redriver }) => ({
        run: () => redriver.tick(),
      })),
      sessionTask: periodicTask(
        'session-watchdog',
        settings.sessionCheckIntervalMs,
        enabled,
        ({ sessionWatchdog }) => ({ run: () => sessionWatchdog.check() }),
      ),
      reconcileTask: periodicTask(
        'reconciliation',
        settings.reconcilePollMs,
        enabled,
        ({ reconciler, reconciliationRepository }) => ({
          run: async () => {
            const scheduled = await reconciliationRepository.scheduleDue();
            const ran = await reconciler.runNext();
            return { scheduled, ...(ran && { reconciliationId: ran.id, status: ran.status }) };
          },
        }),
      ),
      eventsTask: periodicTask(
        'events-poller',
        settings.eventsPollIntervalMs,
        enabled && settings.eventsPollIntervalMs > 0,
        ({ eventsPoller }) => ({ run: () => eventsPoller.poll() }),
      ),
    };
  },
);

/**
 * One recovery loop: a pass every `intervalMs`, each recorded as a heartbeat. `pass` takes what
 * it needs from the cradle when the task is built (so a wiring error fails start-up).
 */
function periodicTask(
  name: string,
  intervalMs: number,
  enabled: boolean,
  pass: (cradle: RecoveryCradle) => Pick<PeriodicTaskDeps, 'run'>,
) {
  return asFunction(
    (cradle: RecoveryCradle) =>
      new PeriodicTask({
        ...pass(cradle),
        name,
        intervalMs,
        heartbeatRepository: cradle.heartbeatRepository,
        logger: cradle.logger,
      }),
    asWorker<PeriodicTask>(enabled),
  );
}
