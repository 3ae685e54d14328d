import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

import pg from 'pg';

import { InternalError } from '@paysync/errors';

export interface MigrationFile {
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
  /** `-- paysync:no-transaction` on the first line: for `CREATE INDEX CONCURRENTLY`. */
  readonly transactional: boolean;
}

export interface MigrationStatus {
  readonly applied: { readonly name: string; readonly finishedAt: Date }[];
  readonly pending: string[];
  /** Started and never finished (a failed run): `migrate` refuses to continue until resolved. */
  readonly failed: string[];
  /** Applied, but the file on disk no longer has the checksum that was applied. */
  readonly modified: string[];
  /** In the history table but not on disk (applied by a newer release, or deleted). */
  readonly unknown: string[];
}

export interface MigrateResult {
  readonly applied: string[];
  readonly skipped: string[];
}

const NO_TX_MARKER = /^--\s*paysync:no-transaction\b/;
/**
 * Prisma Migrate's own advisory-lock key, so our runner and `prisma migrate deploy` exclude each
 * other (production may use either). Prisma's schema engine takes `SELECT pg_advisory_lock(72707369)`
 * ("a unique number we chose to identify Migrate", prisma/prisma-engines,
 * schema-engine/connectors/sql-schema-connector/src/flavour/postgres.rs, `acquire_lock`).
 */
export const MIGRATION_LOCK_KEY = 72_707_369;

// Same table Prisma's migrate engine creates, so `prisma migrate deploy/status` sees our history.
const HISTORY_DDL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum"            VARCHAR(64) NOT NULL,
  "finished_at"         TIMESTAMPTZ,
  "migration_name"      VARCHAR(255) NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      TIMESTAMPTZ,
  "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

/** Reads `prisma/migrations/<14-digit timestamp>_<name>/migration.sql`, in order. */
export function readMigrations(dir: string): MigrationFile[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^\d{14}_[a-z0-9_]+$/.test(d.name))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const file = join(dir, name, 'migration.sql');
      if (!existsSync(file))
        throw new InternalError('DB_MIGRATION_FAILED', `Migration ${name} has no migration.sql`);
      const sql = readFileSync(file, 'utf8');
      return {
        name,
        sql,
        // Prisma's checksum: sha256 hex of the file as it is on disk.
        checksum: createHash('sha256').update(sql).digest('hex'),
        transactional: !NO_TX_MARKER.test(sql),
      };
    });
}

/**
 * Applies pending migrations: one advisory lock for the run, one transaction per migration,
 * history rows written the way Prisma writes them. Refuses to continue when an applied migration
 * was edited, or an earlier attempt failed half-way (a human must look).
 */
export async function applyMigrations(opts: {
  databaseUrl: string;
  migrationsDir: string;
  log?: (message: string) => void;
  /**
   * The login role the services connect as (`DATABASE_APP_ROLE`): after the migrations it is made
   * a member of `paysync_runtime` (DML only, row-level security applies). It must exist, and must
   * be neither a superuser, nor BYPASSRLS, nor the owner of the tables.
   */
  appRole?: string;
}): Promise<MigrateResult> {
  const log = opts.log ?? (() => undefined);
  const migrations = readMigrations(opts.migrationsDir);
  const client = new pg.Client({ connectionString: opts.databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(HISTORY_DDL);
    const history = await readHistory(client);

    const failed = [...history.values()].find((r) => r.finished_at === null);
    if (failed) {
      throw new InternalError(
        'DB_MIGRATION_FAILED',
        `Migration ${failed.migration_name} failed earlier and was not resolved; fix the database and mark it rolled back`,
      );
    }
    const result: MigrateResult = { applied: [], skipped: [] };
    for (const migration of migrations) {
      const done = history.get(migration.name);
      if (done) {
        if (done.checksum !== migration.checksum) {
          throw new InternalError(
            'DB_MIGRATION_FAILED',
            `Migration ${migration.name} was edited after it was applied (checksum mismatch); add a new migration instead`,
          );
        }
        result.skipped.push(migration.name);
        continue;
      }
      log(`applying ${migration.name}`);
      const id = randomUUID();
      await client.query(
        'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
        [id, migration.checksum, migration.name],
      );
      try {
        if (migration.transactional) {
          await client.query('BEGIN');
          try {
            await client.query(migration.sql);
            await client.query('COMMIT');
          } catch (err) {
            await client.query('ROLLBACK');
            throw err;
          }
        } else {
          await client.query(migration.sql);
        }
      } catch (err) {
        await client.query('UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1', [
          id,
          String((err as Error).message),
        ]);
        throw new InternalError(
          'DB_MIGRATION_FAILED',
          `Migration ${migration.name} failed: ${(err as Error).message}`,
          undefined,
          {
            cause: err,
          },
        );
      }
      await client.query(
        'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1',
        [id],
      );
      result.applied.push(migration.name);
    }
    if (opts.appRole) await grantRuntimeRole(client, opts.appRole, log);
    return result;
  } finally {
    await client
      .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
      .catch(() => undefined);
    await client.end();
  }
}

interface HistoryRow {
  readonly migration_name: string;
  readonly checksum: string;
  readonly finished_at: Date | null;
  readonly rolled_back_at: Date | null;
}

/** The history table's rows by migration name, rolled-back attempts left out. */
async function readHistory(client: pg.Client): Promise<Map<string, HistoryRow>> {
  const { rows } = await client.query<HistoryRow>(
    'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
  );
  const history = new Map<string, HistoryRow>();
  for (const row of rows) if (!row.rolled_back_at) history.set(row.migration_name, row);
  return history;
}

const RUNTIME_ROLE = 'paysync_runtime';

/** Joins the services' login role to paysync_runtime; refuses a role RLS would not restrict. */
async function grantRuntimeRole(
  client: pg.Client,
  appRole: string,
  log: (message: string) => void,
): Promise<void> {
  const { rows } = await client.query<{
    rolsuper: boolean;
    rolbypassrls: boolean;
    owns: boolean;
    member: boolean;
  }>(
    `SELECT r.rolsuper, r.rolbypassrls,
            EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'public' AND c.relowner = r.oid) AS owns,
            pg_has_role(r.oid, $2, 'MEMBER') AS member
       FROM pg_roles r WHERE r.rolname = $1`,
    [appRole, RUNTIME_ROLE],
  );
  const role = rows[0];
  if (!role) {
    throw new InternalError(
      'DB_MIGRATION_FAILED',
      `DATABASE_APP_ROLE ${appRole} does not exist; create it first (CREATE ROLE ${appRole} LOGIN PASSWORD '…' NOSUPERUSER NOBYPASSRLS)`,
    );
  }
  if (role.rolsuper || role.rolbypassrls || role.owns) {
    throw new InternalError(
      'DB_MIGRATION_FAILED',
      `DATABASE_APP_ROLE ${appRole} is a superuser, BYPASSRLS or owns tables: row-level security would not restrict it; use a separate login role`,
    );
  }
  if (!role.member) {
    await client.query(`GRANT ${RUNTIME_ROLE} TO "${appRole.replaceAll('"', '""')}"`);
    log(`granted ${RUNTIME_ROLE} to ${appRole}`);
  }
}

/** What `migrate` would do, without taking the lock or changing anything (`migrate status`). */
export async function migrationStatus(opts: {
  databaseUrl: string;
  migrationsDir: string;
}): Promise<MigrationStatus> {
  const migrations = readMigrations(opts.migrationsDir);
  const client = new pg.Client({ connectionString: opts.databaseUrl });
  await client.connect();
  try {
    const { rows: exists } = await client.query<{ present: boolean }>(
      'SELECT to_regclass(\'"_prisma_migrations"\') IS NOT NULL AS present',
    );
    const history = exists[0]?.present ? await readHistory(client) : new Map<string, HistoryRow>();
    const onDisk = new Set(migrations.map((m) => m.name));
    const status: MigrationStatus = {
      applied: [],
      pending: [],
      failed: [],
      modified: [],
      unknown: [...history.keys()].filter((name) => !onDisk.has(name)),
    };
    for (const migration of migrations) {
      const row = history.get(migration.name);
      if (!row) status.pending.push(migration.name);
      else if (row.finished_at === null) status.failed.push(migration.name);
      else {
        status.applied.push({ name: migration.name, finishedAt: row.finished_at });
        if (row.checksum !== migration.checksum) status.modified.push(migration.name);
      }
    }
    return status;
  } finally {
    await client.end();
  }
}
