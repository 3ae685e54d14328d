import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import pg from 'pg';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TEMPLATE = 'paysync_test_template';

function run(args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const res = spawnSync(args[0] as string, args.slice(1), { stdio: 'inherit', env, cwd: root });
  if (res.status !== 0) throw new Error(`${args.join(' ')} failed with exit code ${res.status}`);
}

/**
 * Once per jest run: bring the local Kafka + PostgreSQL stack up (idempotent) and migrate a
 * template database that every test file clones (STYLE R42). Runs outside jest's module mapper,
 * so it shells out to the same scripts a developer uses.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.PAYSYNC_TEST_SETUP_DONE === '1') return;
  run([process.execPath, 'scripts/stack/stack.mjs', 'up']);

  const server = `postgresql://postgres@127.0.0.1:${process.env.PAYSYNC_PG_PORT ?? 55432}`;
  const migrateTemplate = () =>
    spawnSync(
      join(root, 'node_modules/.bin/tsx'),
      ['--conditions=@paysync/source', 'scripts/db/migrate.ts'],
      {
        stdio: 'inherit',
        cwd: root,
        // The services' login role (created by stack up) joins paysync_runtime: tests connect
        // services as it, so row-level security applies as in production.
        env: {
          ...process.env,
          DATABASE_URL: `${server}/${TEMPLATE}`,
          DATABASE_APP_ROLE: process.env.PAYSYNC_PG_APP_ROLE ?? 'paysync_app',
        },
      },
    ).status === 0;
  const admin = new pg.Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  try {
    // Other jest runs may be using the template and their databases right now (several people or
    // agents on one stack): the template is migrated in place, and rebuilt only when that fails
    // (a migration edited during development); leftovers are dropped only when nobody is connected.
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      TEMPLATE,
    ]);
    if (rowCount === 0) await admin.query(`CREATE DATABASE "${TEMPLATE}"`);
    if (!migrateTemplate()) {
      console.log(`[test] rebuilding ${TEMPLATE}`);
      await admin.query(`DROP DATABASE IF EXISTS "${TEMPLATE}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "${TEMPLATE}"`);
      if (!migrateTemplate()) throw new Error(`migrating ${TEMPLATE} failed`);
    }
    // Leftovers of test runs that were killed before their afterAll.
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database d
        WHERE (datname LIKE 'paysync\\_t\\_%' OR datname LIKE 'paysync\\_obs\\_%')
          AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`,
    );
    for (const { datname } of rows) {
      // Without FORCE: a database someone connected to meanwhile stays.
      await admin.query(`DROP DATABASE IF EXISTS "${datname}"`).catch(() => undefined);
    }
  } finally {
    await admin.end();
  }
  process.env.PAYSYNC_TEST_SETUP_DONE = '1';
}
