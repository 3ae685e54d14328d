import { z } from 'zod';

import { ValidationError } from '@paysync/errors';

import type { Db, Tx } from '../client.js';

const uuid = z.uuid();

export interface TenantScopeDeps {
  readonly prisma: Db;
}

/**
 * Runs tenant-facing reads under PostgreSQL row-level security: inside one transaction it switches
 * to the `paysync_tenant` role and sets `paysync.workspace_id`, so even a query without a
 * workspace filter returns only that workspace's rows (defence in depth behind the explicit
 * `workspace_id` filters every repository method has).
 */
export class TenantScope {
  readonly #prisma: Db;

  constructor({ prisma }: TenantScopeDeps) {
    this.#prisma = prisma;
  }

  async run<T>(workspaceId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (!uuid.safeParse(workspaceId).success) {
      throw new ValidationError('workspaceId must be a UUID', [
        { path: 'workspaceId', message: 'must be a UUID' },
      ]);
    }
    return this.#prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe('SET LOCAL ROLE paysync_tenant');
      await tx.$queryRawUnsafe(`SELECT set_config('paysync.workspace_id', $1, true)`, workspaceId);
      return fn(tx);
    });
  }
}
