import { ENTITY_TYPES, type CanonicalChange, type EntityType } from '@paysync/contracts';
import type {
  ClaimedReconciliation,
  ConnectionRepository,
  DriftRepository,
  EntityDrift,
  RateLimiterFactory,
  ReconciliationRepository,
  SyncWriteRepository,
} from '@paysync/db';
import { AppError } from '@paysync/errors';
import { withSpan, type Logger } from '@paysync/observability';
import type { BillingProvider, ProviderFactory } from '@paysync/providers';

import type { RecoveryMetrics } from '../heartbeats/recovery.metrics.js';

export interface ReconcilerDeps {
  readonly connectionRepository: ConnectionRepository;
  readonly driftRepository: DriftRepository;
  readonly syncWriteRepository: SyncWriteRepository;
  readonly reconciliationRepository: ReconciliationRepository;
  readonly providerFactory: ProviderFactory;
  readonly rateLimiterFactory: RateLimiterFactory;
  readonly recoveryMetrics: RecoveryMetrics;
  readonly logger: Logger;
  /** The lease owner of this replica's reconciliation runs. */
  readonly workerId: string;
  readonly config: {
    readonly recovery: {
      readonly reconcileLeaseMs: number;
      /** Local-only rows verified by a retrieve per entity type; the rest are reported unverified. */
      readonly reconcileMaxVerify: number;
    };
  };
}

/** Objects per provider list request. */
const PROVIDER_PAGE = 100;
const SAMPLES = 10;
const LOCAL_PAGE = 1000;

class LeaseLostError extends Error {}

type Report = Partial<Record<EntityType, Tally>>;

/** One entity type of one run: what `#entity` and its steps work on. */
interface EntityJob {
  readonly run: ClaimedReconciliation;
  readonly provider: BillingProvider;
  readonly entityType: EntityType;
  readonly tally: Tally;
  /** The whole run's report (saved with each heartbeat). */
  readonly report: Report;
  /** The workspace has several connections to the provider: local rows cannot be attributed. */
  readonly severalConnections: boolean;
}

interface Tally {
  providerCount: number;
  localCount: number;
  missing: number;
  stale: number;
  deleted: number;
  unverified: number;
  repaired: number;
  listingComplete: boolean;
  deletionCheck: EntityDrift['deletionCheck'];
  samples: { missing: string[]; stale: string[]; deleted: string[]; unverified: string[] };
  error?: { code: string; message: string };
}

function emptyTally(): Tally {
  return {
    providerCount: 0,
    localCount: 0,
    missing: 0,
    stale: 0,
    deleted: 0,
    unverified: 0,
    repaired: 0,
    listingComplete: false,
    deletionCheck: 'pending',
    samples: { missing: [], stale: [], deleted: [], unverified: [] },
  };
}

function note(tally: Tally, kind: 'missing' | 'stale' | 'deleted' | 'unverified', id: string) {
  tally[kind]++;
  if (tally.samples[kind].length < SAMPLES) tally.samples[kind].push(id);
}

function errorOf(err: unknown): { code: string; message: string } {
  return err instanceof AppError
    ? { code: err.code, message: err.message }
    : { code: 'INTERNAL_ERROR', message: 'unexpected error (see the recovery log)' };
}

/**
 * Runs one reconciliation: for each entity type, lists every object at the provider (ids and
 * canonical state, page by page under the account's shared rate limit) and compares it with the
 * local rows, then checks local rows the listing did not contain:
 * - `missing`: listed, absent locally (or a local tombstone for a live object);
 * - `stale`: listed, local canonical fields differ (a local row written after the page was read
 *   is newer, not drift);
 * - `deleted`: live locally, not listed, and a retrieve confirms it is gone;
 * - `unverified`: live locally, not listed, but the retrieve finds it (or the verify budget ran
 *   out): reported, never deleted.
 * Local-only rows are only looked at when the listing was read to its end, and never when the
 * workspace has several connections to the provider (rows cannot be attributed to an account): a
 * partial listing never deletes anything. With `repair`, fixes go through the shared write path
 * (version-gated: a newer webhook still wins) as `reconcile` writes.
 */
export class Reconciler {
  readonly #connections: ConnectionRepository;
  readonly #drift: DriftRepository;
  readonly #writes: SyncWriteRepository;
  readonly #runs: ReconciliationRepository;
  readonly #providerFactory: ProviderFactory;
  readonly #rateLimiterFactory: RateLimiterFactory;
  readonly #metrics: RecoveryMetrics;
  readonly #owner: string;
  readonly #leaseMs: number;
  readonly #maxVerify: number;
  readonly #logger: Logger;

  constructor({
    connectionRepository,
    driftRepository,
    syncWriteRepository,
    reconciliationRepository,
    providerFactory,
    rateLimiterFactory,
    recoveryMetrics,
    logger,
    workerId,
    config,
  }: ReconcilerDeps) {
    this.#connections = connectionRepository;
    this.#drift = driftRepository;
    this.#writes = syncWriteRepository;
    this.#runs = reconciliationRepository;
    this.#providerFactory = providerFactory;
    this.#rateLimiterFactory = rateLimiterFactory;
    this.#metrics = recoveryMetrics;
    this.#owner = workerId;
    this.#leaseMs = config.recovery.reconcileLeaseMs;
    this.#maxVerify = config.recovery.reconcileMaxVerify;
    this.#logger = logger.child({ component: 'Reconciler' });
  }

  /** Claims and runs one due reconciliation; undefined when none is due. */
  async runNext(): Promise<{ id: string; status: 'completed' | 'failed' } | undefined> {
    const run = await this.#runs.claim(this.#owner, this.#leaseMs);
    if (!run) return undefined;
    return { id: run.id, status: await this.run(run) };
  }

  async run(run: ClaimedReconciliation): Promise<'completed' | 'failed'> {
    const log = this.#logger.child({ reconciliationId: run.id, workspaceId: run.workspaceId });
    const report: Report = {};
    const finish = async (status: 'completed' | 'failed', error?: Record<string, unknown>) => {
      await this.#runs.finish(run.id, this.#owner, {
        status,
        report,
        ...(error && { error }),
      });
      this.#metrics.reconciliations.inc({ status, trigger: run.trigger });
      return status;
    };
    try {
      const connection = await this.#connections.getDecrypted(run.workspaceId, run.configurationId);
      const provider = this.#providerFactory(connection, this.#rateLimiterFactory(connection));
      const supported = provider.capabilities().entityTypes;
      const entityTypes = ENTITY_TYPES.filter(
        (t) =>
          supported.includes(t) && (run.entityTypes.length === 0 || run.entityTypes.includes(t)),
      );
      const siblings = (await this.#connections.list(run.workspaceId)).filter(
        (c) => c.provider === connection.provider && c.isActive,
      ).length;
      log.info({ entityTypes, repair: run.repair }, 'Reconciliation started');
      for (const entityType of entityTypes) {
        const tally = emptyTally();
        report[entityType] = tally;
        await this.#entity({
          run,
          provider,
          entityType,
          tally,
          report,
          severalConnections: siblings > 1,
        });
        for (const kind of ['missing', 'stale', 'deleted'] as const)
          if (tally[kind] > 0)
            this.#metrics.driftFound.inc({ entity_type: entityType, kind }, tally[kind]);
        if (tally.repaired > 0)
          this.#metrics.driftRepaired.inc({ entity_type: entityType }, tally.repaired);
      }
      const failed = Object.values(report).some((t) => t.error !== undefined);
      log.info({ report: summary(report) }, 'Reconciliation finished');
      return await finish(
        failed ? 'failed' : 'completed',
        failed
          ? {
              code: 'RECONCILIATION_INCOMPLETE',
              message: 'Some entity types could not be reconciled; see the report',
            }
          : undefined,
      );
    } catch (err) {
      if (err instanceof LeaseLostError) {
        log.warn('Reconciliation lease lost; another replica took it over');
        return 'failed';
      }
      log.error({ err }, 'Reconciliation failed');
      return finish('failed', errorOf(err));
    }
  }

  /**
   * One entity type: the provider's listing against the local rows, then the local rows the
   * listing did not contain (only when the listing was read to its end and the rows can be
   * attributed to this connection).
   */
  async #entity(job: EntityJob): Promise<void> {
    const seen = await this.#compareListing(job);
    const candidates = await this.#unlisted(job, seen);
    const { tally } = job;
    if (!tally.listingComplete) {
      tally.deletionCheck = 'skipped_partial_listing';
      return;
    }
    if (job.severalConnections) {
      tally.deletionCheck = 'skipped_several_connections';
      for (const id of candidates) note(tally, 'unverified', id);
      return;
    }
    await this.#verifyUnlisted(job, candidates);
  }

  /** Step 1: lists the provider's objects page by page; notes missing and stale. Returns the ids seen. */
  async #compareListing(job: EntityJob): Promise<Set<string>> {
    const { run, provider, entityType, tally } = job;
    const ctx = { workspaceId: run.workspaceId, source: 'reconcile' as const };
    const seen = new Set<string>();
    try {
      let cursor: string | null = null;
      const attributes = { 'paysync.entity_type': entityType, 'paysync.reconciliation.id': run.id };
      do {
        cursor = await withSpan('reconcile.page', { attributes }, async (span) => {
          const page = await provider.listPage(entityType, { cursor, limit: PROVIDER_PAGE }, ctx);
          const changes = page.changes.filter((c) => c.entityType === entityType);
          const kinds = await this.#drift.compare(entityType, changes);
          const repairs: CanonicalChange[] = [];
          changes.forEach((change, i) => {
            seen.add(change.externalId);
            tally.providerCount++;
            const kind = kinds[i];
            if (kind === 'missing' || kind === 'stale') {
              note(tally, kind, change.externalId);
              repairs.push(change);
            }
          });
          if (run.repair) tally.repaired += await this.#repair(repairs);
          span.setAttribute('paysync.page.records', changes.length);
          span.setAttribute('paysync.reconciliation.drifted', repairs.length);
          return page.nextCursor;
        });
        await this.#heartbeat(run, job.report);
      } while (cursor);
      tally.listingComplete = true;
    } catch (err) {
      if (err instanceof LeaseLostError) throw err;
      tally.error = errorOf(err);
      this.#logger.warn(
        { err, reconciliationId: run.id, entityType },
        'Provider listing failed; nothing will be deleted for this entity type',
      );
    }
    return seen;
  }

  /** Step 2: the live local rows the listing did not contain (every local row is counted). */
  async #unlisted(job: EntityJob, seen: ReadonlySet<string>): Promise<string[]> {
    const { run, entityType, tally } = job;
    const candidates: string[] = [];
    let after: string | null = null;
    for (;;) {
      const ids = await this.#drift.liveIds(
        run.workspaceId,
        run.provider,
        entityType,
        after,
        LOCAL_PAGE,
      );
      tally.localCount += ids.length;
      for (const id of ids) if (!seen.has(id)) candidates.push(id);
      if (ids.length < LOCAL_PAGE) break;
      after = ids.at(-1) ?? null;
    }
    return candidates;
  }

  /**
   * Step 3: asks the provider about each unlisted row (up to the verify budget): gone is
   * `deleted`, different is `stale`, anything else (or any doubt) is `unverified` and never
   * deleted.
   */
  async #verifyUnlisted(job: EntityJob, candidates: readonly string[]): Promise<void> {
    const { run, provider, entityType, tally } = job;
    const ctx = { workspaceId: run.workspaceId, source: 'reconcile' as const };
    const tombstones: CanonicalChange[] = [];
    const refreshed: CanonicalChange[] = [];
    for (const [i, id] of candidates.entries()) {
      if (i >= this.#maxVerify) {
        note(tally, 'unverified', id);
        continue;
      }
      try {
        const current = await provider.retrieve(entityType, id, ctx);
        if (current.deleted) {
          note(tally, 'deleted', id);
          tombstones.push(current);
        } else {
          const [kind] = await this.#drift.compare(entityType, [current]);
          if (kind === 'stale' || kind === 'missing') {
            note(tally, 'stale', id);
            refreshed.push(current);
          } else {
            note(tally, 'unverified', id);
          }
        }
      } catch (err) {
        // Could not verify: never delete on doubt.
        note(tally, 'unverified', id);
        tally.error ??= errorOf(err);
      }
      if (i % 100 === 99) await this.#heartbeat(run, job.report);
    }
    tally.deletionCheck = candidates.length > this.#maxVerify ? 'partial' : 'done';
    if (run.repair) tally.repaired += await this.#repair([...tombstones, ...refreshed]);
  }

  /** Writes repairs through the shared write path; returns how many it applied. */
  async #repair(changes: readonly CanonicalChange[]): Promise<number> {
    if (changes.length === 0) return 0;
    // The provider's current state read at its version: it also wins a tie at that version.
    const { outcomes } = await this.#writes.applyChanges(changes, { authoritative: true });
    return outcomes.filter((o) => o === 'applied').length;
  }

  async #heartbeat(run: ClaimedReconciliation, report: Report): Promise<void> {
    const alive = await this.#runs.heartbeat(run.id, this.#owner, this.#leaseMs, report);
    if (!alive) throw new LeaseLostError();
  }
}

function summary(report: Report) {
  return Object.fromEntries(
    Object.entries(report).map(([type, t]) => [
      type,
      { missing: t.missing, stale: t.stale, deleted: t.deleted, repaired: t.repaired },
    ]),
  );
}
