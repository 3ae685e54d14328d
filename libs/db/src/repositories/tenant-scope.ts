import { withTenant } from '../scope/db-scope.js';

import type { Db, Tx } from '../client.js';

export interface TenantScopeDeps {
  readonly prisma: Db;
}

/**
 * Runs tenant-facing reads in one transaction on behalf of a workspace: the connection carries the
 * workspace (`withTenant`, so row-level security shows only its rows, as for every other query of
 * the request) and the transaction additionally switches to the read-only `paysync_tenant` role.
 * Defence in depth behind the explicit `workspace_id` filters every repository method has.
 */
export class TenantScope {
  readonly #prisma: Db;

  constructor({ prisma }: TenantScopeDeps) {
    this.#prisma = prisma;
  }

  async run<T>(workspaceId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return withTenant(workspaceId, () =>
      this.#prisma.$transaction(async (tx) => {
        await tx.$executeRawUnsafe('SET LOCAL ROLE paysync_tenant');
        return fn(tx);
      }),
    );
  }
}
