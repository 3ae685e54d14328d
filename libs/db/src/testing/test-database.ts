import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import pg from 'pg';

/** prisma/migrations of this repository. */
export const migrationsDir = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../prisma/migrations',
);

/** The database the test run migrates once; every test file clones it (STYLE R42). */
export const templateDatabaseName = 'paysync_test_template';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
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
