import pg from 'pg';

import { applyMigrations } from '@paysync/db';

import type { BenchContext } from './types.js';

/** A freshly migrated database for one scenario, dropped by `drop()`. */
export async function freshDatabase(
  ctx: BenchContext,
  scenario: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `paysync_bench_${scenario}_${process.pid}`;
  const admin = new pg.Client({ connectionString: ctx.serverUrl('postgres') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await applyMigrations({ databaseUrl: ctx.serverUrl(name), migrationsDir: ctx.migrationsDir });
  return {
    url: ctx.serverUrl(name),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}
