import { AsyncLocalStorage } from 'node:async_hooks';

import { ValidationError } from '@paysync/errors';

import { isUuid } from '../ids.js';

/**
 * Whose rows the database work of the current async context may touch (issue 15 item 5). Every
 * connection the Prisma client checks out carries it to PostgreSQL before its first statement
 * (libs/db/src/client.ts): `paysync.workspace_id` for a tenant, `ROLE paysync_system` for
 * cross-tenant background work, neither otherwise — and then every table with a `workspace_id`
 * shows and accepts no row (row-level security, forced; migration 20261129080000_rls_enforced).
 */
export type DbScope =
  | { readonly kind: 'tenant'; readonly workspaceId: string }
  | { readonly kind: 'system'; readonly reason: string };

const storage = new AsyncLocalStorage<DbScope>();

/** The scope of the current async context, if any. */
export function currentDbScope(): DbScope | undefined {
  return storage.getStore();
}

function assertWorkspaceId(workspaceId: string): void {
  if (!isUuid(workspaceId)) {
    throw new ValidationError('workspaceId must be a UUID', [
      { path: 'workspaceId', message: 'must be a UUID' },
    ]);
  }
}

/**
 * Prisma's query promises are lazy: the query starts when `then` is called. A caller that returns
 * one from `fn` and awaits it outside the scope would run it without the scope, so `then` is
 * called here, inside.
 */
function inScope<T>(scope: DbScope, fn: () => T): T {
  return storage.run(scope, () => {
    const result = fn();
    if (result !== null && typeof result === 'object' && 'then' in result) {
      const thenable = result as PromiseLike<unknown>;
      return new Promise((resolve, reject) => {
        thenable.then(resolve, reject);
      }) as T;
    }
    return result;
  });
}

/**
 * Runs `fn` on behalf of one workspace: its queries see and change only that workspace's rows. No
 * transaction is opened: every query and `$transaction` inside keeps its own boundaries.
 */
export function withTenant<T>(workspaceId: string, fn: () => T): T {
  assertWorkspaceId(workspaceId);
  return inScope({ kind: 'tenant', workspaceId }, fn);
}

/**
 * Runs `fn` as cross-tenant background work (`SET ROLE paysync_system`): only for work that is not
 * on behalf of one tenant — claim queries, the outbox relay, recovery sweeps, lookups by connection
 * id or key hash before the tenant is known. `reason` names the caller (tests and reviews grep it).
 */
export function withSystem<T>(reason: string, fn: () => T): T {
  return inScope({ kind: 'system', reason }, fn);
}

/**
 * {@link withTenant} or {@link withSystem} for a scope given as a value (Fastify hooks call their
 * `done()` inside, so the rest of the request runs in it).
 */
export function runWithScope<T>(scope: DbScope, fn: () => T): T {
  if (scope.kind === 'tenant') assertWorkspaceId(scope.workspaceId);
  return inScope(scope, fn);
}

/**
 * Inside a transaction begun in another scope (e.g. the outbox relay's, which has none): the rest
 * of it acts on behalf of `workspaceId` (transaction-local settings, undone at commit/rollback).
 */
export async function actForTenantInTransaction(
  tx: { $queryRawUnsafe(query: string, ...values: unknown[]): Promise<unknown> },
  workspaceId: string,
): Promise<void> {
  assertWorkspaceId(workspaceId);
  await tx.$queryRawUnsafe(
    `SELECT set_config('paysync.workspace_id', $1, true), set_config('role', 'none', true)`,
    workspaceId,
  );
}

/** Runs `fn` with no scope (no tenant row visible), e.g. after a scope that ended. */
export function withoutScope<T>(fn: () => T): T {
  return storage.exit(fn);
}

/** The session settings a connection needs for `scope`: [workspace id or '', role or 'none']. */
export function sessionSettingsFor(scope: DbScope | undefined): readonly [string, string] {
  if (scope?.kind === 'tenant') return [scope.workspaceId, 'none'];
  if (scope?.kind === 'system') return ['', SYSTEM_ROLE];
  return ['', 'none'];
}

/** The NOLOGIN role cross-tenant work switches to (created by the migration). */
export const SYSTEM_ROLE = 'paysync_system';
