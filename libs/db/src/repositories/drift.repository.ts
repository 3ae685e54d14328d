import type { CanonicalChange, EntityType, ProviderName } from '@paysync/contracts';

import { mapDbError } from '../errors.js';
import { ENTITY_TABLES, type EntityTable } from './entity-tables.js';
import { storable } from './storable-text.js';

import type { Db } from '../client.js';

/**
 * How a local row compares with the provider's current state of the object:
 * - `missing`: no local row (or a tombstone while the provider has the object live);
 * - `stale`: the local row's canonical fields (or deleted state) differ from the provider's;
 * - `newer`: the local row changed after the provider's state was read (a webhook won the race),
 *   not drift;
 * - `same`: identical.
 */
export type DriftKind = 'missing' | 'stale' | 'newer' | 'same';

/**
 * Whether the table of `entityType` has a created time (`provider_created_at`): discounts and
 * invoice line items have none, so all their rows are "without a created time".
 */
const hasCreated = (entityType: EntityType) =>
  ENTITY_TABLES[entityType].columns.some((c) => c.column === 'provider_created_at');

/**
 * Stripe Connect: which provider account's rows a reconciliation looks at. `accountId`: one
 * connected account's rows; null: the connection's own rows (no account, or one of
 * `ownAccountIds`). Absent: every row of the workspace and provider.
 */
interface AccountScope {
  readonly accountId: string | null;
  readonly ownAccountIds: readonly string[];
}

/** The scope's condition on `provider_account_id`, its parameter at `$n`; '' without a scope. */
function scopeSql(scope: AccountScope | undefined, n: number): string {
  if (!scope) return '';
  return scope.accountId
    ? `AND provider_account_id = $${n}::text`
    : `AND (provider_account_id IS NULL OR provider_account_id = ANY($${n}::text[]))`;
}

function scopeParams(scope: AccountScope | undefined): unknown[] {
  if (!scope) return [];
  return [scope.accountId ?? [...scope.ownAccountIds]];
}

export interface DriftRepositoryDeps {
  readonly prisma: Db;
}

/**
 * Read side of reconciliation (the recovery service): compares provider states with the synced
 * tables on the same canonical columns the write path stores, so "stale" means a field a user of
 * the data would see differs, and enumerates local live ids to find objects gone at the provider.
 */
export class DriftRepository {
  readonly #prisma: Db;

  constructor({ prisma }: DriftRepositoryDeps) {
    this.#prisma = prisma;
  }

  /** One drift kind per change, in input order (changes of one entity type). */
  async compare(entityType: EntityType, changes: readonly CanonicalChange[]): Promise<DriftKind[]> {
    if (changes.length === 0) return [];
    const table = ENTITY_TABLES[entityType] as EntityTable<EntityType>;
    const cols = table.columns;
    const records = changes.map((change, ord) => {
      const record: Record<string, unknown> = {
        ord,
        workspace_id: change.workspaceId,
        provider: change.provider,
        external_id: change.externalId,
        version: change.version,
        is_deleted: change.deleted,
      };
      for (const column of cols)
        // Compared in stored form (storable-text.ts): NUL-bearing provider text is not drift.
        record[`c_${column.column}`] =
          change.data === null ? null : storable(column.get(change.data as never) ?? null);
      return record;
    });
    const differs = cols
      .map((c) => `t."${c.column}" IS DISTINCT FROM i."c_${c.column}"`)
      .join(' OR ');
    try {
      const rows = await this.#prisma.$queryRawUnsafe<{ ord: number; kind: DriftKind }[]>(
        `SELECT i.ord,
                CASE
                  WHEN t.external_id IS NULL THEN 'missing'
                  WHEN t.source_version > i.version THEN 'newer'
                  WHEN i.is_deleted AND t.deleted_at IS NOT NULL THEN 'same'
                  WHEN i.is_deleted <> (t.deleted_at IS NOT NULL) THEN
                    CASE WHEN i.is_deleted THEN 'stale' ELSE 'missing' END
                  WHEN ${differs} THEN 'stale'
                  ELSE 'same'
                END AS kind
           FROM jsonb_to_recordset($1::jsonb) AS i(ord int, workspace_id uuid, provider text,
                external_id text, version bigint, is_deleted boolean,
                ${cols.map((c) => `"c_${c.column}" ${c.pgType}`).join(', ')})
           LEFT JOIN "${table.table}" t
             ON t.workspace_id = i.workspace_id AND t.provider = i.provider::payment_provider
            AND t.external_id = i.external_id`,
        JSON.stringify(records),
      );
      const kinds = new Array<DriftKind>(changes.length).fill('missing');
      for (const r of rows) kinds[r.ord] = r.kind;
      return kinds;
    } catch (err) {
      throw mapDbError(err, { operation: 'compareDrift', changes: changes.length });
    }
  }

  /**
   * Where the next created-time window of live local rows ends: the created second (provider
   * seconds) of the live row `rows` places after the first one created at or after `fromSeconds`
   * (from the oldest when null), in created order; null when no more than `rows` rows remain.
   * Rows without a created time are left out (see `liveIdsWithoutCreated`).
   */
  async windowEnd(
    workspaceId: string,
    provider: ProviderName,
    entityType: EntityType,
    fromSeconds: number | null,
    rows: number,
    scope?: AccountScope,
  ): Promise<number | null> {
    if (!hasCreated(entityType)) return null;
    const table = ENTITY_TABLES[entityType].table;
    const found = await this.#prisma.$queryRawUnsafe<{ s: bigint }[]>(
      `SELECT floor(extract(epoch FROM provider_created_at))::bigint AS s FROM "${table}"
        WHERE workspace_id = $1::uuid AND provider = $2::payment_provider AND deleted_at IS NULL
          AND provider_created_at IS NOT NULL
          AND ($3::float8 IS NULL OR provider_created_at >= to_timestamp($3::float8))
          ${scopeSql(scope, 5)}
        ORDER BY provider_created_at
        OFFSET $4 LIMIT 1`,
      workspaceId,
      provider,
      fromSeconds,
      rows,
      ...scopeParams(scope),
    );
    return found[0] === undefined ? null : Number(found[0].s);
  }

  /**
   * Live local external ids created in [gteSeconds, ltSeconds) (provider seconds; null: unbounded
   * on that side). Rows without a created time are left out.
   */
  async liveIdsCreatedIn(
    workspaceId: string,
    provider: ProviderName,
    entityType: EntityType,
    gteSeconds: number | null,
    ltSeconds: number | null,
    scope?: AccountScope,
  ): Promise<string[]> {
    if (!hasCreated(entityType)) return [];
    const table = ENTITY_TABLES[entityType].table;
    const rows = await this.#prisma.$queryRawUnsafe<{ external_id: string }[]>(
      `SELECT external_id FROM "${table}"
        WHERE workspace_id = $1::uuid AND provider = $2::payment_provider AND deleted_at IS NULL
          AND provider_created_at IS NOT NULL
          AND ($3::float8 IS NULL OR provider_created_at >= to_timestamp($3::float8))
          AND ($4::float8 IS NULL OR provider_created_at < to_timestamp($4::float8))
          ${scopeSql(scope, 5)}`,
      workspaceId,
      provider,
      gteSeconds,
      ltSeconds,
      ...scopeParams(scope),
    );
    return rows.map((r) => r.external_id);
  }

  /** Live local external ids without a created time, after `afterExternalId`, in id order. */
  async liveIdsWithoutCreated(
    workspaceId: string,
    provider: ProviderName,
    entityType: EntityType,
    afterExternalId: string | null,
    limit: number,
    scope?: AccountScope,
  ): Promise<string[]> {
    const table = ENTITY_TABLES[entityType].table;
    const rows = await this.#prisma.$queryRawUnsafe<{ external_id: string }[]>(
      `SELECT external_id FROM "${table}"
        WHERE workspace_id = $1::uuid AND provider = $2::payment_provider AND deleted_at IS NULL
          ${hasCreated(entityType) ? 'AND provider_created_at IS NULL' : ''}
          AND ($3::text IS NULL OR external_id > $3::text)
          ${scopeSql(scope, 5)}
        ORDER BY external_id
        LIMIT $4`,
      workspaceId,
      provider,
      afterExternalId,
      limit,
      ...scopeParams(scope),
    );
    return rows.map((r) => r.external_id);
  }
}
