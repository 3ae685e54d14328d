import { ENTITY_TYPES, type CanonicalChange, type EntityType } from '@paysync/contracts';
import {
  PgRateLimiter,
  type ClaimedReconciliation,
  type ConnectionRepository,
  type Db,
  type DecryptedConnection,
  type DriftRepository,
  type EntityDrift,
  type ReconciliationRepository,
  type SyncWriteRepository,
} from '@paysync/db';
import { AppError } from '@paysync/errors';
import type { Logger } from '@paysync/observability';
import { connectionRateLimit, type BillingProvider, type RateLimiter } from '@paysync/providers';

import type { RecoveryMetrics } from '../heartbeats/recovery.metrics.js';

export type ProviderFactory = (
  connection: DecryptedConnection,
  rateLimiter: RateLimiter,
) => BillingProvider;

export interface ReconcilerSettings {
  readonly owner: string;
  readonly leaseMs: number;
  /** Local-only rows verified by a retrieve per entity type; the rest are reported unverified. */
  readonly maxVerify: number;
  readonly pageSize: number;
}

const SAMPLES = 10;
const LOCAL_PAGE = 1000;

class LeaseLostError extends Error {}

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
  readonly #prisma: Db;
  readonly #connections: ConnectionRepository;
  readonly #drift: DriftRepository;
  readonly #writes: SyncWriteRepository;
  readonly #runs: ReconciliationRepository;
  readonly #providerFactory: ProviderFactory;
  readonly #metrics: RecoveryMetrics;
  readonly #settings: ReconcilerSettings;
  readonly #logger: Logger;

  constructor(deps: {
    prisma: Db;
    connectionRepository: ConnectionRepository;
    driftRepository: DriftRepository;
    syncWriteRepository: SyncWriteRepository;
    reconciliationRepository: ReconciliationRepository;
    providerFactory: ProviderFactory;
    recoveryMetrics: RecoveryMetrics;
    settings: ReconcilerSettings;
    logger: Logger;
  }) {
    this.#prisma = deps.prisma;
    this.#connections = deps.connectionRepository;
    this.#drift = deps.driftRepository;
    this.#writes = deps.syncWriteRepository;
    this.#runs = deps.reconciliationRepository;
    this.#providerFactory = deps.providerFactory;
    this.#metrics = deps.recoveryMetrics;
    this.#settings = deps.settings;
    this.#logger = deps.logger.child({ component: 'Reconciler' });
  }

  /** Claims and runs one due reconciliation; undefined when none is due. */
  async runNext(): Promise<{ id: string; status: 'completed' | 'failed' } | undefined> {
    const run = await this.#runs.claim(this.#settings.owner, this.#settings.leaseMs);
    if (!run) return undefined;
    return { id: run.id, status: await this.run(run) };
  }

  async run(run: ClaimedReconciliation): Promise<'completed' | 'failed'> {
    const log = this.#logger.child({ reconciliationId: run.id, workspaceId: run.workspaceId });
    const report: Partial<Record<EntityType, Tally>> = {};
    const finish = async (status: 'completed' | 'failed', error?: Record<string, unknown>) => {
      await this.#runs.finish(run.id, this.#settings.owner, {
        status,
        report,
        ...(error && { error }),
      });
      this.#metrics.reconciliations.inc({ status, trigger: run.trigger });
      return status;
    };
    try {
      const connection = await this.#connections.getDecrypted(run.workspaceId, run.configurationId);
      const provider = this.#providerFactory(
        connection,
        new PgRateLimiter({ prisma: this.#prisma, ...connectionRateLimit(connection) }),
      );
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
        await this.#entity(run, provider, entityType, tally, report, siblings > 1);
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

  async #entity(
    run: ClaimedReconciliation,
    provider: BillingProvider,
    entityType: EntityType,
    tally: Tally,
    report: Partial<Record<EntityType, Tally>>,
    severalConnections: boolean,
  ): Promise<void> {
    const ctx = { workspaceId: run.workspaceId, source: 'reconcile' as const };
    const seen = new Set<string>();
    // 1. The provider's listing against the local rows.
    try {
      let cursor: string | null = null;
      do {
        const page = await provider.listPage(
          entityType,
          { cursor, limit: this.#settings.pageSize },
          ctx,
        );
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
        cursor = page.nextCursor;
        await this.#heartbeat(run, report);
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

    // 2. Local rows the listing did not contain.
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
    if (!tally.listingComplete) {
      tally.deletionCheck = 'skipped_partial_listing';
      return;
    }
    if (severalConnections) {
      tally.deletionCheck = 'skipped_several_connections';
      for (const id of candidates) note(tally, 'unverified', id);
      return;
    }
    const tombstones: CanonicalChange[] = [];
    const refreshed: CanonicalChange[] = [];
    for (const [i, id] of candidates.entries()) {
      if (i >= this.#settings.maxVerify) {
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
      if (i % 100 === 99) await this.#heartbeat(run, report);
    }
    tally.deletionCheck = candidates.length > this.#settings.maxVerify ? 'partial' : 'done';
    if (run.repair) tally.repaired += await this.#repair([...tombstones, ...refreshed]);
  }

  /** Writes repairs through the shared write path; returns how many it applied. */
  async #repair(changes: readonly CanonicalChange[]): Promise<number> {
    if (changes.length === 0) return 0;
    // The provider's current state read at its version: it also wins a tie at that version.
    const { outcomes } = await this.#writes.applyChanges(changes, { authoritative: true });
    return outcomes.filter((o) => o === 'applied').length;
  }

  async #heartbeat(
    run: ClaimedReconciliation,
    report: Partial<Record<EntityType, Tally>>,
  ): Promise<void> {
    const alive = await this.#runs.heartbeat(
      run.id,
      this.#settings.owner,
      this.#settings.leaseMs,
      report,
    );
    if (!alive) throw new LeaseLostError();
  }
}

function summary(report: Partial<Record<EntityType, Tally>>) {
  return Object.fromEntries(
    Object.entries(report).map(([type, t]) => [
      type,
      { missing: t.missing, stale: t.stale, deleted: t.deleted, repaired: t.repaired },
    ]),
  );
}
