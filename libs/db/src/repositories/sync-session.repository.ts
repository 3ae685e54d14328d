import { randomUUID } from 'node:crypto';

import type { EntityType, ProviderName } from '@paysync/contracts';
import { ConflictError, NotFoundError } from '@paysync/errors';

import { mapDbError } from '../errors.js';
import { isUuid } from '../ids.js';

import type { Db, DbOrTx } from '../client.js';
import type { PaymentSyncSession, Prisma } from '../generated/prisma/client.js';

export type SyncSessionStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
export const ACTIVE_SESSION_STATUSES: readonly SyncSessionStatus[] = ['pending', 'running'];

/** A sync session as the API and the runner see it. `progress` is per entity type. */
export interface SyncSessionView {
  readonly id: string;
  readonly workspaceId: string;
  readonly configurationId: string | null;
  readonly provider: ProviderName;
  readonly status: SyncSessionStatus;
  readonly entityTypes: readonly EntityType[];
  readonly progress: Record<string, Record<string, unknown>>;
  readonly parentSessionId: string | null;
  readonly requestedBy: string | null;
  readonly error: Record<string, unknown> | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly lastProgressAt: Date | null;
}

export interface CreateSessionInput {
  readonly workspaceId: string;
  readonly configurationId: string;
  readonly provider: ProviderName;
  readonly entityTypes: readonly EntityType[];
  readonly requestedBy: string;
  readonly parentSessionId?: string | null;
}

export interface SessionListFilter {
  readonly status?: SyncSessionStatus | undefined;
  readonly provider?: ProviderName | undefined;
  readonly configurationId?: string | undefined;
  /** Keyset: sessions strictly older than this (createdAt desc, id desc). */
  readonly before?: { readonly createdAt: Date; readonly id: string } | undefined;
  readonly limit: number;
}

/**
 * Sync sessions (`payment_sync_sessions`). Creation is serialised per connection (the connection
 * row is locked), so two concurrent "start" requests cannot both create an active session.
 */
export class SyncSessionRepository {
  readonly #prisma: Db;

  constructor({ prisma }: { prisma: Db }) {
    this.#prisma = prisma;
  }

  /** Creates a `pending` session, or fails with SYNC_SESSION_ACTIVE if the connection has one. */
  async createIfIdle(input: CreateSessionInput): Promise<SyncSessionView> {
    try {
      return await this.#prisma.$transaction(async (tx) => {
        const locked = await tx.$queryRaw<{ id: string }[]>`
          SELECT id FROM workspace_payment_configurations
          WHERE id = ${input.configurationId}::uuid AND workspace_id = ${input.workspaceId}::uuid
          FOR UPDATE`;
        if (locked.length === 0) {
          throw new NotFoundError('NOT_FOUND', 'Provider connection not found', {
            connectionId: input.configurationId,
          });
        }
        const active = await tx.paymentSyncSession.findFirst({
          where: {
            configurationId: input.configurationId,
            status: { in: [...ACTIVE_SESSION_STATUSES] },
          },
          select: { id: true, status: true },
        });
        if (active) {
          throw new ConflictError(
            'SYNC_SESSION_ACTIVE',
            'A sync session for this connection is already pending or running',
            { sessionId: active.id, status: active.status },
          );
        }
        const row = await tx.paymentSyncSession.create({
          data: {
            id: randomUUID(),
            workspaceId: input.workspaceId,
            configurationId: input.configurationId,
            provider: input.provider,
            entityTypes: [...input.entityTypes],
            requestedBy: input.requestedBy,
            parentSessionId: input.parentSessionId ?? null,
            progress: Object.fromEntries(
              input.entityTypes.map((t) => [t, { fetched: 0, written: 0, failed: 0, pages: 0 }]),
            ) as Prisma.InputJsonObject,
          },
        });
        return toView(row);
      });
    } catch (err) {
      throw mapDbError(err, { operation: 'createSyncSession' });
    }
  }

  async get(workspaceId: string, id: string, tx?: DbOrTx): Promise<SyncSessionView> {
    const row = isUuid(id)
      ? await (tx ?? this.#prisma).paymentSyncSession.findFirst({ where: { id, workspaceId } })
      : null;
    if (!row) throw new NotFoundError('NOT_FOUND', 'Sync session not found', { sessionId: id });
    return (await this.#withUnitProgress([toView(row)], tx))[0] as SyncSessionView;
  }

  async list(
    workspaceId: string,
    filter: SessionListFilter,
    tx?: DbOrTx,
  ): Promise<SyncSessionView[]> {
    const rows = await (tx ?? this.#prisma).paymentSyncSession.findMany({
      where: {
        workspaceId,
        ...(filter.status && { status: filter.status }),
        ...(filter.provider && { provider: filter.provider }),
        ...(filter.configurationId && { configurationId: filter.configurationId }),
        ...(filter.before && {
          OR: [
            { createdAt: { lt: filter.before.createdAt } },
            { createdAt: filter.before.createdAt, id: { lt: filter.before.id } },
          ],
        }),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: filter.limit,
    });
    return this.#withUnitProgress(rows.map(toView), tx);
  }

  /**
   * Per-entity progress from the session's units (the sync-runner's checkpoints): counters,
   * segments done, records per second while running, and an ETA from the share of segments done.
   */
  async #withUnitProgress(sessions: SyncSessionView[], tx?: DbOrTx): Promise<SyncSessionView[]> {
    if (sessions.length === 0) return sessions;
    const rows = await (tx ?? this.#prisma).$queryRaw<UnitAggregate[]>`
      SELECT session_id, entity_type,
        count(*)::int AS segments, (count(*) FILTER (WHERE status = 'done'))::int AS segments_done,
        sum(fetched)::int AS fetched, sum(written)::int AS written, sum(skipped)::int AS skipped,
        sum(failed)::int AS failed, sum(pages)::int AS pages, sum(requests)::int AS requests,
        sum(throttles)::int AS throttles, min(started_at) AS started_at,
        max(finished_at) AS finished_at, max(updated_at) AS updated_at
      FROM sync_units WHERE session_id = ANY(${sessions.map((s) => s.id)}::uuid[])
      GROUP BY session_id, entity_type`;
    if (rows.length === 0) return sessions;
    const now = Date.now();
    return sessions.map((session) => {
      const mine = rows.filter((r) => r.session_id === session.id);
      if (mine.length === 0) return session;
      const progress: Record<string, Record<string, unknown>> = { ...session.progress };
      for (const r of mine) {
        const done = r.segments_done === r.segments;
        const startedMs = r.started_at?.getTime();
        const endMs = done && r.finished_at ? r.finished_at.getTime() : now;
        const seconds = startedMs !== undefined ? Math.max(0.001, (endMs - startedMs) / 1000) : 0;
        const share = r.segments_done / r.segments;
        progress[r.entity_type] = {
          fetched: r.fetched,
          written: r.written,
          skipped: r.skipped,
          failed: r.failed,
          pages: r.pages,
          requests: r.requests,
          throttles: r.throttles,
          segments: r.segments,
          segmentsDone: r.segments_done,
          done,
          recordsPerSecond: seconds > 0 ? Math.round(r.fetched / seconds) : 0,
          etaSeconds: done
            ? 0
            : share > 0 && seconds > 0
              ? Math.round((seconds * (1 - share)) / share)
              : null,
        };
      }
      const last = Math.max(...mine.map((r) => r.updated_at.getTime()));
      return {
        ...session,
        progress,
        lastProgressAt: new Date(Math.max(last, session.lastProgressAt?.getTime() ?? 0)),
      };
    });
  }

  /**
   * Sessions a person may want to recover: failed, cancelled, or running without progress for
   * `stalledAfterMs` (no unit checkpoint). Sessions already restarted (they have a child) are left
   * out. Newest first.
   */
  async recoverable(
    workspaceId: string,
    stalledAfterMs: number,
    tx?: DbOrTx,
    onlySessionId?: string,
  ): Promise<(SyncSessionView & { reason: 'failed' | 'cancelled' | 'stalled' })[]> {
    const db = tx ?? this.#prisma;
    const ids = await db.$queryRaw<{ id: string }[]>`
      SELECT s.id FROM payment_sync_sessions s
      WHERE s.workspace_id = ${workspaceId}::uuid
        AND (${onlySessionId ?? null}::uuid IS NULL OR s.id = ${onlySessionId ?? null}::uuid)
        AND NOT EXISTS (SELECT 1 FROM payment_sync_sessions c WHERE c.parent_session_id = s.id)
        AND (s.status IN ('failed', 'cancelled')
          OR (s.status = 'running' AND COALESCE(
                (SELECT max(u.updated_at) FROM sync_units u WHERE u.session_id = s.id),
                s.last_progress_at, s.created_at)
              < now() - (${stalledAfterMs}::int * interval '1 millisecond')))
      ORDER BY s.created_at DESC, s.id DESC
      LIMIT 100`;
    if (ids.length === 0) return [];
    const rows = await db.paymentSyncSession.findMany({
      where: { id: { in: ids.map((r) => r.id) } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
    const views = await this.#withUnitProgress(rows.map(toView), tx);
    return views.map((v) => ({
      ...v,
      reason: v.status === 'failed' ? 'failed' : v.status === 'cancelled' ? 'cancelled' : 'stalled',
    }));
  }

  /** Whether the connection has a pending or running session. */
  async hasActive(configurationId: string, tx?: DbOrTx): Promise<boolean> {
    const n = await (tx ?? this.#prisma).paymentSyncSession.count({
      where: { configurationId, status: { in: [...ACTIVE_SESSION_STATUSES] } },
    });
    return n > 0;
  }

  /** Ends a session that never got going (its command could not be published). */
  async markFailed(id: string, error: Record<string, unknown>): Promise<void> {
    await this.#prisma.paymentSyncSession.updateMany({
      where: { id, status: { in: [...ACTIVE_SESSION_STATUSES] } },
      data: { status: 'failed', error: error as Prisma.InputJsonObject, finishedAt: new Date() },
    });
  }

  /**
   * Cancels a pending or running session (the runner sees the status between pages and stops);
   * a finished session is SYNC_SESSION_FINISHED.
   */
  async cancel(workspaceId: string, id: string): Promise<SyncSessionView> {
    const current = await this.get(workspaceId, id);
    const updated = await this.#prisma.paymentSyncSession.updateMany({
      where: { id, workspaceId, status: { in: [...ACTIVE_SESSION_STATUSES] } },
      data: { status: 'cancelled', finishedAt: new Date() },
    });
    if (updated.count === 0) {
      const now = await this.get(workspaceId, id);
      throw new ConflictError(
        'SYNC_SESSION_FINISHED',
        `The sync session is already ${now.status}`,
        {
          sessionId: id,
          status: now.status,
        },
      );
    }
    return { ...current, ...(await this.get(workspaceId, id)) };
  }
}

interface UnitAggregate {
  session_id: string;
  entity_type: string;
  segments: number;
  segments_done: number;
  fetched: number;
  written: number;
  skipped: number;
  failed: number;
  pages: number;
  requests: number;
  throttles: number;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
}

function toView(row: PaymentSyncSession): SyncSessionView {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    configurationId: row.configurationId,
    provider: row.provider,
    status: row.status,
    entityTypes: row.entityTypes as EntityType[],
    progress: (row.progress ?? {}) as Record<string, Record<string, unknown>>,
    parentSessionId: row.parentSessionId,
    requestedBy: row.requestedBy,
    error: (row.error ?? null) as Record<string, unknown> | null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    lastProgressAt: row.lastProgressAt,
  };
}
