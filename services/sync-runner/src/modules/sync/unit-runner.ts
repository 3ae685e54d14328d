import type { CanonicalChange, EntityType } from '@paysync/contracts';
import {
  PgRateLimiter,
  type ConnectionRepository,
  type Db,
  type DecryptedConnection,
  type SyncWriteRepository,
} from '@paysync/db';
import { AppError, isRetryable } from '@paysync/errors';
import type { Logger } from '@paysync/observability';
import {
  connectionRateLimit,
  type BillingProvider,
  type ListPage,
  type RateLimiter,
} from '@paysync/providers';

import {
  LeaseLostError,
  SessionNotRunningError,
  type ClaimedUnit,
  type SyncUnitRepository,
} from './sync-unit.repository.js';

import type { SyncMetrics } from './sync.metrics.js';

export type SyncProviderFactory = (
  connection: DecryptedConnection,
  rateLimiter: RateLimiter,
) => BillingProvider;

export interface UnitRunnerSettings {
  readonly owner: string;
  readonly leaseMs: number;
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
  readonly #prisma: Db;
  readonly #units: SyncUnitRepository;
  readonly #connections: ConnectionRepository;
  readonly #writes: SyncWriteRepository;
  readonly #providerFactory: SyncProviderFactory;
  readonly #metrics: SyncMetrics;
  readonly #settings: UnitRunnerSettings;
  readonly #logger: Logger;

  constructor(deps: {
    prisma: Db;
    syncUnitRepository: SyncUnitRepository;
    connectionRepository: ConnectionRepository;
    syncWriteRepository: SyncWriteRepository;
    syncProviderFactory: SyncProviderFactory;
    syncMetrics: SyncMetrics;
    settings: UnitRunnerSettings;
    logger: Logger;
  }) {
    this.#prisma = deps.prisma;
    this.#units = deps.syncUnitRepository;
    this.#connections = deps.connectionRepository;
    this.#writes = deps.syncWriteRepository;
    this.#providerFactory = deps.syncProviderFactory;
    this.#metrics = deps.syncMetrics;
    this.#settings = deps.settings;
    this.#logger = deps.logger.child({ component: 'UnitRunner' });
  }

  /** Runs the unit to completion, or until `shouldStop()`; never throws. */
  async run(claimed: ClaimedUnit, shouldStop: () => boolean): Promise<void> {
    const log = this.#logger.child({
      sessionId: claimed.sessionId,
      unitId: claimed.id,
      entityType: claimed.entityType,
      segment: claimed.segment,
    });
    let unit = claimed;
    try {
      if (unit.attempts > this.#settings.maxUnitAttempts) {
        await this.#units.fail(unit, {
          code: 'SYNC_UNIT_ATTEMPTS_EXHAUSTED',
          message: `gave up after ${unit.attempts - 1} attempts`,
        });
        log.error({ attempts: unit.attempts }, 'Sync unit failed: attempts exhausted');
        return;
      }
      const session = await this.#units.sessionConnection(unit.sessionId);
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
      const limiter = this.#limiterFor(connection);
      const provider = this.#providerFactory(connection, limiter);
      log.info({ cursor: unit.cursor, attempt: unit.attempts }, 'Sync unit started');

      if (unit.splittable && unit.cursor === null && this.#settings.segments > 1) {
        unit = await this.#maybeSplit(unit, provider, limiter);
      }
      await this.#pages(unit, provider, limiter, shouldStop, log);
    } catch (err) {
      await this.#onError(unit, err, log);
    }
  }

  async #pages(
    unit: ClaimedUnit,
    provider: BillingProvider,
    limiter: PgRateLimiter,
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
        await this.#commit(unit, page, next, limiter);
      } catch (err) {
        await prefetch?.catch(() => undefined);
        throw err;
      }
      if (!next) break;
      if (shouldStop()) {
        await prefetch?.catch(() => undefined);
        await this.#units.release(unit, this.#settings.owner);
        log.info('Sync unit handed back (shutting down)');
        return;
      }
      pending = prefetch as Promise<ListPage>;
    }
    this.#metrics.unitsFinished.inc({ outcome: 'done' });
    log.info('Sync unit done');
    if (await this.#units.completeIfDone(unit.sessionId)) {
      this.#metrics.sessionsFinished.inc({ status: 'completed' });
      this.#logger.info({ sessionId: unit.sessionId }, 'Sync session completed');
    }
  }

  async #commit(
    unit: ClaimedUnit,
    page: ListPage,
    next: string | null,
    limiter: PgRateLimiter,
  ): Promise<void> {
    const throttles = limiter.takeThrottles();
    const started = performance.now();
    const result = await this.#prisma.$transaction(async (tx) => {
      const applied = page.changes.length
        ? await this.#writes.applyChanges(page.changes as CanonicalChange[], { tx })
        : { outcomes: [] };
      const written = applied.outcomes.filter((o) => o === 'applied').length;
      await this.#units.checkpoint(tx, unit, this.#settings.owner, this.#settings.leaseMs, {
        cursor: next,
        done: next === null,
        fetched: page.changes.length,
        written,
        skipped: page.changes.length - written,
        requests: page.requests,
        throttles,
      });
      return { written };
    });
    const labels = { entity_type: unit.entityType };
    this.#metrics.writeSeconds.observe(labels, (performance.now() - started) / 1000);
    this.#metrics.records.inc({ ...labels, outcome: 'written' }, result.written);
    this.#metrics.records.inc(
      { ...labels, outcome: 'skipped' },
      page.changes.length - result.written,
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
    limiter: PgRateLimiter,
  ): Promise<ClaimedUnit> {
    const ctx = { workspaceId: unit.workspaceId, source: 'backfill' as const };
    const first = await provider.listPage(unit.entityType, { limit: this.#settings.pageSize }, ctx);
    let requests = first.requests;
    const created = first.changes.map(createdOf).filter((c): c is number => c !== undefined);
    if (!first.nextCursor || created.length === 0) {
      return this.#units.split(unit, this.#settings.owner, [{ gte: null, lt: null }], requests);
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
    return this.#units.split(unit, this.#settings.owner, ranges, requests);
  }

  async #onError(unit: ClaimedUnit, err: unknown, log: Logger): Promise<void> {
    try {
      if (err instanceof SessionNotRunningError) {
        await this.#units.release(unit, this.#settings.owner);
        log.info({ status: err.message }, 'Sync unit stopped: session no longer running');
        return;
      }
      if (err instanceof LeaseLostError) {
        log.warn('Sync unit lease lost to another runner; stopping');
        return;
      }
      if (isRetryable(err) && unit.attempts < this.#settings.maxUnitAttempts) {
        const delayMs = Math.min(60_000, this.#settings.retryBackoffMs * 2 ** (unit.attempts - 1));
        await this.#units.release(unit, this.#settings.owner, {
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
      log.error({ err: inner, cause: err }, 'Could not record the sync unit failure');
    }
  }

  #limiterFor(connection: DecryptedConnection): PgRateLimiter {
    return new PgRateLimiter({ prisma: this.#prisma, ...connectionRateLimit(connection) });
  }
}

function createdOf(change: CanonicalChange): number | undefined {
  const created = (change.raw as { created?: unknown } | null)?.created;
  return typeof created === 'number' ? created : undefined;
}

export type { EntityType };
