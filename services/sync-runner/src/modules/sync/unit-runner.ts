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

import { isConnectedAccountsUnit, listConnectedAccounts } from './connect-accounts.js';
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
  readonly config: { readonly syncRunner: UnitRunnerSettings };
}

interface UnitRunnerSettings {
  readonly leaseMs: number;
  readonly maxRenewMs: number;
  readonly pageSize: number;
  readonly segments: number;
  readonly maxUnitAttempts: number;
  readonly retryBackoffMs: number;
}

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
  async run(claimed: ClaimedUnit, shouldStop: () => boolean, onSplit?: () => void): Promise<void> {
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
      // Stripe Connect: a connected account's unit calls with the platform's key and limiter.
      const limiter = this.#rateLimiterFactory(connection);
      const provider = this.#providerFactory(
        unit.providerAccountId ? { ...connection, accountId: unit.providerAccountId } : connection,
        limiter,
      );
      log.info(
        { cursor: unit.cursor, attempt: unit.attempts, account: unit.providerAccountId },
        'Sync unit started',
      );
      if (isConnectedAccountsUnit(unit)) {
        await listConnectedAccounts({
          unit,
          provider,
          units: this.#units,
          sessions: this.#sessions,
          limiter,
          lease,
          metrics: this.#metrics,
          leaseMs: this.#settings.leaseMs,
          pageSize: this.#settings.pageSize,
          shouldStop,
          onPlanned: onSplit,
          log,
        });
        return;
      }

      let first: ListPage | undefined;
      if (
        unit.splittable &&
        unit.cursor === null &&
        this.#settings.segments > 1 &&
        // Types whose lists take no created-time segments are listed whole (Chargebee items).
        provider.capabilities().segmentableEntityTypes.includes(unit.entityType)
      ) {
        ({ unit, first } = await this.#maybeSplit(unit, provider, limiter));
        onSplit?.();
      }
      await this.#pages(unit, provider, limiter, lease, shouldStop, log, first);
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
    first?: ListPage,
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
            { entity_type: unit.entityType, provider: provider.name },
            (performance.now() - started) / 1000,
          );
          return page;
        });
    };
    // A split unit's first page was fetched while splitting: it is this segment's first page.
    let pending: Promise<ListPage> = first ? Promise.resolve(first) : fetch(unit.cursor);
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
          () => this.#commit(unit, provider.name, page, next, limiter, lease),
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
    providerName: string,
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
    const labels = { entity_type: unit.entityType, provider: providerName };
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
   * Splits a whole entity type into created-time segments when its first page says there is more.
   *
   * A provider that lists newest created first (`capabilities.listOrder`, Stripe): the first page
   * is kept as the first page of the newest segment, which this claim goes on with from the
   * page's cursor. The oldest object is located by bisection on the creation time with one-object
   * probes from the provider's `capabilities.oldestObjectSeconds`, stopping as soon as the
   * interval is a small share of the listed span: the oldest segment is open below, so a coarse
   * estimate only shifts a little work between segments, never loses any.
   *
   * Otherwise (Chargebee lists by `updated_at`, oldest first) the first page spans any creation
   * times and its cursor belongs to the unsegmented listing: it only says there is more and where
   * the line starts (its oldest creation time; older objects land in the oldest segment, open
   * below), the line ends now, and no probe is spent (such providers budget requests per minute).
   * This claim lists the oldest segment from its start.
   *
   * [oldest, newest] is cut into equal ranges, oldest first, the newest open above so objects
   * created meanwhile land too.
   */
  async #maybeSplit(
    unit: ClaimedUnit,
    provider: BillingProvider,
    limiter: ProviderRateLimiter,
  ): Promise<{ unit: ClaimedUnit; first: ListPage | undefined }> {
    const ctx = { workspaceId: unit.workspaceId, source: 'backfill' as const };
    const { oldestObjectSeconds, listOrder } = provider.capabilities();
    const first = await provider.listPage(unit.entityType, { limit: this.#settings.pageSize }, ctx);
    const created = first.changes.map(createdOf).filter((c): c is number => c !== undefined);
    if (!first.nextCursor || created.length === 0) {
      return { unit: await this.#units.split(unit, [{ gte: null, lt: null }], 0), first };
    }
    const n = this.#settings.segments;
    const pageOldest = Math.min(...created);
    const keepsFirst = listOrder === 'newest_created_first';
    let requests = 0;
    let oldest = pageOldest;
    let newest = Math.max(...created);
    if (keepsFirst) {
      let lo = oldestObjectSeconds; // no object is older than lo
      let hi = pageOldest; // an object exists with created <= hi
      while (hi - lo > (newest + 1 - hi) / (2 * n)) {
        const mid = Math.floor((lo + hi) / 2);
        const probe = await provider.listPage(
          unit.entityType,
          { limit: 1, createdLt: mid + 1 },
          ctx,
        );
        requests += probe.requests;
        const found = probe.changes.map(createdOf).find((c) => c !== undefined);
        if (probe.changes.length > 0) hi = Math.min(mid, found ?? mid);
        else lo = mid + 1;
      }
      oldest = Math.floor((lo + hi) / 2);
    } else {
      newest = Math.max(newest, Math.floor(Date.now() / 1000));
    }
    // Without a kept first page nothing ties the newest range to the page's oldest object.
    const ranges = segmentRanges(oldest, newest, keepsFirst ? pageOldest : newest, n);
    limiter.takeThrottles();
    this.#logger.info(
      {
        sessionId: unit.sessionId,
        entityType: unit.entityType,
        oldest,
        newest,
        probes: requests,
        segments: ranges.length,
      },
      'Sync unit split into segments',
    );
    if (keepsFirst) {
      // Every object of the first page is in the newest range (it starts at or below the page's
      // oldest), so the page is that segment's first page and the segment goes on from its cursor.
      const kept = await this.#units.split(unit, ranges, requests, ranges.length - 1);
      return { unit: kept, first };
    }
    // The first page was a request spent on the plan; this claim lists the oldest range.
    const kept = await this.#units.split(unit, ranges, first.requests, 0);
    return { unit: kept, first: undefined };
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

/**
 * The creation time (seconds) a list segment filters on: the provider object's `created` (Stripe),
 * else the canonical row's `providerCreatedAt` (Chargebee `created_at` / `date`).
 */
function createdOf(change: CanonicalChange): number | undefined {
  const created = (change.raw as { created?: unknown } | null)?.created;
  if (typeof created === 'number') return created;
  const at = (change.data as { providerCreatedAt?: unknown } | null)?.providerCreatedAt;
  return at instanceof Date ? Math.floor(at.getTime() / 1000) : undefined;
}

/**
 * Created-time ranges, oldest first, that tile the whole line: the first open below, the last
 * open above. `n` equal cuts of [oldest, newest]; the newest range starts at or below `pageOldest`
 * (the first page's oldest object), so the first page lies wholly in it: when the page reaches
 * below the newest cut, the newest range starts at `pageOldest` and the rest is cut into `n - 1`.
 */
export function segmentRanges(
  oldest: number,
  newest: number,
  pageOldest: number,
  n: number,
): { gte: number | null; lt: number | null }[] {
  const cut = (from: number, to: number, parts: number) =>
    Array.from({ length: parts - 1 }, (_, i) => from + Math.floor(((to - from) * (i + 1)) / parts));
  let bounds = cut(oldest, newest + 1, n);
  const top = bounds.at(-1);
  if (top !== undefined && top > pageOldest) {
    bounds = [...cut(oldest, pageOldest, n - 1), pageOldest];
  }
  const ranges: { gte: number | null; lt: number | null }[] = [];
  let gte: number | null = null;
  for (const b of bounds) {
    if (gte !== null && b <= gte) continue; // an empty range: its neighbour covers the line
    ranges.push({ gte, lt: b });
    gte = b;
  }
  ranges.push({ gte, lt: null });
  return ranges;
}
