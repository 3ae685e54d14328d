import { withSystem, withTenant, type SyncSessionRepository } from '@paysync/db';
import type { Logger } from '@paysync/observability';

import type { SyncUnitRepository } from './sync-unit.repository.js';
import type { SyncMetrics } from './sync.metrics.js';
import type { UnitRunner } from './unit-runner.js';

export interface SyncWorkerPoolDeps {
  readonly syncUnitRepository: SyncUnitRepository;
  readonly syncSessionRepository: SyncSessionRepository;
  readonly unitRunner: UnitRunner;
  readonly syncMetrics: SyncMetrics;
  readonly logger: Logger;
  /** This replica's name; a claim's lease owner is `<workerId>/w<worker index>`. */
  readonly workerId: string;
  readonly config: {
    readonly syncRunner: {
      readonly concurrency: number;
      readonly pollIntervalMs: number;
      readonly leaseMs: number;
    };
  };
}

/**
 * `concurrency` workers, each: claim a unit (any session, fairest first) → run it → repeat.
 * Idle workers poll every `pollIntervalMs`; a sync command wakes them at once. The pool also
 * plans pending sessions nobody planned (a lost command loses nothing). `stop()` lets every
 * worker finish its current page and hand its unit back.
 */
export class SyncWorkerPool {
  readonly #units: SyncUnitRepository;
  readonly #sessions: SyncSessionRepository;
  readonly #runner: UnitRunner;
  readonly #metrics: SyncMetrics;
  readonly #logger: Logger;
  readonly #concurrency: number;
  readonly #pollIntervalMs: number;
  readonly #owner: string;
  readonly #leaseMs: number;
  #stopping = false;
  #workers: Promise<void>[] = [];
  #wake: (() => void)[] = [];

  constructor({
    syncUnitRepository,
    syncSessionRepository,
    unitRunner,
    syncMetrics,
    logger,
    workerId,
    config,
  }: SyncWorkerPoolDeps) {
    this.#units = syncUnitRepository;
    this.#sessions = syncSessionRepository;
    this.#runner = unitRunner;
    this.#metrics = syncMetrics;
    this.#logger = logger.child({ component: 'SyncWorkerPool' });
    this.#concurrency = config.syncRunner.concurrency;
    this.#pollIntervalMs = config.syncRunner.pollIntervalMs;
    this.#owner = workerId;
    this.#leaseMs = config.syncRunner.leaseMs;
  }

  start(): void {
    this.#stopping = false;
    this.#workers = Array.from({ length: this.#concurrency }, (_, i) => this.#work(i));
    this.#logger.info(
      { concurrency: this.#concurrency, owner: this.#owner },
      'Sync workers started',
    );
  }

  /** Wakes idle workers (a command arrived). */
  poke(): void {
    for (const wake of this.#wake.splice(0)) wake();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.poke();
    await Promise.all(this.#workers);
    this.#logger.info('Sync workers stopped');
  }

  async #work(index: number): Promise<void> {
    while (!this.#stopping) {
      try {
        // Row-level security: finding and claiming work spans workspaces (system work, granted
        // only the session and unit bookkeeping); running a unit is on behalf of its workspace.
        if (index === 0) {
          await withSystem('sync-runner planning safety net', async () => {
            for (const sessionId of await this.#sessions.unplanned()) {
              if (await this.#units.plan(sessionId)) {
                this.#logger.info({ sessionId }, 'Sync session planned (found pending)');
              }
            }
          });
        }
        // Owner names the worker (for people); the claim's lease token is what guards the unit.
        const unit = await withSystem('sync-runner claim', () =>
          this.#units.claim(`${this.#owner}/w${index}`, this.#leaseMs),
        );
        if (unit) {
          this.#metrics.activeUnits.inc();
          try {
            // A split wakes the idle workers: the new segments start now, not at the next poll.
            await withTenant(unit.workspaceId, () =>
              this.#runner.run(
                unit,
                () => this.#stopping,
                () => this.poke(),
              ),
            );
          } finally {
            this.#metrics.activeUnits.dec();
          }
          continue;
        }
      } catch (err) {
        this.#logger.warn({ err }, 'Sync worker could not claim work; retrying');
      }
      await this.#idle();
    }
  }

  #idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.#pollIntervalMs);
      const wake = () => done();
      this.#wake.push(wake);
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }
}
