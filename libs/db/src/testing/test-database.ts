import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import pg from 'pg';

import { createPrismaClient, type Db } from '../client.js';

/** prisma/migrations of this repository. */
export const migrationsDir = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../prisma/migrations',
);

/** The database the test run migrates once; every test file clones it (STYLE R42). */
export const templateDatabaseName = 'paysync_test_template';

export interface TestDatabase {
  readonly name: string;
  /** As the `postgres` superuser (owner, bypasses row-level security): seeding and inspection. */
  readonly url: string;
  /** As the services' login role (paysync_app: under row-level security): for DATABASE_URL of a service. */
  readonly appUrl: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** The server URL of the local stack, from DATABASE_URL or the stack's default port. */
function serverUrl(): string {
  return (
    process.env.DATABASE_URL ??
    `postgresql://postgres@127.0.0.1:${process.env.PAYSYNC_PG_PORT ?? 55432}/postgres`
  );
}

/** The services' login role on the stack (scripts/stack/stack-config.mjs; created by stack:up). */
function appUrlOf(url: string): string {
  const u = new URL(url);
  u.username = process.env.PAYSYNC_PG_APP_ROLE ?? 'paysync_app';
  u.password = process.env.PAYSYNC_PG_APP_PASSWORD ?? 'paysync-local-dev';
  return u.toString();
}

/** A fresh database cloned from the migrated template: isolated and fast (~50 ms). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `paysync_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: withDatabase(serverUrl(), 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${templateDatabaseName}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withDatabase(serverUrl(), name),
    appUrl: appUrlOf(withDatabase(serverUrl(), name)),
    async drop() {
      const client = new pg.Client({ connectionString: withDatabase(serverUrl(), 'postgres') });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A fresh test database and a Prisma client on it (the superuser, no row-level security). */
export interface TestPrisma {
  readonly db: TestDatabase;
  readonly prisma: Db;
  /** Disconnects the client and drops the database. */
  close(): Promise<void>;
}

/** {@link createTestDatabase} with a Prisma client on it, for a spec's `beforeAll`/`beforeEach`. */
export async function createTestPrisma({
  poolMax = 4,
  statementTimeoutMs = 10_000,
}: { poolMax?: number; statementTimeoutMs?: number } = {}): Promise<TestPrisma> {
  const db = await createTestDatabase();
  const prisma = createPrismaClient({ url: db.url, poolMax, statementTimeoutMs });
  return {
    db,
    prisma,
    async close() {
      await prisma.$disconnect();
      await db.drop();
    },
  };
}
