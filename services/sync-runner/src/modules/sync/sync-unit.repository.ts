import { randomUUID } from 'node:crypto';

import type { CanonicalChange, EntityType } from '@paysync/contracts';
import {
  canTransition,
  type Db,
  type SyncSessionRepository,
  type SyncWriteRepository,
  type Tx,
} from '@paysync/db';
import { registeredAdapter } from '@paysync/providers';

import { CONNECTED_ACCOUNTS_UNIT } from './connect-accounts.js';

/** Entity types a unit waits for (DESIGN: products before prices before subscriptions; customers first). */
const DEPENDS_ON: Readonly<Record<EntityType, readonly EntityType[]>> = {
  customer: [],
  product: [],
  price: ['product'],
  subscription: ['customer', 'product', 'price'],
  invoice: ['customer', 'subscription'],
  payment_transaction: ['customer', 'invoice'],
  refund: ['payment_transaction'],
  dispute: ['payment_transaction'],
  credit_note: ['invoice'],
  coupon: [],
  promotion_code: ['coupon'],
  discount: ['coupon', 'customer', 'subscription'],
  payment_method: ['customer'],
  subscription_item: ['subscription'],
  subscription_schedule: ['customer', 'subscription'],
  invoice_line_item: ['invoice'],
  tax_id: ['customer'],
  checkout_session: ['customer', 'subscription'],
  payout: [],
  balance_transaction: [],
  early_fraud_warning: ['payment_transaction'],
  review: ['payment_transaction'],
  setup_intent: ['customer'],
};

export interface ClaimedUnit {
  readonly id: string;
  readonly sessionId: string;
  readonly workspaceId: string;
  /**
   * An entity type, or CONNECTED_ACCOUNTS_UNIT: the unit that lists a Connect platform's
   * connected accounts and plans their units (connect-accounts.ts).
   */
  readonly entityType: EntityType;
  /** Stripe Connect: the connected account this unit lists (`Stripe-Account`); null: the connection's own. */
  readonly providerAccountId: string | null;
  readonly segment: number;
  readonly createdGte: number | null;
  readonly createdLt: number | null;
  readonly splittable: boolean;
  readonly cursor: string | null;
  readonly attempts: number;
  /**
   * This claim's lease token: every later change of the unit (renewal, checkpoint, split,
   * release, failure) must present it, so a worker whose lease expired and was taken over by
   * another claim (another worker of the same replica included) can change nothing.
   */
  readonly leaseToken: string;
}

/** A record the write path refused, as listed on its unit (`failed_records`). */
export interface FailedRecord {
  readonly id: string;
  readonly reason: string;
}

/** Failed records kept per unit (the count in `failed` goes on). */
const MAX_FAILED_RECORDS = 50;

export interface PageCheckpoint {
  readonly cursor: string | null;
  readonly done: boolean;
  readonly fetched: number;
  readonly written: number;
  readonly skipped: number;
  readonly failed: readonly FailedRecord[];
  readonly requests: number;
  readonly throttles: number;
}

/** What a unit change whose lease had passed to another claim was refused for. */
export type LeaseOperation = 'renew' | 'checkpoint' | 'split' | 'release' | 'fail';

/** The unit's lease belongs to another claim now: the change was refused, nothing applied. */
export class LeaseLostError extends Error {
  readonly unitId: string;
  readonly operation: LeaseOperation;

  constructor(unitId: string, operation: LeaseOperation) {
    super(`lease of sync unit ${unitId} lost (${operation} refused)`);
    this.unitId = unitId;
    this.operation = operation;
  }
}
export class SessionNotRunningError extends Error {}

interface UnitRow {
  id: string;
  session_id: string;
  workspace_id: string;
  entity_type: EntityType;
  provider_account_id: string;
  segment: number;
  created_gte: bigint | null;
  created_lt: bigint | null;
  splittable: boolean;
  cursor: string | null;
  attempts: number;
  lease_token: string;
}

const toUnit = (r: UnitRow): ClaimedUnit => ({
  id: r.id,
  sessionId: r.session_id,
  workspaceId: r.workspace_id,
  entityType: r.entity_type,
  providerAccountId: r.provider_account_id === '' ? null : r.provider_account_id,
  segment: r.segment,
  createdGte: r.created_gte === null ? null : Number(r.created_gte),
  createdLt: r.created_lt === null ? null : Number(r.created_lt),
  splittable: r.splittable,
  cursor: r.cursor,
  attempts: r.attempts,
  leaseToken: r.lease_token,
});

const DEPS_SQL = `CASE u.entity_type ${Object.entries(DEPENDS_ON)
  .filter(([, deps]) => deps.length > 0)
  .map(([t, deps]) => `WHEN '${t}' THEN ARRAY[${deps.map((d) => `'${d}'`).join(',')}]`)
  .join(' ')} ELSE ARRAY[]::text[] END`;

export interface SyncUnitRepositoryDeps {
  readonly prisma: Db;
  readonly syncSessionRepository: SyncSessionRepository;
  readonly syncWriteRepository: SyncWriteRepository;
}

/** One listed page: its changes and what fetching it cost. */
export interface ListedPage {
  readonly changes: readonly CanonicalChange[];
  /** The next page's cursor; null when this was the last page. */
  readonly nextCursor: string | null;
  readonly requests: number;
  readonly throttles: number;
}

/**
 * Sync units (`sync_units`, this repository is their one writer): the session's work split by
 * entity type and created-time segment. Claims are atomic (`FOR UPDATE SKIP LOCKED`) and leased;
 * the session with the fewest running units goes first, so one big sync cannot starve the
 * others. Each claim gets a lease token of its own; renewals, checkpoints, splits, releases and
 * failures change the unit only while it still holds that token (else LeaseLostError, nothing
 * applied), so a worker that stalled past its lease cannot overwrite its successor's work. Session status changes that go with a unit's (planned, failed, resumed) are made by
 * the SyncSessionRepository in the same transaction.
 */
export class SyncUnitRepository {
  readonly #prisma: Db;
  readonly #sessions: SyncSessionRepository;
  readonly #writes: SyncWriteRepository;

  constructor({ prisma, syncSessionRepository, syncWriteRepository }: SyncUnitRepositoryDeps) {
    this.#prisma = prisma;
    this.#sessions = syncSessionRepository;
    this.#writes = syncWriteRepository;
  }

  /** Creates a pending session's units and marks it running (idempotent). */
  async plan(sessionId: string): Promise<boolean> {
    return this.#prisma.$transaction(async (tx) => {
      const session = await this.#sessions.lockForPlan(sessionId, tx);
      if (!session || !canTransition(session.status, 'plan')) return false;
      for (const entityType of session.entityTypes) {
        await tx.$executeRaw`
          INSERT INTO sync_units (session_id, workspace_id, entity_type, segment)
          VALUES (${sessionId}::uuid, ${session.workspaceId}::uuid, ${entityType}, 0)
          ON CONFLICT (session_id, provider_account_id, entity_type, segment) DO NOTHING`;
      }
      // A connection that syncs the accounts under it (Stripe Connect, as its adapter says): one
      // more unit lists those accounts and plans each one's units (connect-accounts.ts).
      if (registeredAdapter(session.provider)?.syncsSubAccounts(session.settings)) {
        await tx.$executeRaw`
          INSERT INTO sync_units (session_id, workspace_id, entity_type, segment, splittable)
          VALUES (${sessionId}::uuid, ${session.workspaceId}::uuid, ${CONNECTED_ACCOUNTS_UNIT}, 0, false)
          ON CONFLICT (session_id, provider_account_id, entity_type, segment) DO NOTHING`;
      }
      return this.#sessions.markPlanned(sessionId, tx);
    });
  }

  /** Claims the fairest claimable unit for `owner` (a worker), with a fresh lease token. */
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
             WHERE d.session_id = u.session_id AND d.provider_account_id = u.provider_account_id
               AND d.status <> 'done' AND d.entity_type = ANY(${DEPS_SQL}))
         ORDER BY
           (SELECT count(*) FROM sync_units r
             WHERE r.session_id = u.session_id AND r.status = 'running' AND r.lease_expires_at >= now()),
           -- Stripe Connect: fair across a session's accounts (the one with the fewest running,
           -- then the fewest finished units first), not one account after another.
           (SELECT count(*) FILTER (WHERE a.status = 'running' AND a.lease_expires_at >= now()) * 1000000
                   + count(*) FILTER (WHERE a.status = 'done')
              FROM sync_units a
             WHERE a.session_id = u.session_id AND a.provider_account_id = u.provider_account_id),
           s.created_at, u.segment
         LIMIT 1
         FOR UPDATE OF u SKIP LOCKED)
       UPDATE sync_units SET status = 'running', lease_owner = $1, lease_token = $3::uuid,
         lease_expires_at = now() + ($2::int * interval '1 millisecond'),
         attempts = attempts + 1, started_at = COALESCE(started_at, now()), updated_at = now()
       FROM candidate WHERE sync_units.id = candidate.id
       RETURNING sync_units.id, sync_units.session_id, sync_units.workspace_id, sync_units.entity_type,
         sync_units.provider_account_id, sync_units.segment, sync_units.created_gte, sync_units.created_lt, sync_units.splittable,
         sync_units.cursor, sync_units.attempts, sync_units.lease_token::text AS lease_token`,
      owner,
      leaseMs,
      randomUUID(),
    );
    return rows[0] ? toUnit(rows[0]) : undefined;
  }

  /**
   * Extends the lease of a unit this claim still holds (a long provider call or write), without
   * counting as progress. False when the lease has passed to another claim.
   */
  async renew(unit: ClaimedUnit, leaseMs: number): Promise<boolean> {
    const n = await this.#prisma.$executeRaw`
      UPDATE sync_units SET lease_expires_at = now() + (${leaseMs}::int * interval '1 millisecond')
      WHERE id = ${unit.id}::uuid AND lease_token = ${unit.leaseToken}::uuid AND status = 'running'`;
    return n === 1;
  }

  /**
   * Writes one page through the shared version-gated write path and commits the unit's checkpoint
   * in the same transaction: nothing is saved if the lease was lost or the session stopped
   * running. A record the database refuses (after the write path's storable-text policy) does
   * not fail the page: it is counted in `failed` and listed in `failed_records` (the first
   * MAX_FAILED_RECORDS, id and reason). Returns how many changes were applied and which failed.
   */
  async commitPage(
    unit: ClaimedUnit,
    leaseMs: number,
    page: ListedPage,
  ): Promise<{ written: number; failed: FailedRecord[] }> {
    return this.#prisma.$transaction(async (tx) => {
      const applied = page.changes.length
        ? await this.#writes.applyChanges(page.changes, { tx, isolateFailures: true })
        : { outcomes: [], failures: [] };
      const written = applied.outcomes.filter((o) => o === 'applied').length;
      const failed = applied.failures.map((f) => ({ id: f.externalId, reason: f.reason }));
      await this.#checkpoint(tx, unit, leaseMs, {
        cursor: page.nextCursor,
        done: page.nextCursor === null,
        fetched: page.changes.length,
        written,
        skipped: page.changes.length - written - failed.length,
        failed,
        requests: page.requests,
        throttles: page.throttles,
      });
      return { written, failed };
    });
  }

  /**
   * Stripe Connect: one page of a platform's connected accounts (the CONNECTED_ACCOUNTS_UNIT):
   * each account gets a unit per entity type of the session (whole, splittable, claimable at once)
   * and the unit's checkpoint moves to `page.nextCursor`, in one transaction (nothing is saved if
   * the lease was lost or the session stopped running). Idempotent: a re-listed page adds nothing.
   */
  async planAccounts(
    unit: ClaimedUnit,
    leaseMs: number,
    page: {
      readonly accountIds: readonly string[];
      readonly nextCursor: string | null;
      readonly requests: number;
      readonly throttles: number;
    },
  ): Promise<number> {
    return this.#prisma.$transaction(async (tx) => {
      const planned = await tx.$executeRaw`
        INSERT INTO sync_units (session_id, workspace_id, entity_type, provider_account_id, segment)
        SELECT s.id, s.workspace_id, t.entity_type, a.account_id, 0
          FROM payment_sync_sessions s
          CROSS JOIN LATERAL unnest(s.entity_types) AS t(entity_type)
          CROSS JOIN unnest(${[...page.accountIds]}::text[]) AS a(account_id)
         WHERE s.id = ${unit.sessionId}::uuid
        ON CONFLICT (session_id, provider_account_id, entity_type, segment) DO NOTHING`;
      // The platform connection is where webhooks of these accounts land when their URL names no
      // connection (ingress looks the event's `account` up); an account linked already stays so.
      await tx.$executeRaw`
        INSERT INTO workspace_provider_accounts (provider, provider_account_id, workspace_id, configuration_id)
        SELECT s.provider, a.account_id, s.workspace_id, s.configuration_id
          FROM payment_sync_sessions s
          CROSS JOIN unnest(${[...page.accountIds]}::text[]) AS a(account_id)
         WHERE s.id = ${unit.sessionId}::uuid AND s.configuration_id IS NOT NULL
        ON CONFLICT (provider, provider_account_id) DO NOTHING`;
      await this.#checkpoint(tx, unit, leaseMs, {
        cursor: page.nextCursor,
        done: page.nextCursor === null,
        fetched: page.accountIds.length,
        written: page.accountIds.length,
        skipped: 0,
        failed: [],
        requests: page.requests,
        throttles: page.throttles,
      });
      return planned;
    });
  }

  async #checkpoint(
    tx: Tx,
    unit: ClaimedUnit,
    leaseMs: number,
    page: PageCheckpoint,
  ): Promise<void> {
    const status = await this.#sessions.statusOf(unit.sessionId, tx);
    if (status !== 'running') throw new SessionNotRunningError(status);
    const updated = await tx.$executeRaw`
      UPDATE sync_units SET
        cursor = ${page.cursor},
        fetched = fetched + ${page.fetched}, written = written + ${page.written},
        skipped = skipped + ${page.skipped}, failed = failed + ${page.failed.length},
        failed_records = CASE WHEN ${page.failed.length}::int = 0 THEN failed_records
          ELSE jsonb_path_query_array(failed_records || ${JSON.stringify(page.failed)}::jsonb,
                 ${`$[0 to ${MAX_FAILED_RECORDS - 1}]`}::jsonpath) END,
        pages = pages + 1,
        requests = requests + ${page.requests}, throttles = throttles + ${page.throttles},
        lease_expires_at = now() + (${leaseMs}::int * interval '1 millisecond'),
        status = CASE WHEN ${page.done} THEN 'done'::sync_unit_status ELSE status END,
        finished_at = CASE WHEN ${page.done} THEN now() ELSE finished_at END,
        updated_at = now()
      WHERE id = ${unit.id}::uuid AND lease_token = ${unit.leaseToken}::uuid AND status = 'running'`;
    if (updated !== 1) throw new LeaseLostError(unit.id, 'checkpoint');
  }

  /**
   * Replaces a whole-entity unit by created-time segments, `ranges` oldest first (segment numbers
   * follow them). The range at `keep` (default the first) keeps this unit's row, so the claim
   * that split it goes on with that segment; the others are inserted pending, claimable at once.
   */
  async split(
    unit: ClaimedUnit,
    ranges: readonly { gte: number | null; lt: number | null }[],
    requests: number,
    keep = 0,
  ): Promise<ClaimedUnit> {
    const kept = ranges[keep];
    if (!kept) throw new Error('split needs at least one range (and keep within them)');
    const keptSegment = unit.segment + keep;
    return this.#prisma.$transaction(async (tx) => {
      const updated = await tx.$executeRaw`
        UPDATE sync_units SET created_gte = ${kept.gte}, created_lt = ${kept.lt}, segment = ${keptSegment},
          splittable = false, cursor = NULL, requests = requests + ${requests}, updated_at = now()
        WHERE id = ${unit.id}::uuid AND lease_token = ${unit.leaseToken}::uuid AND status = 'running'`;
      if (updated !== 1) throw new LeaseLostError(unit.id, 'split');
      for (const [i, range] of ranges.entries()) {
        if (i === keep) continue;
        await tx.$executeRaw`
          INSERT INTO sync_units (session_id, workspace_id, entity_type, provider_account_id, segment, created_gte, created_lt, splittable)
          VALUES (${unit.sessionId}::uuid, ${unit.workspaceId}::uuid, ${unit.entityType},
                  ${unit.providerAccountId ?? ''}, ${unit.segment + i}, ${range.gte}, ${range.lt}, false)
          ON CONFLICT (session_id, provider_account_id, entity_type, segment) DO NOTHING`;
      }
      return {
        ...unit,
        segment: keptSegment,
        createdGte: kept.gte,
        createdLt: kept.lt,
        splittable: false,
        cursor: null,
      };
    });
  }

  /**
   * Gives a unit back (shutdown, session stopped, transient failure) to be claimed later. False
   * (nothing changed) when the lease had passed to another claim.
   */
  async release(
    unit: ClaimedUnit,
    opts: { delayMs?: number; error?: string } = {},
  ): Promise<boolean> {
    const n = await this.#prisma.$executeRaw`
      UPDATE sync_units SET status = 'pending', lease_owner = NULL, lease_token = NULL,
        lease_expires_at = ${opts.delayMs ? new Date(Date.now() + opts.delayMs) : null},
        last_error = COALESCE(${opts.error ?? null}, last_error), updated_at = now()
      WHERE id = ${unit.id}::uuid AND lease_token = ${unit.leaseToken}::uuid AND status = 'running'`;
    return n === 1;
  }

  /**
   * A permanent failure: the unit and its session end `failed` with the error, only while this
   * claim holds the unit (else LeaseLostError: a stale worker never fails a session).
   */
  async fail(unit: ClaimedUnit, error: { code: string; message: string }): Promise<void> {
    await this.#prisma.$transaction(async (tx) => {
      const n = await tx.$executeRaw`
        UPDATE sync_units SET status = 'failed', last_error = ${error.message}, lease_owner = NULL,
          lease_token = NULL, lease_expires_at = NULL, finished_at = now(), updated_at = now()
        WHERE id = ${unit.id}::uuid AND lease_token = ${unit.leaseToken}::uuid AND status = 'running'`;
      if (n !== 1) throw new LeaseLostError(unit.id, 'fail');
      await this.#sessions.markFailed(
        unit.sessionId,
        { ...error, entityType: unit.entityType, segment: unit.segment },
        tx,
      );
    });
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
        UPDATE sync_units SET status = 'pending', lease_owner = NULL, lease_token = NULL,
          lease_expires_at = NULL, updated_at = now()
        WHERE session_id = ${sessionId}::uuid AND status = 'running' AND lease_expires_at < now()
          AND EXISTS (SELECT 1 FROM payment_sync_sessions s
                      WHERE s.id = ${sessionId}::uuid AND s.status = 'running')`;
      if (stalled > 0) return true;
      if (!(await this.#sessions.reopen(sessionId, tx))) return false;
      await tx.$executeRaw`
        UPDATE sync_units SET status = 'pending', lease_owner = NULL, lease_token = NULL,
          lease_expires_at = NULL, attempts = 0, updated_at = now()
        WHERE session_id = ${sessionId}::uuid AND status <> 'done'`;
      return true;
    });
  }
}
