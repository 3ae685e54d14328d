import type { EntityType, ProviderName } from '@paysync/contracts';
import { ConflictError, NotFoundError } from '@paysync/errors';

import { isUuid } from '../ids.js';
import { createdBefore } from './keyset.js';

import type { Db } from '../client.js';
import type { Prisma } from '../generated/prisma/client.js';

export type ReconciliationStatus = 'pending' | 'running' | 'completed' | 'failed';

/** Drift of one entity type, as the recovery service found (and, with repair, fixed) it. */
export interface EntityDrift {
  /** Objects the provider listed. */
  readonly providerCount: number;
  /** Live (not deleted) local rows compared. */
  readonly localCount: number;
  /** Listed by the provider, absent (or deleted) locally. */
  readonly missing: number;
  /** Present locally with different content than the provider's current state. */
  readonly stale: number;
  /** Live locally, gone at the provider (each confirmed by a retrieve). */
  readonly deleted: number;
  /** Live locally, not listed, but the retrieve found it: counted, never deleted. */
  readonly unverified: number;
  /** Changes written by repair (missing + stale + deleted that the write path accepted). */
  readonly repaired: number;
  /** Whether the provider listing was read to its end; a partial listing never deletes. */
  readonly listingComplete: boolean;
  /**
   * The check of local rows the listing did not contain: done; partial (past the verify budget);
   * skipped after a partial listing, or when several connections share the workspace's rows.
   */
  readonly deletionCheck:
    'pending' | 'done' | 'partial' | 'skipped_partial_listing' | 'skipped_several_connections';
  /** Up to 10 external ids per kind of drift. */
  readonly samples: {
    readonly missing: readonly string[];
    readonly stale: readonly string[];
    readonly deleted: readonly string[];
    readonly unverified: readonly string[];
  };
  readonly error?: { readonly code: string; readonly message: string };
}

export interface ReconciliationView {
  readonly id: string;
  readonly workspaceId: string;
  readonly configurationId: string | null;
  readonly provider: ProviderName;
  readonly entityTypes: readonly EntityType[];
  readonly repair: boolean;
  readonly trigger: 'manual' | 'schedule';
  readonly status: ReconciliationStatus;
  readonly requestedBy: string | null;
  readonly report: Partial<Record<EntityType, EntityDrift>>;
  readonly error: Record<string, unknown> | null;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
}

export interface ClaimedReconciliation extends ReconciliationView {
  readonly configurationId: string;
}

type Row = Prisma.ReconciliationRunGetPayload<object>;

function toView(row: Row): ReconciliationView {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    configurationId: row.configurationId,
    provider: row.provider,
    entityTypes: row.entityTypes as EntityType[],
    repair: row.repair,
    trigger: row.trigger === 'schedule' ? 'schedule' : 'manual',
    status: row.status as ReconciliationStatus,
    requestedBy: row.requestedBy,
    report: (row.report ?? {}) as ReconciliationView['report'],
    error: (row.error ?? null) as Record<string, unknown> | null,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}

export interface ReconciliationRepositoryDeps {
  readonly prisma: Db;
}

/**
 * Reconciliation runs (`reconciliation_runs`): the api creates them, the recovery service claims
 * them (`SKIP LOCKED`, with a lease a dead replica loses) and records the drift report.
 */
export class ReconciliationRepository {
  readonly #prisma: Db;

  constructor({ prisma }: ReconciliationRepositoryDeps) {
    this.#prisma = prisma;
  }

  /**
   * A pending run for the connection; one active (pending or running) run per connection, so a
   * second request while one is going is a conflict (the schedule simply skips).
   */
  async create(input: {
    workspaceId: string;
    configurationId: string;
    provider: ProviderName;
    entityTypes: readonly EntityType[];
    repair: boolean;
    trigger: 'manual' | 'schedule';
    requestedBy: string;
  }): Promise<ReconciliationView> {
    return this.#prisma.$transaction(async (tx) => {
      // Serialises creators per connection (the row lock), like sync sessions.
      await tx.$queryRaw`
        SELECT id FROM workspace_payment_configurations WHERE id = ${input.configurationId}::uuid FOR UPDATE`;
      const active = await tx.reconciliationRun.findFirst({
        where: { configurationId: input.configurationId, status: { in: ['pending', 'running'] } },
        select: { id: true },
      });
      if (active) {
        throw new ConflictError(
          'RECONCILIATION_ACTIVE',
          'A reconciliation of this connection is already pending or running',
          { reconciliationId: active.id },
        );
      }
      return toView(
        await tx.reconciliationRun.create({
          data: {
            workspaceId: input.workspaceId,
            configurationId: input.configurationId,
            provider: input.provider,
            entityTypes: [...input.entityTypes],
            repair: input.repair,
            trigger: input.trigger,
            requestedBy: input.requestedBy,
          },
        }),
      );
    });
  }

  async get(workspaceId: string, id: string): Promise<ReconciliationView> {
    const row = isUuid(id)
      ? await this.#prisma.reconciliationRun.findFirst({ where: { id, workspaceId } })
      : null;
    if (!row)
      throw new NotFoundError('NOT_FOUND', 'Reconciliation not found', { reconciliationId: id });
    return toView(row);
  }

  /** Newest first, keyset paged on (createdAt, id). */
  async list(
    workspaceId: string,
    filter: {
      status?: ReconciliationStatus | undefined;
      limit: number;
      before?: { createdAt: Date; id: string };
    },
  ): Promise<ReconciliationView[]> {
    const rows = await this.#prisma.reconciliationRun.findMany({
      where: {
        workspaceId,
        ...(filter.status && { status: filter.status }),
        ...(filter.before && createdBefore(filter.before)),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: filter.limit,
    });
    return rows.map(toView);
  }

  /**
   * Claims the oldest pending run, or a running one whose owner's lease expired (a replica died
   * mid-run: the run starts over, which is safe, every repair goes through the version gate).
   */
  async claim(owner: string, leaseMs: number): Promise<ClaimedReconciliation | undefined> {
    const rows = await this.#prisma.$queryRaw<{ id: string }[]>`
      UPDATE reconciliation_runs SET status = 'running', lease_owner = ${owner},
        lease_expires_at = now() + (${leaseMs}::int * interval '1 millisecond'),
        started_at = COALESCE(started_at, now()), updated_at = now()
      WHERE id = (
        SELECT id FROM reconciliation_runs
        WHERE configuration_id IS NOT NULL
          AND (status = 'pending' OR (status = 'running' AND lease_expires_at < now()))
        ORDER BY created_at
        LIMIT 1
        FOR UPDATE SKIP LOCKED)
      RETURNING id`;
    const id = rows[0]?.id;
    if (!id) return undefined;
    const row = await this.#prisma.reconciliationRun.findUniqueOrThrow({ where: { id } });
    return toView(row) as ClaimedReconciliation;
  }

  /** Extends the lease and saves the report so far; false when the lease was lost. */
  async heartbeat(
    id: string,
    owner: string,
    leaseMs: number,
    report: ReconciliationView['report'],
  ): Promise<boolean> {
    const n = await this.#prisma.$executeRaw`
      UPDATE reconciliation_runs SET report = ${JSON.stringify(report)}::jsonb,
        lease_expires_at = now() + (${leaseMs}::int * interval '1 millisecond'), updated_at = now()
      WHERE id = ${id}::uuid AND lease_owner = ${owner} AND status = 'running'`;
    return n === 1;
  }

  async finish(
    id: string,
    owner: string,
    outcome: {
      status: 'completed' | 'failed';
      report: ReconciliationView['report'];
      error?: Record<string, unknown>;
    },
  ): Promise<void> {
    await this.#prisma.$executeRaw`
      UPDATE reconciliation_runs SET status = ${outcome.status},
        report = ${JSON.stringify(outcome.report)}::jsonb,
        error = ${outcome.error ? JSON.stringify(outcome.error) : null}::jsonb,
        lease_owner = NULL, lease_expires_at = NULL, finished_at = now(), updated_at = now()
      WHERE id = ${id}::uuid AND lease_owner = ${owner}`;
  }

  /**
   * Creates the scheduled runs that are due: active connections whose `settings.reconcileIntervalMinutes`
   * has passed since their last run started (or that never had one). Returns how many were created.
   */
  async scheduleDue(): Promise<number> {
    const due = await this.#prisma.$queryRaw<
      { id: string; workspace_id: string; provider: ProviderName; repair: boolean }[]
    >`
      SELECT c.id, c.workspace_id, c.provider,
             COALESCE((c.settings->>'reconcileRepair')::boolean, false) AS repair
      FROM workspace_payment_configurations c
      WHERE c.is_active
        AND jsonb_typeof(c.settings->'reconcileIntervalMinutes') = 'number'
        AND NOT EXISTS (
          SELECT 1 FROM reconciliation_runs r
          WHERE r.configuration_id = c.id
            AND (r.status IN ('pending', 'running')
              OR r.created_at > now() - ((c.settings->>'reconcileIntervalMinutes')::numeric * interval '1 minute')))
      LIMIT 100`;
    let created = 0;
    for (const c of due) {
      try {
        await this.create({
          workspaceId: c.workspace_id,
          configurationId: c.id,
          provider: c.provider,
          entityTypes: [],
          repair: c.repair,
          trigger: 'schedule',
          requestedBy: 'recovery',
        });
        created++;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    return created;
  }
}
