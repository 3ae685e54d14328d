import { asFunction } from 'awilix';

import { withSystem } from '@paysync/db';
import { asWorker } from '@paysync/runtime';

import { PeriodicTask, type PeriodicTaskDeps } from './periodic-task.js';

import type { Config } from '../../config.js';
import type { RecoveryCradle } from '../../container.js';

/** The periodic loops of the recovery service, each recorded in `recovery_heartbeats`. */
export interface RecoveryTasks {
  readonly redriveTask: PeriodicTask;
  readonly sessionTask: PeriodicTask;
  readonly reconcileTask: PeriodicTask;
  readonly eventsTask: PeriodicTask | undefined;
}

/** The registrations of the recovery loops: intervals from `config.recovery`, off without consumers. */
export function recoveryTasks(config: Config) {
  const settings = config.recovery;
  const enabled = config.kafka.consumersEnabled;
  return {
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
          // Due reconciliations of every workspace: system work (row-level security).
          const scheduled = await withSystem('reconciliation scheduling', () =>
            reconciliationRepository.scheduleDue(),
          );
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
}

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
