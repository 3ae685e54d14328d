import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

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

const root = join(import.meta.dirname, '../..');

/** A service started from source as a real process (stderr shown, stdout dropped). */
export function startService(name: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(
    join(root, 'node_modules/.bin/tsx'),
    ['--conditions=@paysync/source', `services/${name}/src/main.ts`],
    { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

/** Resolves once the service on `port` answers /ready with 200 (60 s at most). */
export async function waitReady(port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/ready`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`service on ${port} not ready`);
}
