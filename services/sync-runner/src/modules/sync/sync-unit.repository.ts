import type { EntityType } from '@paysync/contracts';
import type { Db, Tx } from '@paysync/db';

/** Entity types a unit waits for (DESIGN: products before prices before subscriptions; customers first). */
export const DEPENDS_ON: Readonly<Record<EntityType, readonly EntityType[]>> = {
  customer: [],
  product: [],
  price: ['product'],
  subscription: ['customer', 'product', 'price'],
  invoice: ['customer', 'subscription'],
  payment_transaction: ['customer', 'invoice'],
};

export interface ClaimedUnit {
  readonly id: string;
  readonly sessionId: string;
  readonly workspaceId: string;
  readonly entityType: EntityType;
  readonly segment: number;
  readonly createdGte: number | null;
  readonly createdLt: number | null;
  readonly splittable: boolean;
  readonly cursor: string | null;
  readonly attempts: number;
}

export interface PageCheckpoint {
  readonly cursor: string | null;
  readonly done: boolean;
  readonly fetched: number;
  readonly written: number;
  readonly skipped: number;
  readonly requests: number;
  readonly throttles: number;
}

export class LeaseLostError extends Error {}
export class SessionNotRunningError extends Error {}

interface UnitRow {
  id: string;
  session_id: string;
  workspace_id: string;
  entity_type: EntityType;
  segment: number;
  created_gte: bigint | null;
  created_lt: bigint | null;
  splittable: boolean;
  cursor: string | null;
  attempts: number;
}

const toUnit = (r: UnitRow): ClaimedUnit => ({
  id: r.id,
  sessionId: r.session_id,
  workspaceId: r.workspace_id,
  entityType: r.entity_type,
  segment: r.segment,
  createdGte: r.created_gte === null ? null : Number(r.created_gte),
  createdLt: r.created_lt === null ? null : Number(r.created_lt),
  splittable: r.splittable,
  cursor: r.cursor,
  attempts: r.attempts,
});

const DEPS_SQL = `CASE u.entity_type ${Object.entries(DEPENDS_ON)
  .filter(([, deps]) => deps.length > 0)
  .map(([t, deps]) => `WHEN '${t}' THEN ARRAY[${deps.map((d) => `'${d}'`).join(',')}]`)
  .join(' ')} ELSE ARRAY[]::text[] END`;

/**
 * Sync units (`sync_units`): the session's work split by entity type and created-time segment.
 * Claims are atomic (`FOR UPDATE SKIP LOCKED`) and leased; the session with the fewest running
 * units goes first, so one big sync cannot starve the others.
 */
export class SyncUnitRepository {
  readonly #prisma: Db;

  constructor({ prisma }: { prisma: Db }) {
    this.#prisma = prisma;
  }

  /** Creates a pending session's units and marks it running (idempotent). */
  async plan(sessionId: string): Promise<boolean> {
    return this.#prisma.$transaction(async (tx) => {
      const sessions = await tx.$queryRaw<
        { status: string; entity_types: string[]; workspace_id: string }[]
      >`
        SELECT status, entity_types, workspace_id FROM payment_sync_sessions WHERE id = ${sessionId}::uuid FOR UPDATE`;
      const session = sessions[0];
      if (!session || session.status !== 'pending') return false;
      for (const entityType of session.entity_types) {
        await tx.$executeRaw`
          INSERT INTO sync_units (session_id, workspace_id, entity_type, segment)
          VALUES (${sessionId}::uuid, ${session.workspace_id}::uuid, ${entityType}, 0)
          ON CONFLICT (session_id, entity_type, segment) DO NOTHING`;
      }
      await tx.$executeRaw`
        UPDATE payment_sync_sessions
        SET status = 'running', started_at = COALESCE(started_at, now()), updated_at = now(),
            last_progress_at = now()
        WHERE id = ${sessionId}::uuid`;
      return true;
    });
  }

  /** Pending sessions nobody planned (their start command was lost or not consumed yet). */
  async unplannedSessions(limit = 10): Promise<string[]> {
    const rows = await this.#prisma.$queryRaw<{ id: string }[]>`
      SELECT s.id FROM payment_sync_sessions s
      WHERE s.status = 'pending' AND NOT EXISTS (SELECT 1 FROM sync_units u WHERE u.session_id = s.id)
      ORDER BY s.created_at LIMIT ${limit}`;
    return rows.map((r) => r.id);
  }

  async claim(owner: string, leaseMs: number): Promise<ClaimedUnit | undefined> {
    const rows = await this.#prisma.$queryRawUnsafe<UnitRow[]>(
      `WITH candidate AS (
         SELECT u.id FROM sync_units u
         JOIN payment_sync_sessions s ON s.id = u.session_id AND s.status = 'running'
         WHERE (
             (u.status = 'pending' AND (u.lease_expires_at IS NULL OR u.lease_expires_at < now()))
             OR (u.status = 'running' AND u.lease_expires_at < now())
           )
           AND NOT EXISTS (
             SELECT 1 FROM sync_units d
             WHERE d.session_id = u.session_id AND d.status <> 'done'
               AND d.entity_type = ANY(${DEPS_SQL}))
         ORDER BY
           (SELECT count(*) FROM sync_units r
             WHERE r.session_id = u.session_id AND r.status = 'running' AND r.lease_expires_at >= now()),
           s.created_at, u.segment
         LIMIT 1
         FOR UPDATE OF u SKIP LOCKED)
       UPDATE sync_units SET status = 'running', lease_owner = $1,
         lease_expires_at = now() + ($2::int * interval '1 millisecond'),
         attempts = attempts + 1, started_at = COALESCE(started_at, now()), updated_at = now()
       FROM candidate WHERE sync_units.id = candidate.id
       RETURNING sync_units.id, sync_units.session_id, sync_units.workspace_id, sync_units.entity_type,
         sync_units.segment, sync_units.created_gte, sync_units.created_lt, sync_units.splittable,
         sync_units.cursor, sync_units.attempts`,
      owner,
      leaseMs,
    );
    return rows[0] ? toUnit(rows[0]) : undefined;
  }

  /**
   * Commits one page's checkpoint inside the page's own transaction (`tx`, which also wrote the
   * rows): nothing is saved if the lease was lost or the session stopped running.
   */
  async checkpoint(
    tx: Tx,
    unit: ClaimedUnit,
    owner: string,
    leaseMs: number,
    page: PageCheckpoint,
  ): Promise<void> {
    const session = await tx.$queryRaw<{ status: string }[]>`
      SELECT status FROM payment_sync_sessions WHERE id = ${unit.sessionId}::uuid`;
    if (session[0]?.status !== 'running') throw new SessionNotRunningError(session[0]?.status);
    const updated = await tx.$executeRaw`
      UPDATE sync_units SET
        cursor = ${page.cursor},
        fetched = fetched + ${page.fetched}, written = written + ${page.written},
        skipped = skipped + ${page.skipped}, pages = pages + 1,
        requests = requests + ${page.requests}, throttles = throttles + ${page.throttles},
        lease_expires_at = now() + (${leaseMs}::int * interval '1 millisecond'),
        status = CASE WHEN ${page.done} THEN 'done'::sync_unit_status ELSE status END,
        finished_at = CASE WHEN ${page.done} THEN now() ELSE finished_at END,
        updated_at = now()
      WHERE id = ${unit.id}::uuid AND lease_owner = ${owner} AND status = 'running'`;
    if (updated !== 1) throw new LeaseLostError(unit.id);
  }

  /** Replaces a whole-entity unit by created-time segments (the first keeps this unit's row). */
  async split(
    unit: ClaimedUnit,
    owner: string,
    ranges: readonly { gte: number | null; lt: number | null }[],
    requests: number,
  ): Promise<ClaimedUnit> {
    const [first, ...rest] = ranges;
    if (!first) throw new Error('split needs at least one range');
    return this.#prisma.$transaction(async (tx) => {
      const updated = await tx.$executeRaw`
        UPDATE sync_units SET created_gte = ${first.gte}, created_lt = ${first.lt},
          splittable = false, cursor = NULL, requests = requests + ${requests}, updated_at = now()
        WHERE id = ${unit.id}::uuid AND lease_owner = ${owner} AND status = 'running'`;
      if (updated !== 1) throw new LeaseLostError(unit.id);
      let segment = unit.segment;
      for (const range of rest) {
        segment++;
        await tx.$executeRaw`
          INSERT INTO sync_units (session_id, workspace_id, entity_type, segment, created_gte, created_lt, splittable)
          VALUES (${unit.sessionId}::uuid, ${unit.workspaceId}::uuid, ${unit.entityType}, ${segment},
                  ${range.gte}, ${range.lt}, false)
          ON CONFLICT (session_id, entity_type, segment) DO NOTHING`;
      }
      return {
        ...unit,
        createdGte: first.gte,
        createdLt: first.lt,
        splittable: false,
        cursor: null,
      };
    });
  }

  /** Gives a unit back (shutdown, session stopped, transient failure) to be claimed later. */
  async release(unit: ClaimedUnit, owner: string, opts: { delayMs?: number; error?: string } = {}) {
    await this.#prisma.$executeRaw`
      UPDATE sync_units SET status = 'pending', lease_owner = NULL,
        lease_expires_at = ${opts.delayMs ? new Date(Date.now() + opts.delayMs) : null},
        last_error = COALESCE(${opts.error ?? null}, last_error), updated_at = now()
      WHERE id = ${unit.id}::uuid AND lease_owner = ${owner} AND status = 'running'`;
  }

  /** A permanent failure: the unit and its session end `failed` with the error. */
  async fail(unit: ClaimedUnit, error: { code: string; message: string }): Promise<void> {
    await this.#prisma.$transaction(async (tx) => {
      await tx.$executeRaw`
        UPDATE sync_units SET status = 'failed', last_error = ${error.message}, lease_owner = NULL,
          lease_expires_at = NULL, finished_at = now(), updated_at = now()
        WHERE id = ${unit.id}::uuid`;
      await tx.$executeRaw`
        UPDATE payment_sync_sessions SET status = 'failed', finished_at = now(), updated_at = now(),
          error = ${JSON.stringify({ ...error, entityType: unit.entityType, segment: unit.segment })}::jsonb
        WHERE id = ${unit.sessionId}::uuid AND status = 'running'`;
    });
  }

  /** Completes the session once every unit is done. */
  async completeIfDone(sessionId: string): Promise<boolean> {
    const n = await this.#prisma.$executeRaw`
      UPDATE payment_sync_sessions SET status = 'completed', finished_at = now(), updated_at = now(),
        last_progress_at = now()
      WHERE id = ${sessionId}::uuid AND status = 'running'
        AND NOT EXISTS (SELECT 1 FROM sync_units WHERE session_id = ${sessionId}::uuid AND status <> 'done')`;
    return n === 1;
  }

  /**
   * Resumes a session from its checkpoints. A failed or cancelled one goes back to running:
   * unfinished units return to pending with their cursors, done units stay done. A running one
   * (stalled: the recovery service found no progress) gets its units with expired leases back
   * now, whoever held them. False when there is nothing to resume.
   */
  async resume(sessionId: string): Promise<boolean> {
    return this.#prisma.$transaction(async (tx) => {
      const stalled = await tx.$executeRaw`
        UPDATE sync_units SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,
          updated_at = now()
        WHERE session_id = ${sessionId}::uuid AND status = 'running' AND lease_expires_at < now()
          AND EXISTS (SELECT 1 FROM payment_sync_sessions s
                      WHERE s.id = ${sessionId}::uuid AND s.status = 'running')`;
      if (stalled > 0) return true;
      const n = await tx.$executeRaw`
        UPDATE payment_sync_sessions SET status = 'running', error = NULL, finished_at = NULL,
          updated_at = now(), last_progress_at = now()
        WHERE id = ${sessionId}::uuid AND status IN ('failed', 'cancelled')
          AND EXISTS (SELECT 1 FROM sync_units WHERE session_id = ${sessionId}::uuid)`;
      if (n !== 1) return false;
      await tx.$executeRaw`
        UPDATE sync_units SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,
          attempts = 0, updated_at = now()
        WHERE session_id = ${sessionId}::uuid AND status <> 'done'`;
      return true;
    });
  }

  async sessionConnection(
    sessionId: string,
  ): Promise<{ configurationId: string | null; workspaceId: string } | undefined> {
    const rows = await this.#prisma.$queryRaw<
      { configuration_id: string | null; workspace_id: string }[]
    >`
      SELECT configuration_id, workspace_id FROM payment_sync_sessions WHERE id = ${sessionId}::uuid`;
    const row = rows[0];
    return row
      ? { configurationId: row.configuration_id, workspaceId: row.workspace_id }
      : undefined;
  }
}
