// The infrastructure a chaos run uses. The full run stops and restarts Kafka and PostgreSQL, so it
// brings up a SEPARATE instance of the project's stack (scripts/stack/stack.mjs with its own
// ports and state dir), never the shared one on 55432/59092 that other test runs use. The short
// run kills only a service, so it may use the shared stack (its own database and topic prefix).
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { applyMigrations } from '@paysync/db';

export const repoRoot = join(import.meta.dirname, '../..');

export interface ChaosStack {
  /** Environment for scripts/stack/stack.mjs that selects this instance. */
  readonly stackEnv: Record<string, string>;
  readonly pgPort: number;
  readonly kafkaBrokers: string;
  /** True when this run started the instance (and so stops it at the end). */
  readonly own: boolean;
  serverUrl(database: string): string;
  /**
   * stack.mjs stop|start|kill kafka|postgres on this instance only (asynchronous, so the traffic
   * keeps flowing while a component starts).
   */
  control(action: 'stop' | 'start' | 'kill', component: 'kafka' | 'postgres'): Promise<void>;
  down(): void;
}

function stackCommand(env: Record<string, string>, args: string[]): void {
  const res = spawnSync(process.execPath, [join(repoRoot, 'scripts/stack/stack.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  if (res.status !== 0)
    throw new Error(`stack.mjs ${args.join(' ')} failed:\n${res.stdout}\n${res.stderr}`);
}

function stackCommandAsync(env: Record<string, string>, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'scripts/stack/stack.mjs'), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`stack.mjs ${args.join(' ')} failed:\n${out}`)),
    );
  });
}

/**
 * A separate stack instance: PostgreSQL on `pgPort`, Kafka on `kafkaPort` (+1 controller), state
 * under its own directory (removed by `down()`).
 */
export function separateStack({
  pgPort,
  kafkaPort,
}: {
  pgPort: number;
  kafkaPort: number;
}): ChaosStack {
  const stateDir = join(tmpdir(), `paysync-chaos-stack-${pgPort}`);
  const stackEnv = {
    PAYSYNC_STACK_DIR: stateDir,
    PAYSYNC_PG_PORT: String(pgPort),
    PAYSYNC_KAFKA_PORT: String(kafkaPort),
    PAYSYNC_KAFKA_HEAP: '512m',
  };
  if (pgPort === 55432 || kafkaPort === 59092)
    throw new Error('the chaos stack must not use the shared stack ports');
  try {
    stackCommand(stackEnv, ['up']);
  } catch (err) {
    // Half started (one component up, the other failed): stop what did start.
    try {
      stackCommand(stackEnv, ['down']);
    } catch {
      // nothing was running
    }
    rmSync(stateDir, { recursive: true, force: true });
    throw err;
  }
  return {
    stackEnv,
    pgPort,
    kafkaBrokers: `127.0.0.1:${kafkaPort}`,
    own: true,
    serverUrl: (database) => `postgresql://postgres@127.0.0.1:${pgPort}/${database}`,
    control: (action, component) => stackCommandAsync(stackEnv, [action, component]),
    down() {
      stackCommand(stackEnv, ['down']);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Ports for a separate instance: below the kernel's ephemeral range (32768+), so an outgoing
 * connection cannot take one while the component is down; the first free candidates from `pg` and
 * `kafka` (Kafka also needs the next port, for its controller).
 */
export async function pickStackPorts(
  pg: number,
  kafka: number,
): Promise<{ pgPort: number; kafkaPort: number }> {
  for (let i = 0; i < 20; i++) {
    const pgPort = pg + i * 10;
    const kafkaPort = kafka + i * 10;
    if ((await portFree(pgPort)) && (await portFree(kafkaPort)) && (await portFree(kafkaPort + 1)))
      return { pgPort, kafkaPort };
  }
  throw new Error(`no free ports near ${pg} / ${kafka}`);
}

/** The shared stack (started if needed, never stopped, never faulted). */
export function sharedStack(): ChaosStack {
  stackCommand({}, ['up']);
  const pgPort = Number(process.env.PAYSYNC_PG_PORT ?? 55432);
  return {
    stackEnv: {},
    pgPort,
    kafkaBrokers: `127.0.0.1:${process.env.PAYSYNC_KAFKA_PORT ?? 59092}`,
    own: false,
    serverUrl: (database) => `postgresql://postgres@127.0.0.1:${pgPort}/${database}`,
    control: () =>
      Promise.reject(new Error('the shared stack is never stopped or killed by the chaos suite')),
    down: () => undefined,
  };
}

/** The services' login role of the stack (scripts/stack/stack-config.mjs; created by `up`). */
const APP_ROLE = process.env.PAYSYNC_PG_APP_ROLE ?? 'paysync_app';
const APP_PASSWORD = process.env.PAYSYNC_PG_APP_PASSWORD ?? 'paysync-local-dev';

/**
 * A freshly migrated `paysync_chaos_*` database on the stack (the services' login role joined to
 * paysync_runtime, as `npm run db:migrate` with DATABASE_APP_ROLE does); `url` is the owner's,
 * `appUrl` the login role's (under row-level security); `drop()` removes it.
 */
export async function chaosDatabase(
  stack: ChaosStack,
  name: string,
): Promise<{ url: string; appUrl: string; drop: () => Promise<void> }> {
  if (!/^paysync_chaos_[a-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: stack.serverUrl('postgres') });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin(`CREATE DATABASE "${name}"`);
  await applyMigrations({
    databaseUrl: stack.serverUrl(name),
    migrationsDir: join(repoRoot, 'prisma/migrations'),
    appRole: APP_ROLE,
  });
  const appUrl = new URL(stack.serverUrl(name));
  appUrl.username = APP_ROLE;
  appUrl.password = APP_PASSWORD;
  return {
    url: stack.serverUrl(name),
    appUrl: appUrl.toString(),
    drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/** Deletes this run's topics (a prefix of its own) from the stack's broker. */
export function deleteTopics(stack: ChaosStack, prefix: string): void {
  spawnSync(
    process.execPath,
    [join(repoRoot, 'scripts/image/delete-topics.mjs'), stack.kafkaBrokers, prefix],
    { stdio: 'ignore', timeout: 60_000 },
  );
}
