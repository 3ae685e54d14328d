import type { EntityType, ProviderName } from '@paysync/contracts';

import { ENTITY_TABLES } from './entity-tables.js';

import type { DbOrTx } from '../client.js';

/** A synced row as stored: sync columns plus the table's canonical columns (snake_case). */
export type SyncedRow = Record<string, unknown> & {
  readonly id: string;
  readonly workspace_id: string;
  readonly provider: ProviderName;
  readonly external_id: string;
  readonly source_version: bigint;
  readonly deleted_at: Date | null;
};

export interface SyncedEntityReaderDeps {
  /** The client, or a transaction (a tenant scope's) to read in. */
  readonly prisma: DbOrTx;
}

/** Reads synced entities. Every method takes the workspace id: there is no unscoped read. */
export class SyncedEntityReader {
  readonly #db: DbOrTx;

  constructor({ prisma }: SyncedEntityReaderDeps) {
    this.#db = prisma;
  }

  async findByExternalId(
    workspaceId: string,
    entityType: EntityType,
    provider: ProviderName,
    externalId: string,
    tx?: DbOrTx,
  ): Promise<SyncedRow | undefined> {
    const { table } = ENTITY_TABLES[entityType];
    const rows = await (tx ?? this.#db).$queryRawUnsafe<SyncedRow[]>(
      `SELECT * FROM "${table}" WHERE workspace_id = $1::uuid AND provider = $2::payment_provider AND external_id = $3`,
      workspaceId,
      provider,
      externalId,
    );
    return rows[0];
  }

  async count(workspaceId: string, entityType: EntityType, tx?: DbOrTx): Promise<number> {
    const { table } = ENTITY_TABLES[entityType];
    const rows = await (tx ?? this.#db).$queryRawUnsafe<{ n: bigint }[]>(
      `SELECT count(*) AS n FROM "${table}" WHERE workspace_id = $1::uuid`,
      workspaceId,
    );
    return Number(rows[0]?.n ?? 0);
  }
}
