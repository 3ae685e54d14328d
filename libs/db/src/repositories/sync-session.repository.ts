import { randomUUID } from 'node:crypto';

import type { EntityType, ProviderName } from '@paysync/contracts';
import { ConflictError, NotFoundError } from '@paysync/errors';

import { mapDbError } from '../errors.js';
import { isUuid } from '../ids.js';
import { createdBefore } from './keyset.js';

import {
  ACTIVE_SESSION_STATUSES,
  INITIAL_SESSION_STATUS,
  SYNC_SESSION_STATUSES,
  sourcesOf,
  targetOf,
  type SyncSessionStatus,
} from './sync-session.machine.js';

import type { Db, DbOrTx, Tx } from '../client.js';
import type { PaymentSyncSession, Prisma } from '../generated/prisma/client.js';

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

/** A session the sync-runner is about to plan (its row locked). */
export interface SessionToPlan {
  readonly status: SyncSessionStatus;
  readonly workspaceId: string;
  readonly entityTypes: readonly string[];
  /** The session's provider and its connection's provider settings (empty once it is deleted). */
  readonly provider: ProviderName;
  readonly settings: Readonly<Record<string, unknown>>;
}

/** What the recovery watchdog may resume on its own (see `autoResumeCandidates`). */
export interface AutoResumeCandidate {
  readonly id: string;
  readonly workspaceId: string;
  readonly configurationId: string;
  readonly provider: ProviderName;
  readonly entityTypes: readonly EntityType[];
  readonly status: 'running' | 'failed';
  readonly autoResumes: number;
}

export interface AutoResumePolicy {
  /** A running session without progress for this long is stalled. */
  readonly stalledAfterMs: number;
  /** Automatic resumes per session; past it the session waits for a human. */
  readonly maxAutoResumes: number;
  /** Wait after a transient failure before resuming; doubles per automatic resume. */
  readonly resumeDelayMs: number;
  /** Error codes of a failure that may go away by itself. */
  readonly retryableCodes: readonly string[];
}

export interface SyncSessionRepositoryDeps {
  readonly prisma: Db;
}

/**
 * Sync sessions (`payment_sync_sessions`): the one writer of the table, used by the api, the
 * sync-runner and recovery. Every status change is an event of the session state machine
 * (sync-session.machine.ts) written as a compare-and-set on the statuses the event may leave, so
 * a change that lost a race (a cancel during the last page, two runners finishing together)
 * changes nothing. Creation is serialised per connection (the connection row is locked), so two
 * concurrent "start" requests cannot both create an active session.
 */
export class SyncSessionRepository {
  readonly #prisma: Db;

  constructor({ prisma }: SyncSessionRepositoryDeps) {
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
            status: INITIAL_SESSION_STATUS,
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
        ...(filter.before && createdBefore(filter.before)),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: filter.limit,
    });
    return this.#withUnitProgress(rows.map(toView), tx);
  }

  /**
   * Per-entity progress from the session's units (the sync-runner's checkpoints): counters,
   * segments done, records per second while running, and an ETA from the share of segments done.
   * `failed` counts records the database refused (the session went on without them);
   * `failedRecords` lists the first 50 ({ id, reason }), present only when there are some.
   */
  async #withUnitProgress(sessions: SyncSessionView[], tx?: DbOrTx): Promise<SyncSessionView[]> {
    if (sessions.length === 0) return sessions;
    const rows = await (tx ?? this.#prisma).$queryRaw<UnitAggregate[]>`
      SELECT session_id, entity_type,
        count(*)::int AS segments, (count(*) FILTER (WHERE status = 'done'))::int AS segments_done,
        sum(fetched)::int AS fetched, sum(written)::int AS written, sum(skipped)::int AS skipped,
        sum(failed)::int AS failed, sum(pages)::int AS pages, sum(requests)::int AS requests,
        sum(throttles)::int AS throttles, min(started_at) AS started_at,
        max(finished_at) AS finished_at, max(updated_at) AS updated_at,
        jsonb_agg(failed_records ORDER BY segment)
          FILTER (WHERE jsonb_array_length(failed_records) > 0) AS failed_records
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
        const failedRecords = (r.failed_records ?? []).flat().slice(0, MAX_FAILED_RECORDS);
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
          ...(failedRecords.length > 0 && { failedRecords }),
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

  /** Sessions per status, across workspaces (the recovery service's state metrics). */
  async countByStatus(): Promise<Record<SyncSessionStatus, number>> {
    const rows = await this.#prisma.$queryRaw<{ status: SyncSessionStatus; n: number }[]>`
      SELECT status::text AS status, count(*)::int AS n FROM payment_sync_sessions GROUP BY status`;
    const counts = Object.fromEntries(SYNC_SESSION_STATUSES.map((s) => [s, 0])) as Record<
      SyncSessionStatus,
      number
    >;
    for (const r of rows) counts[r.status] = r.n;
    return counts;
  }

  /**
   * Running sessions with their estimated seconds left (elapsed since the first unit started ×
   * units left ÷ units done; null while no unit is done), the longest `limit` first.
   */
  async runningEtas(
    limit: number,
  ): Promise<{ id: string; workspaceId: string; etaSeconds: number | null }[]> {
    const rows = await this.#prisma.$queryRaw<
      { id: string; workspace_id: string; eta_seconds: number | null }[]
    >`
      SELECT s.id::text AS id, s.workspace_id::text AS workspace_id,
        CASE WHEN count(*) FILTER (WHERE u.status = 'done') = 0 OR min(u.started_at) IS NULL
          THEN NULL
          ELSE extract(epoch FROM (now() - min(u.started_at)))
            * (count(*) - count(*) FILTER (WHERE u.status = 'done'))
            / (count(*) FILTER (WHERE u.status = 'done'))
        END::float8 AS eta_seconds
      FROM payment_sync_sessions s JOIN sync_units u ON u.session_id = s.id
      WHERE s.status = 'running'
      GROUP BY s.id, s.workspace_id
      ORDER BY eta_seconds DESC NULLS FIRST
      LIMIT ${limit}`;
    return rows.map((r) => ({ id: r.id, workspaceId: r.workspace_id, etaSeconds: r.eta_seconds }));
  }

  /** Whether the connection has a pending or running session. */
  async hasActive(configurationId: string, tx?: DbOrTx): Promise<boolean> {
    const n = await (tx ?? this.#prisma).paymentSyncSession.count({
      where: { configurationId, status: { in: [...ACTIVE_SESSION_STATUSES] } },
    });
    return n > 0;
  }

  /**
   * `fail`: the session ends `failed` with `error` (a permanent unit failure, or a start command
   * that never reached Kafka). False when it had already ended.
   */
  async markFailed(id: string, error: Record<string, unknown>, tx?: Tx): Promise<boolean> {
    const n = await (tx ?? this.#prisma).$executeRaw`
      UPDATE payment_sync_sessions SET status = ${targetOf('fail')}::sync_session_status,
        finished_at = now(), updated_at = now(), error = ${JSON.stringify(error)}::jsonb
      WHERE id = ${id}::uuid AND status = ANY(${[...sourcesOf('fail')]}::sync_session_status[])`;
    return n === 1;
  }

  /**
   * `cancel`: stops a pending or running session (the runner sees the status between pages);
   * a finished session is SYNC_SESSION_FINISHED.
   */
  async cancel(workspaceId: string, id: string): Promise<SyncSessionView> {
    const current = await this.get(workspaceId, id);
    const updated = await this.#prisma.paymentSyncSession.updateMany({
      where: { id, workspaceId, status: { in: [...sourcesOf('cancel')] } },
      data: { status: targetOf('cancel'), finishedAt: new Date() },
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

  /** Locks a session row in `tx` before planning it; undefined when it does not exist. */
  async lockForPlan(id: string, tx: Tx): Promise<SessionToPlan | undefined> {
    const rows = await tx.$queryRaw<
      {
        status: SyncSessionStatus;
        entity_types: string[];
        workspace_id: string;
        provider: ProviderName;
        settings: Record<string, unknown> | null;
      }[]
    >`
      SELECT s.status, s.entity_types, s.workspace_id, s.provider::text AS provider, c.settings
        FROM payment_sync_sessions s
        LEFT JOIN workspace_payment_configurations c ON c.id = s.configuration_id
       WHERE s.id = ${id}::uuid
         FOR UPDATE OF s`;
    const row = rows[0];
    return row
      ? {
          status: row.status,
          workspaceId: row.workspace_id,
          entityTypes: row.entity_types,
          provider: row.provider,
          settings: row.settings ?? {},
        }
      : undefined;
  }

  /** `plan`: the sync-runner created the units (in `tx`); the session runs. */
  async markPlanned(id: string, tx: Tx): Promise<boolean> {
    const n = await tx.$executeRaw`
      UPDATE payment_sync_sessions
      SET status = ${targetOf('plan')}::sync_session_status,
          started_at = COALESCE(started_at, now()), updated_at = now(), last_progress_at = now()
      WHERE id = ${id}::uuid AND status = ANY(${[...sourcesOf('plan')]}::sync_session_status[])`;
    return n === 1;
  }

  /** `complete`: once every unit of the session is done. True for the one caller that did it. */
  async completeIfUnitsDone(id: string): Promise<boolean> {
    const n = await this.#prisma.$executeRaw`
      UPDATE payment_sync_sessions SET status = ${targetOf('complete')}::sync_session_status,
        finished_at = now(), updated_at = now(), last_progress_at = now()
      WHERE id = ${id}::uuid AND status = ANY(${[...sourcesOf('complete')]}::sync_session_status[])
        AND NOT EXISTS (SELECT 1 FROM sync_units WHERE session_id = ${id}::uuid AND status <> 'done')`;
    return n === 1;
  }

  /**
   * `resume` of a failed or cancelled session that has units (checkpoints to resume from): it
   * runs again, its error cleared. (A stalled running session stays running: only its units'
   * leases change.) False when there is nothing to reopen.
   */
  async reopen(id: string, tx: Tx): Promise<boolean> {
    const n = await tx.$executeRaw`
      UPDATE payment_sync_sessions SET status = ${targetOf('resume')}::sync_session_status,
        error = NULL, finished_at = NULL, updated_at = now(), last_progress_at = now()
      WHERE id = ${id}::uuid
        AND status = ANY(${REOPENABLE}::sync_session_status[])
        AND EXISTS (SELECT 1 FROM sync_units WHERE session_id = ${id}::uuid)`;
    return n === 1;
  }

  /** The session's status, read in `tx` (a unit's page checks it before its checkpoint). */
  async statusOf(id: string, tx?: DbOrTx): Promise<SyncSessionStatus | undefined> {
    const rows = await (tx ?? this.#prisma).$queryRaw<{ status: SyncSessionStatus }[]>`
      SELECT status FROM payment_sync_sessions WHERE id = ${id}::uuid`;
    return rows[0]?.status;
  }

  /** The connection a session syncs (no workspace check: for the sync-runner). */
  async connectionOf(
    id: string,
  ): Promise<{ configurationId: string | null; workspaceId: string } | undefined> {
    const rows = await this.#prisma.$queryRaw<
      { configuration_id: string | null; workspace_id: string }[]
    >`
      SELECT configuration_id, workspace_id FROM payment_sync_sessions WHERE id = ${id}::uuid`;
    const row = rows[0];
    return row
      ? { configurationId: row.configuration_id, workspaceId: row.workspace_id }
      : undefined;
  }

  /** Pending sessions nobody planned (their start command was lost or not consumed yet). */
  async unplanned(limit = 10): Promise<string[]> {
    const rows = await this.#prisma.$queryRaw<{ id: string }[]>`
      SELECT s.id FROM payment_sync_sessions s
      WHERE s.status = ANY(${[...sourcesOf('plan')]}::sync_session_status[])
        AND NOT EXISTS (SELECT 1 FROM sync_units u WHERE u.session_id = s.id)
      ORDER BY s.created_at LIMIT ${limit}`;
    return rows.map((r) => r.id);
  }

  /**
   * Sessions the recovery watchdog may resume on its own, oldest first (at most 50): running
   * without progress for `stalledAfterMs`, or failed with a retryable error code after a backoff
   * from the failure (or the last automatic resume) that doubles per automatic resume. Only on an
   * active connection, below the cap, and not restarted (no child).
   */
  async autoResumeCandidates(policy: AutoResumePolicy): Promise<AutoResumeCandidate[]> {
    const rows = await this.#prisma.$queryRaw<
      {
        id: string;
        workspace_id: string;
        configuration_id: string;
        provider: ProviderName;
        entity_types: string[];
        status: 'running' | 'failed';
        auto_resumes: number;
      }[]
    >`
      SELECT s.id, s.workspace_id, s.configuration_id, s.provider::text AS provider, s.entity_types,
             s.status::text AS status, s.auto_resumes
        FROM payment_sync_sessions s
        JOIN workspace_payment_configurations c ON c.id = s.configuration_id AND c.is_active
       WHERE s.auto_resumes < ${policy.maxAutoResumes}
         AND NOT EXISTS (SELECT 1 FROM payment_sync_sessions ch WHERE ch.parent_session_id = s.id)
         AND ((s.status = 'running' AND GREATEST(
                 (SELECT max(u.updated_at) FROM sync_units u WHERE u.session_id = s.id),
                 s.last_progress_at, s.created_at)
               < now() - (${policy.stalledAfterMs}::int * interval '1 millisecond'))
           OR (s.status = 'failed' AND s.error->>'code' = ANY(${[...policy.retryableCodes]}::text[])
               AND GREATEST(s.finished_at, s.last_progress_at) < now() - (${policy.resumeDelayMs}::bigint * power(2, s.auto_resumes)
                   * interval '1 millisecond')))
       ORDER BY s.created_at
       LIMIT 50`;
    return rows.map((r) => ({
      id: r.id,
      workspaceId: r.workspace_id,
      configurationId: r.configuration_id,
      provider: r.provider,
      entityTypes: r.entity_types as EntityType[],
      status: r.status,
      autoResumes: r.auto_resumes,
    }));
  }

  /**
   * Counts one automatic resume of a candidate (compare-and-set on the count and status it was
   * seen with), so two recovery replicas never resume the same session twice for one stall. The
   * status is left to the sync-runner's `resume`.
   */
  async claimAutoResume(candidate: AutoResumeCandidate): Promise<boolean> {
    const n = await this.#prisma.$executeRaw`
      UPDATE payment_sync_sessions SET auto_resumes = auto_resumes + 1, last_progress_at = now()
       WHERE id = ${candidate.id}::uuid AND auto_resumes = ${candidate.autoResumes}
         AND status = ${candidate.status}::sync_session_status`;
    return n === 1;
  }
}

/** `resume` reopens these; a running (stalled) session keeps its status. */
const REOPENABLE = sourcesOf('resume').filter((s) => s !== targetOf('resume'));

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
  /** Each unit's `failed_records` (non-empty ones only), null when none. */
  failed_records: { id: string; reason: string }[][] | null;
}

/** Failed records a session's progress lists per entity type. */
const MAX_FAILED_RECORDS = 50;

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
