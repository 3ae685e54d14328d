import type { CanonicalChange } from '@paysync/contracts';
import type {
  ConnectionRepository,
  ProviderRateLimiter,
  RateLimiterFactory,
  SyncSessionRepository,
} from '@paysync/db';
import { AppError, isRetryable } from '@paysync/errors';
import { withSpan, type Logger } from '@paysync/observability';
import type { BillingProvider, ListPage, ProviderFactory } from '@paysync/providers';

import { LeaseKeeper } from './lease-keeper.js';
import {
  LeaseLostError,
  SessionNotRunningError,
  type ClaimedUnit,
  type SyncUnitRepository,
} from './sync-unit.repository.js';

import type { SyncMetrics } from './sync.metrics.js';

export interface UnitRunnerDeps {
  readonly syncUnitRepository: SyncUnitRepository;
  readonly syncSessionRepository: SyncSessionRepository;
  readonly connectionRepository: ConnectionRepository;
  readonly providerFactory: ProviderFactory;
  readonly rateLimiterFactory: RateLimiterFactory;
  readonly syncMetrics: SyncMetrics;
  readonly logger: Logger;
  readonly config: {
    readonly syncRunner: {
      readonly leaseMs: number;
      readonly maxRenewMs: number;
      readonly pageSize: number;
      readonly segments: number;
      readonly maxUnitAttempts: number;
      readonly retryBackoffMs: number;
    };
  };
}

interface UnitRunnerSettings {
  readonly leaseMs: number;
  readonly maxRenewMs: number;
  readonly pageSize: number;
  readonly segments: number;
  readonly maxUnitAttempts: number;
  readonly retryBackoffMs: number;
}

/** Stripe's first day: no object is older (the lower bound of the oldest-object search). */
const EPOCH_FLOOR = 1_293_840_000;

/**
 * Runs one claimed unit: lists its entity type (or created-time segment) page by page through the
 * provider adapter and writes each page through the shared version-gated write path, in one
 * transaction with the unit's checkpoint. The next page is fetched while the current one is
 * written (one page ahead at most: bounded memory, backpressure from the database). A whole entity
 * type whose first page says there is more is first split into parallel segments.
 */
export class UnitRunner {
  readonly #units: SyncUnitRepository;
  readonly #sessions: SyncSessionRepository;
  readonly #connections: ConnectionRepository;
  readonly #providerFactory: ProviderFactory;
  readonly #rateLimiterFactory: RateLimiterFactory;
  readonly #metrics: SyncMetrics;
  readonly #settings: UnitRunnerSettings;
  readonly #logger: Logger;

  constructor({
    syncUnitRepository,
    syncSessionRepository,
    connectionRepository,
    providerFactory,
    rateLimiterFactory,
    syncMetrics,
    logger,
    config,
  }: UnitRunnerDeps) {
    this.#units = syncUnitRepository;
    this.#sessions = syncSessionRepository;
    this.#connections = connectionRepository;
    this.#providerFactory = providerFactory;
    this.#rateLimiterFactory = rateLimiterFactory;
    this.#metrics = syncMetrics;
    const { leaseMs, maxRenewMs, pageSize, segments, maxUnitAttempts, retryBackoffMs } =
      config.syncRunner;
    this.#settings = {
      leaseMs,
      maxRenewMs,
      pageSize,
      segments,
      maxUnitAttempts,
      retryBackoffMs,
    };
    this.#logger = logger.child({ component: 'UnitRunner' });
  }

  /**
   * Runs the unit to completion, or until `shouldStop()`; never throws. Its lease is renewed while
   * the worker waits on the provider or the database (LeaseKeeper); every change of the unit
   * presents the claim's token, so if the lease passed to another claim meanwhile, this run's
   * remaining writes are refused and it stops.
   */
  async run(claimed: ClaimedUnit, shouldStop: () => boolean): Promise<void> {
    const log = this.#logger.child({
      sessionId: claimed.sessionId,
      unitId: claimed.id,
      entityType: claimed.entityType,
      segment: claimed.segment,
    });
    let unit = claimed;
    const lease = new LeaseKeeper(
      this.#units,
      claimed,
      { leaseMs: this.#settings.leaseMs, maxRenewMs: this.#settings.maxRenewMs },
      this.#metrics,
      log,
    ).start();
    try {
      if (unit.attempts > this.#settings.maxUnitAttempts) {
        await this.#units.fail(unit, {
          code: 'SYNC_UNIT_ATTEMPTS_EXHAUSTED',
          message: `gave up after ${unit.attempts - 1} attempts`,
        });
        log.error({ attempts: unit.attempts }, 'Sync unit failed: attempts exhausted');
        return;
      }
      const session = await this.#sessions.connectionOf(unit.sessionId);
      if (!session?.configurationId) {
        await this.#units.fail(unit, {
          code: 'NOT_FOUND',
          message: 'the session has no connection',
        });
        return;
      }
      const connection = await this.#connections.getDecrypted(
        session.workspaceId,
        session.configurationId,
      );
      const limiter = this.#rateLimiterFactory(connection);
      const provider = this.#providerFactory(connection, limiter);
      log.info({ cursor: unit.cursor, attempt: unit.attempts }, 'Sync unit started');

      if (unit.splittable && unit.cursor === null && this.#settings.segments > 1) {
        unit = await this.#maybeSplit(unit, provider, limiter);
      }
      await this.#pages(unit, provider, limiter, lease, shouldStop, log);
    } catch (err) {
      await this.#onError(unit, err, log);
    } finally {
      lease.stop();
    }
  }

  async #pages(
    unit: ClaimedUnit,
    provider: BillingProvider,
    limiter: ProviderRateLimiter,
    lease: LeaseKeeper,
    shouldStop: () => boolean,
    log: Logger,
  ): Promise<void> {
    const ctx = { workspaceId: unit.workspaceId, source: 'backfill' as const };
    const fetch = (cursor: string | null) => {
      const started = performance.now();
      return provider
        .listPage(
          unit.entityType,
          {
            cursor,
            limit: this.#settings.pageSize,
            ...(unit.createdGte !== null && { createdGte: unit.createdGte }),
            ...(unit.createdLt !== null && { createdLt: unit.createdLt }),
          },
          ctx,
        )
        .then((page) => {
          this.#metrics.fetchSeconds.observe(
            { entity_type: unit.entityType },
            (performance.now() - started) / 1000,
          );
          return page;
        });
    };
    let pending: Promise<ListPage> = fetch(unit.cursor);
    for (;;) {
      const page = await pending;
      const next = page.nextCursor;
      // Fetch ahead while this page is written; at most one page waits in memory.
      const prefetch = next ? fetch(next) : undefined;
      prefetch?.catch(() => undefined);
      try {
        await withSpan(
          'sync.page',
          {
            attributes: {
              'paysync.entity_type': unit.entityType,
              'paysync.sync.session_id': unit.sessionId,
              'paysync.page.records': page.changes.length,
              'paysync.page.requests': page.requests,
            },
          },
          () => this.#commit(unit, page, next, limiter, lease),
        );
      } catch (err) {
        await prefetch?.catch(() => undefined);
        throw err;
      }
      if (!next) break;
      if (shouldStop()) {
        await prefetch?.catch(() => undefined);
        await this.#handBack(unit);
        log.info('Sync unit handed back (shutting down)');
        return;
      }
      pending = prefetch as Promise<ListPage>;
    }
    this.#metrics.unitsFinished.inc({ outcome: 'done' });
    log.info('Sync unit done');
    if (await this.#sessions.completeIfUnitsDone(unit.sessionId)) {
      this.#metrics.sessionsFinished.inc({ status: 'completed' });
      this.#logger.info({ sessionId: unit.sessionId }, 'Sync session completed');
    }
  }

  async #commit(
    unit: ClaimedUnit,
    page: ListPage,
    next: string | null,
    limiter: ProviderRateLimiter,
    lease: LeaseKeeper,
  ): Promise<void> {
    // Another claim holds the unit now: its write would be refused anyway.
    if (lease.lost) throw new LeaseLostError(unit.id, 'checkpoint');
    const throttles = limiter.takeThrottles();
    const started = performance.now();
    const result = await this.#units.commitPage(unit, this.#settings.leaseMs, {
      changes: page.changes,
      nextCursor: next,
      requests: page.requests,
      throttles,
    });
    lease.progressed();
    const labels = { entity_type: unit.entityType };
    if (result.failed.length > 0) {
      this.#metrics.failedRecords.inc(labels, result.failed.length);
      this.#logger.warn(
        {
          sessionId: unit.sessionId,
          unitId: unit.id,
          entityType: unit.entityType,
          failed: result.failed,
        },
        'Sync page: records the database refused were left out (listed on the unit)',
      );
    }
    this.#metrics.writeSeconds.observe(labels, (performance.now() - started) / 1000);
    this.#metrics.records.inc({ ...labels, outcome: 'written' }, result.written);
    this.#metrics.records.inc(
      { ...labels, outcome: 'skipped' },
      page.changes.length - result.written - result.failed.length,
    );
    this.#metrics.pages.inc(labels);
    this.#metrics.requests.inc(labels, page.requests);
    if (throttles) this.#metrics.throttles.inc(labels, throttles);
  }

  /**
   * Splits a whole entity type into created-time segments when its first page says there is more:
   * finds the oldest object by bisection on `created` (about 30 one-object requests) and cuts
   * [oldest, newest] into equal ranges, the last one open-ended so objects created meanwhile are
   * included. The probe page is not written: the segments fetch it again.
   */
  async #maybeSplit(
    unit: ClaimedUnit,
    provider: BillingProvider,
    limiter: ProviderRateLimiter,
  ): Promise<ClaimedUnit> {
    const ctx = { workspaceId: unit.workspaceId, source: 'backfill' as const };
    const first = await provider.listPage(unit.entityType, { limit: this.#settings.pageSize }, ctx);
    let requests = first.requests;
    const created = first.changes.map(createdOf).filter((c): c is number => c !== undefined);
    if (!first.nextCursor || created.length === 0) {
      return this.#units.split(unit, [{ gte: null, lt: null }], requests);
    }
    const newest = Math.max(...created);
    let lo = EPOCH_FLOOR;
    let hi = Math.min(...created); // an object exists with created <= hi
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const probe = await provider.listPage(unit.entityType, { limit: 1, createdLt: mid + 1 }, ctx);
      requests += probe.requests;
      if (probe.changes.length > 0) hi = mid;
      else lo = mid + 1;
    }
    const oldest = lo;
    const n = this.#settings.segments;
    const span = Math.max(1, newest + 1 - oldest);
    const ranges = Array.from({ length: n }, (_, i) => ({
      gte: i === 0 ? null : oldest + Math.floor((span * i) / n),
      lt: i === n - 1 ? null : oldest + Math.floor((span * (i + 1)) / n),
    })).filter((r, i, all) => i === 0 || r.gte !== all[i - 1]?.gte);
    limiter.takeThrottles();
    this.#logger.info(
      {
        sessionId: unit.sessionId,
        entityType: unit.entityType,
        oldest,
        newest,
        segments: ranges.length,
      },
      'Sync unit split into segments',
    );
    return this.#units.split(unit, ranges, requests);
  }

  async #onError(unit: ClaimedUnit, err: unknown, log: Logger): Promise<void> {
    try {
      if (err instanceof SessionNotRunningError) {
        await this.#handBack(unit);
        log.info({ status: err.message }, 'Sync unit stopped: session no longer running');
        return;
      }
      if (err instanceof LeaseLostError) {
        this.#leaseLost(err, log);
        return;
      }
      if (isRetryable(err) && unit.attempts < this.#settings.maxUnitAttempts) {
        const delayMs = Math.min(60_000, this.#settings.retryBackoffMs * 2 ** (unit.attempts - 1));
        await this.#handBack(unit, {
          delayMs,
          error: err instanceof Error ? err.message : String(err),
        });
        this.#metrics.unitsFinished.inc({ outcome: 'retry' });
        log.warn({ err, delayMs }, 'Sync unit failed transiently; will retry');
        return;
      }
      const code = err instanceof AppError ? err.code : 'INTERNAL_ERROR';
      const message =
        err instanceof AppError ? err.message : 'unexpected error (see the sync-runner log)';
      await this.#units.fail(unit, { code, message });
      this.#metrics.unitsFinished.inc({ outcome: 'failed' });
      this.#metrics.sessionsFinished.inc({ status: 'failed' });
      log.error({ err, code }, 'Sync unit failed; session failed');
    } catch (inner) {
      if (inner instanceof LeaseLostError) this.#leaseLost(inner, log, err);
      else log.error({ err: inner, cause: err }, 'Could not record the sync unit failure');
    }
  }

  /** Releases the unit; LeaseLostError when it was no longer this claim's to release. */
  async #handBack(unit: ClaimedUnit, opts?: { delayMs?: number; error?: string }): Promise<void> {
    if (!(await this.#units.release(unit, opts))) throw new LeaseLostError(unit.id, 'release');
  }

  /** A stale worker's change was refused (another claim holds the unit): counted and logged. */
  #leaseLost(err: LeaseLostError, log: Logger, cause?: unknown): void {
    this.#metrics.leaseLost.inc({ operation: err.operation });
    log.warn(
      { operation: err.operation, ...(cause !== undefined && { cause }) },
      "Sync unit lease held by another claim: this worker's change was refused; stopping",
    );
  }
}

function createdOf(change: CanonicalChange): number | undefined {
  const created = (change.raw as { created?: unknown } | null)?.created;
  return typeof created === 'number' ? created : undefined;
}
