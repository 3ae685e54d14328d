import type { ProviderName } from '@paysync/contracts';
import { isUuid, type Db, type SyncWriteRepository, type TenantScope } from '@paysync/db';
import { NotFoundError } from '@paysync/errors';

export type EventStatus =
  'received' | 'processed' | 'skipped_duplicate' | 'skipped_stale' | 'ignored' | 'failed' | 'dead';

export interface EventFilter {
  readonly status?: EventStatus | undefined;
  /** Any of these statuses (the failed view: failed + dead). */
  readonly statuses?: readonly EventStatus[] | undefined;
  readonly errorClass?: string | undefined;
  readonly type?: string | undefined;
  readonly provider?: ProviderName | undefined;
  readonly source?: 'webhook' | 'backfill' | 'reconcile' | 'replay' | undefined;
  readonly objectId?: string | undefined;
  readonly receivedFrom?: Date | undefined;
  readonly receivedTo?: Date | undefined;
  /** Keyset: events strictly older than this (receivedAt desc, id desc). */
  readonly before?: { readonly receivedAt: Date; readonly id: string } | undefined;
  readonly limit: number;
}

export interface EventSummary {
  readonly id: string;
  readonly provider: ProviderName;
  readonly providerEventId: string;
  readonly type: string;
  readonly status: EventStatus;
  readonly source: string;
  readonly objectType: string | null;
  readonly objectId: string | null;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly errorClass: string | null;
  readonly providerCreatedAt: Date | null;
  readonly receivedAt: Date;
  readonly processedAt: Date | null;
}

export interface EventDetail extends EventSummary {
  readonly payload?: unknown;
}

export interface DeadLetterStats {
  readonly dead: number;
  readonly failed: number;
  readonly oldestDeadReceivedAt: Date | null;
  readonly byErrorClass: { errorClass: string; count: number }[];
  readonly byEventType: { type: string; count: number }[];
  readonly autoRetry: { waiting: number; redriven: number; resolved: number; exhausted: number };
}

/** Which events a replay takes: by ids, by filter, or both. */
export interface ReplaySelection {
  readonly eventIds?: readonly string[] | undefined;
  readonly status?: EventStatus | undefined;
  /** Left out unless `status` names one of them (settled events of a stored replay). */
  readonly excludeStatuses?: readonly EventStatus[] | undefined;
  readonly type?: string | undefined;
  readonly provider?: ProviderName | undefined;
  readonly objectId?: string | undefined;
  readonly receivedFrom?: Date | undefined;
  readonly receivedTo?: Date | undefined;
  readonly limit: number;
}

/** A stored event as a replay selects it: everything but its payload, and the payload's size. */
export interface ReplayCandidate extends Omit<StoredEvent, 'payload'> {
  /** Bytes of the stored payload (as JSON text), so a replay can load payloads in bounded chunks. */
  readonly payloadBytes: number;
}

/** A stored event with what a replay needs to send it again. */
interface StoredEvent {
  readonly id: string;
  readonly workspaceId: string;
  readonly provider: ProviderName;
  /** The connection the event came through; null on events stored before it was recorded. */
  readonly connectionId: string | null;
  readonly providerEventId: string;
  readonly eventType: string;
  readonly status: EventStatus;
  readonly objectType: string | null;
  readonly objectId: string | null;
  readonly payload: unknown;
  readonly providerCreatedAt: Date | null;
  readonly receivedAt: Date;
}

export interface EventLogRepositoryDeps {
  readonly tenantScope: TenantScope;
  readonly prisma: Db;
  readonly syncWriteRepository: SyncWriteRepository;
}

/**
 * The event log (`payment_sync_events`) as a workspace sees it: listings read under row-level
 * security. Replay's selection and its reopening of settled events filter by workspace explicitly.
 * It writes nothing itself: the table's one writer is `SyncWriteRepository` (libs/db).
 */
export class EventLogRepository {
  readonly #tenantScope: TenantScope;
  readonly #prisma: Db;
  readonly #writer: SyncWriteRepository;

  constructor({ tenantScope, prisma, syncWriteRepository }: EventLogRepositoryDeps) {
    this.#tenantScope = tenantScope;
    this.#prisma = prisma;
    this.#writer = syncWriteRepository;
  }

  async list(workspaceId: string, f: EventFilter): Promise<EventSummary[]> {
    return this.#tenantScope.run(workspaceId, async (tx) => {
      const rows = await tx.paymentSyncEvent.findMany({
        where: {
          workspaceId,
          ...(f.status && { status: f.status }),
          ...(!f.status && f.statuses && { status: { in: [...f.statuses] } }),
          ...(f.errorClass && { errorClass: f.errorClass }),
          ...(f.type && { eventType: f.type }),
          ...(f.provider && { provider: f.provider }),
          ...(f.source && { source: f.source }),
          ...(f.objectId && { objectId: f.objectId }),
          ...((f.receivedFrom ?? f.receivedTo) && {
            receivedAt: {
              ...(f.receivedFrom && { gte: f.receivedFrom }),
              ...(f.receivedTo && { lt: f.receivedTo }),
            },
          }),
          ...(f.before && {
            OR: [
              { receivedAt: { lt: f.before.receivedAt } },
              { receivedAt: f.before.receivedAt, id: { lt: f.before.id } },
            ],
          }),
        },
        omit: { payload: true },
        orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
        take: f.limit,
      });
      return rows.map(toSummary);
    });
  }

  /**
   * Dead letters as the event log records them (the processor marks an event `dead` when it sends
   * it to the DLQ topic): how many, how old the oldest is, and counts by error class and event
   * type; `failed` events are still in the retry tiers.
   */
  async deadLetterStats(workspaceId: string): Promise<DeadLetterStats> {
    return this.#tenantScope.run(workspaceId, async (tx) => {
      const [totals] = await tx.$queryRaw<
        { dead: number; failed: number; oldest: Date | null }[]
      >`SELECT (count(*) FILTER (WHERE status = 'dead'))::int AS dead,
               (count(*) FILTER (WHERE status = 'failed'))::int AS failed,
               min(received_at) FILTER (WHERE status = 'dead') AS oldest
          FROM payment_sync_events
         WHERE workspace_id = ${workspaceId}::uuid AND status IN ('dead', 'failed')`;
      const byClass = await tx.$queryRaw<{ error_class: string | null; n: number }[]>`
        SELECT error_class, count(*)::int AS n FROM payment_sync_events
         WHERE workspace_id = ${workspaceId}::uuid AND status = 'dead'
         GROUP BY error_class ORDER BY n DESC, error_class LIMIT 50`;
      const byType = await tx.$queryRaw<{ event_type: string; n: number }[]>`
        SELECT event_type, count(*)::int AS n FROM payment_sync_events
         WHERE workspace_id = ${workspaceId}::uuid AND status = 'dead'
         GROUP BY event_type ORDER BY n DESC, event_type LIMIT 50`;
      // The recovery service's re-drives of this workspace's dead letters (not a tenant table:
      // read with the explicit workspace filter).
      const redrives = await this.#prisma.$queryRaw<
        { status: string; retryable: boolean; n: number }[]
      >`
        SELECT status, retryable, count(*)::int AS n FROM dead_letters
         WHERE workspace_id = ${workspaceId}::uuid GROUP BY status, retryable`;
      const count = (pred: (r: { status: string; retryable: boolean }) => boolean) =>
        redrives.filter(pred).reduce((n, r) => n + r.n, 0);
      return {
        dead: totals?.dead ?? 0,
        failed: totals?.failed ?? 0,
        autoRetry: {
          waiting: count((r) => r.status === 'waiting'),
          redriven: count((r) => r.status === 'redriven'),
          resolved: count((r) => r.status === 'resolved'),
          exhausted: count((r) => r.status === 'dead' && r.retryable),
        },
        oldestDeadReceivedAt: totals?.oldest ?? null,
        byErrorClass: byClass.map((r) => ({ errorClass: r.error_class ?? 'unknown', count: r.n })),
        byEventType: byType.map((r) => ({ type: r.event_type, count: r.n })),
      };
    });
  }

  async get(workspaceId: string, id: string, includePayload: boolean): Promise<EventDetail> {
    return this.#tenantScope.run(workspaceId, async (tx) => {
      const row = isUuid(id)
        ? await tx.paymentSyncEvent.findFirst({ where: { id, workspaceId } })
        : null;
      if (!row) throw new NotFoundError('NOT_FOUND', 'Event not found', { eventId: id });
      return { ...toSummary(row), ...(includePayload && { payload: row.payload }) };
    });
  }

  /**
   * The workspace's events a replay selects, oldest first, at most `limit`: without their
   * payloads (`loadPayloads` reads those chunk by chunk), with each payload's size.
   */
  async findForReplay(workspaceId: string, s: ReplaySelection): Promise<ReplayCandidate[]> {
    const events = await this.#prisma.paymentSyncEvent.findMany({
      where: {
        workspaceId,
        ...(s.eventIds?.length && { id: { in: [...s.eventIds] } }),
        ...(s.status && { status: s.status }),
        ...(!s.status && s.excludeStatuses && { status: { notIn: [...s.excludeStatuses] } }),
        ...(s.type && { eventType: s.type }),
        ...(s.provider && { provider: s.provider }),
        ...(s.objectId && { objectId: s.objectId }),
        ...((s.receivedFrom ?? s.receivedTo) && {
          receivedAt: {
            ...(s.receivedFrom && { gte: s.receivedFrom }),
            ...(s.receivedTo && { lt: s.receivedTo }),
          },
        }),
      },
      select: {
        id: true,
        workspaceId: true,
        provider: true,
        connectionId: true,
        providerEventId: true,
        eventType: true,
        status: true,
        objectType: true,
        objectId: true,
        providerCreatedAt: true,
        receivedAt: true,
      },
      orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }],
      take: s.limit,
    });
    if (events.length === 0) return [];
    const sizes = await this.#prisma.$queryRaw<{ id: string; bytes: number }[]>`
      SELECT id::text AS id, COALESCE(octet_length(payload::text), 0)::int AS bytes
        FROM payment_sync_events
       WHERE workspace_id = ${workspaceId}::uuid AND id = ANY(${events.map((e) => e.id)}::uuid[])`;
    const bytes = new Map(sizes.map((r) => [r.id, r.bytes]));
    return events.map((e) => ({ ...e, payloadBytes: bytes.get(e.id) ?? 0 }));
  }

  /** The stored payloads of these events of the workspace, by event id. */
  async loadPayloads(workspaceId: string, ids: readonly string[]): Promise<Map<string, unknown>> {
    if (ids.length === 0) return new Map();
    const rows = await this.#prisma.paymentSyncEvent.findMany({
      where: { workspaceId, id: { in: [...ids] } },
      select: { id: true, payload: true },
    });
    return new Map(rows.map((r) => [r.id, r.payload]));
  }

  /**
   * Marks settled events `received` again before a forced replay sends them, so the processor
   * applies them instead of skipping them as duplicates (written by `SyncWriteRepository`).
   */
  async reopenForReplay(workspaceId: string, ids: readonly string[]): Promise<void> {
    await this.#writer.reopenForReplay(workspaceId, ids);
  }

  /**
   * Puts reopened events whose replay send failed back to the status they had (those still
   * `received`; written by `SyncWriteRepository`).
   */
  async restoreAfterFailedReplay(
    workspaceId: string,
    events: readonly { readonly id: string; readonly status: EventStatus }[],
  ): Promise<void> {
    await this.#writer.restoreAfterFailedReplay(workspaceId, events);
  }
}

function toSummary(row: {
  id: string;
  provider: ProviderName;
  providerEventId: string;
  eventType: string;
  status: EventStatus;
  source: string;
  objectType: string | null;
  objectId: string | null;
  attempts: number;
  lastError: string | null;
  errorClass: string | null;
  providerCreatedAt: Date | null;
  receivedAt: Date;
  processedAt: Date | null;
}): EventSummary {
  return {
    id: row.id,
    provider: row.provider,
    providerEventId: row.providerEventId,
    type: row.eventType,
    status: row.status,
    source: row.source,
    objectType: row.objectType,
    objectId: row.objectId,
    attempts: row.attempts,
    lastError: row.lastError,
    errorClass: row.errorClass,
    providerCreatedAt: row.providerCreatedAt,
    receivedAt: row.receivedAt,
    processedAt: row.processedAt,
  };
}
