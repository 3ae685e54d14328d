import type { Logger } from '@paysync/observability';

import type { ClaimedUnit, SyncUnitRepository } from './sync-unit.repository.js';
import type { SyncMetrics } from './sync.metrics.js';

export interface LeaseKeeperOptions {
  readonly leaseMs: number;
  /** Renewals stop once the unit has made no checkpoint for this long (a hung call). */
  readonly maxRenewMs: number;
}

/**
 * Keeps one claim's lease while its worker waits on a long provider call or page write: renews
 * every third of the lease, as long as the unit made a checkpoint within `maxRenewMs`. Past that
 * the lease is left to expire, so a hung worker hands its unit to another claim; a renewal the
 * database refuses (the lease passed to another claim) marks the lease `lost` and stops.
 */
export class LeaseKeeper {
  readonly #units: SyncUnitRepository;
  readonly #unit: ClaimedUnit;
  readonly #options: LeaseKeeperOptions;
  readonly #metrics: SyncMetrics;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #lastProgress = Date.now();
  #renewing = false;
  #lost = false;
  #gaveUp = false;

  constructor(
    units: SyncUnitRepository,
    unit: ClaimedUnit,
    options: LeaseKeeperOptions,
    metrics: SyncMetrics,
    log: Logger,
  ) {
    this.#units = units;
    this.#unit = unit;
    this.#options = options;
    this.#metrics = metrics;
    this.#log = log;
  }

  /** True once a renewal found the unit held by another claim. */
  get lost(): boolean {
    return this.#lost;
  }

  start(): this {
    const every = Math.max(20, Math.floor(this.#options.leaseMs / 3));
    this.#timer = setInterval(() => void this.#renew(), every);
    this.#timer.unref();
    return this;
  }

  /** A checkpoint was committed (it extended the lease itself). */
  progressed(): void {
    this.#lastProgress = Date.now();
    this.#gaveUp = false;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #renew(): Promise<void> {
    if (this.#renewing || this.#lost || !this.#timer) return;
    const idleMs = Date.now() - this.#lastProgress;
    if (idleMs > this.#options.maxRenewMs) {
      if (!this.#gaveUp) {
        this.#gaveUp = true;
        this.#log.warn(
          { idleMs, maxRenewMs: this.#options.maxRenewMs },
          'Sync unit made no checkpoint for too long; its lease is left to expire',
        );
      }
      return;
    }
    this.#renewing = true;
    try {
      if (!(await this.#units.renew(this.#unit, this.#options.leaseMs))) {
        this.#lost = true;
        this.stop();
        this.#metrics.leaseLost.inc({ operation: 'renew' });
        this.#log.warn('Sync unit lease taken over by another claim; this worker stops');
      }
    } catch (err) {
      this.#log.warn({ err }, 'Sync unit lease renewal failed; retrying');
    } finally {
      this.#renewing = false;
    }
  }
}
