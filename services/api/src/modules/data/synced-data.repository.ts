import type { EntityType, ProviderName, SyncSource } from '@paysync/contracts';
import { ENTITY_TABLES, isUuid, type TenantScope } from '@paysync/db';
import { NotFoundError } from '@paysync/errors';

import { parentFilters, type ParentColumn } from './collections.js';

export interface DataFilter {
  readonly provider?: ProviderName | undefined;
  readonly externalId?: string | undefined;
  /** Stripe Connect: rows of this connected account (`acct_…`) only. */
  readonly providerAccountId?: string | undefined;
  /** Parent ids (`customer_external_id` → `cus_…`); only columns the table has are applied. */
  readonly parents?: Partial<Record<ParentColumn, string | undefined>> | undefined;
  readonly updatedSince?: Date | undefined;
  readonly includeDeleted?: boolean | undefined;
  /** Keyset: rows strictly after this (updatedAt asc, id asc). */
  readonly after?: { readonly updatedAt: Date; readonly id: string } | undefined;
  readonly limit: number;
}

/** One synced row in API shape: sync fields plus the table's canonical fields in camelCase. */
export interface DataItem {
  readonly [canonicalField: string]: unknown;
  readonly id: string;
  readonly provider: ProviderName;
  readonly externalId: string;
  /** The connected account (Stripe Connect) the row belongs to; null: the connection's own. */
  readonly providerAccountId: string | null;
  readonly livemode: boolean;
  readonly deletedAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly syncedVia: SyncSource;
  readonly sourceVersion: number;
  readonly lastEventId: string | null;
}

export interface SyncedDataRepositoryDeps {
  readonly tenantScope: TenantScope;
}

/**
 * The read API over synced data. Runs under row-level security (TenantScope) and lists in
 * (updated_at, id) order, so paging with `updatedSince` + cursor is a change feed: a row updated
 * while a client pages through shows up again later instead of being skipped.
 */
export class SyncedDataRepository {
  readonly #tenantScope: TenantScope;

  constructor({ tenantScope }: SyncedDataRepositoryDeps) {
    this.#tenantScope = tenantScope;
  }

  async list(workspaceId: string, entityType: EntityType, f: DataFilter): Promise<DataItem[]> {
    const { table } = ENTITY_TABLES[entityType];
    const where = ['workspace_id = $1::uuid'];
    const params: unknown[] = [workspaceId];
    const add = (sql: (n: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (f.provider) add((n) => `provider = ${n}::payment_provider`, f.provider);
    if (f.externalId) add((n) => `external_id = ${n}`, f.externalId);
    if (f.providerAccountId) add((n) => `provider_account_id = ${n}`, f.providerAccountId);
    // Column names come from the fixed parent list, never from the request.
    for (const { column } of parentFilters(entityType)) {
      const id = f.parents?.[column];
      if (id) add((n) => `"${column}" = ${n}`, id);
    }
    if (f.updatedSince) add((n) => `updated_at >= ${n}::timestamptz`, f.updatedSince);
    if (!f.includeDeleted) where.push('deleted_at IS NULL');
    if (f.after) {
      params.push(f.after.updatedAt, f.after.id);
      where.push(
        `(updated_at, id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`,
      );
    }
    params.push(f.limit);
    const sql = `SELECT * FROM "${table}" WHERE ${where.join(' AND ')} ORDER BY updated_at, id LIMIT $${params.length}`;
    const rows = await this.#tenantScope.run(workspaceId, (tx) =>
      tx.$queryRawUnsafe<Record<string, unknown>[]>(sql, ...params),
    );
    return rows.map((r) => toItem(entityType, r));
  }

  async get(workspaceId: string, entityType: EntityType, id: string): Promise<DataItem> {
    const { table } = ENTITY_TABLES[entityType];
    const rows = isUuid(id)
      ? await this.#tenantScope.run(workspaceId, (tx) =>
          tx.$queryRawUnsafe<Record<string, unknown>[]>(
            `SELECT * FROM "${table}" WHERE workspace_id = $1::uuid AND id = $2::uuid`,
            workspaceId,
            id,
          ),
        )
      : [];
    const row = rows[0];
    if (!row) throw new NotFoundError('NOT_FOUND', `${entityType} not found`, { id });
    return toItem(entityType, row);
  }
}

export const camel = (column: string) =>
  column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function value(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.toISOString();
  return v ?? null;
}

function toItem(entityType: EntityType, row: Record<string, unknown>): DataItem {
  const item: Record<string, unknown> = {
    id: row.id,
    provider: row.provider,
    externalId: row.external_id,
    providerAccountId: row.provider_account_id ?? null,
    livemode: row.livemode,
    deletedAt: value(row.deleted_at),
    createdAt: value(row.created_at),
    updatedAt: value(row.updated_at),
    syncedVia: row.synced_via,
    sourceVersion: value(row.source_version),
    lastEventId: row.last_event_id ?? null,
  };
  for (const { column } of ENTITY_TABLES[entityType].columns) {
    item[camel(column)] = value(row[column]);
  }
  return item as DataItem;
}
