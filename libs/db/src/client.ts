import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

import { PrismaClient } from './generated/prisma/client.js';
import { currentDbScope, sessionSettingsFor } from './scope/db-scope.js';

import type { DbSettings } from './db.config.js';

export type Db = PrismaClient;
/** The client handed to `$transaction(async (tx) => …)` callbacks. */
export type Tx = Omit<
  PrismaClient,
  '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'
>;
export type DbOrTx = Db | Tx;

const SET_SCOPE = `SELECT set_config('paysync.workspace_id', $1, false), set_config('role', $2, false)`;

/**
 * A pg pool that hands every checked-out connection to the caller with the session settings of the
 * caller's database scope (libs/db/src/scope/db-scope.ts): the tenant's `paysync.workspace_id`,
 * `ROLE paysync_system` for cross-tenant work, or neither (then row-level security shows no tenant
 * row). Settings are session-level and remembered per connection, so a connection that already
 * carries the right ones costs no extra round trip; the statement runs before the caller's first
 * one (outside any transaction: nothing can roll it back), and a failure destroys the connection.
 * The Prisma adapter uses `query()` for single statements and `connect()` for transactions.
 */
class ScopedPool extends pg.Pool {
  readonly #applied = new WeakMap<pg.PoolClient, string>();

  async #checkout(): Promise<pg.PoolClient> {
    const [workspaceId, role] = sessionSettingsFor(currentDbScope());
    const key = `${workspaceId}|${role}`;
    const client = await super.connect();
    if (this.#applied.get(client) === key) return client;
    try {
      await client.query(SET_SCOPE, [workspaceId, role]);
    } catch (err) {
      this.#applied.delete(client);
      client.release(err as Error);
      throw err;
    }
    this.#applied.set(client, key);
    return client;
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(
    cb: (err: Error | undefined, client: pg.PoolClient | undefined, done: () => void) => void,
  ): void;
  override connect(
    cb?: (err: Error | undefined, client: pg.PoolClient | undefined, done: () => void) => void,
  ): Promise<pg.PoolClient> | void {
    if (!cb) return this.#checkout();
    this.#checkout().then(
      (client) => cb(undefined, client, () => client.release()),
      (err: Error) => cb(err, undefined, () => undefined),
    );
  }

  // @ts-expect-error -- promise forms only (the adapter's): no callback, no Submittable.
  override async query(
    config: string | pg.QueryConfig,
    values?: unknown[],
  ): Promise<pg.QueryResult> {
    const client = await this.#checkout();
    // As pg-pool's own query(): a connection error while checked out is not an unhandled 'error'
    // event, and a connection whose statement failed is not reused.
    let released = false;
    const release = (err?: Error): void => {
      if (released) return;
      released = true;
      client.removeListener('error', release);
      client.release(err);
    };
    client.once('error', release);
    try {
      const result = await client.query(config, values);
      release();
      return result;
    } catch (err) {
      release(err as Error);
      throw err;
    }
  }
}

/** Prisma 7 client over node-postgres (no native engine), scoped per unit of work (see ScopedPool). */
export function createPrismaClient(settings: DbSettings): Db {
  const pool = new ScopedPool({
    connectionString: settings.url,
    max: settings.poolMax,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    statement_timeout: settings.statementTimeoutMs,
  });
  // A pg.Pool at run time (the adapter checks instanceof); its query() keeps the promise forms only.
  const adapter = new PrismaPg(pool as unknown as pg.Pool, { disposeExternalPool: true });
  return new PrismaClient({ adapter });
}
