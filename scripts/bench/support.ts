import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import pg from 'pg';

import { ENTITY_TYPES, type EntityType, type ProviderName } from '@paysync/contracts';
import { KeyRing } from '@paysync/crypto';
import {
  ConnectionRepository,
  SyncSessionRepository,
  applyMigrations,
  createPrismaClient,
  type ConnectionView,
  type CreateConnectionInput,
  type Db,
} from '@paysync/db';

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

/**
 * A Prisma client on the scenario's database, a fresh encryption key ring (`<keyId>:<key>`, also
 * what the services get as ENCRYPTION_KEYS), a workspace named `bench` and one test-mode
 * connection in it (Stripe unless `connection.provider` says otherwise).
 */
export async function benchConnection(
  databaseUrl: string,
  keyId: string,
  connection: Omit<CreateConnectionInput, 'workspaceId' | 'provider' | 'mode'> & {
    readonly provider?: ProviderName;
  },
): Promise<{ prisma: Db; keys: string; workspaceId: string; connection: ConnectionView }> {
  const keys = `${keyId}:${KeyRing.generateKey()}`;
  const prisma = createPrismaClient({ url: databaseUrl, poolMax: 4, statementTimeoutMs: 60_000 });
  const workspaceId = (await prisma.workspace.create({ data: { name: 'bench' } })).id;
  const created = await new ConnectionRepository({
    prisma,
    keyRing: KeyRing.fromString(keys),
  }).create({ workspaceId, provider: 'stripe', mode: 'test', ...connection });
  return { prisma, keys, workspaceId, connection: created };
}

/**
 * The environment every service a scenario starts shares: the scenario's database and keys, the
 * stack's Kafka under `topicPrefix`, warn-level logs, and the ingress limits lifted (the bench
 * measures throughput, not the limiter).
 */
export function benchServiceEnv(
  ctx: BenchContext,
  { databaseUrl, keys, topicPrefix }: { databaseUrl: string; keys: string; topicPrefix: string },
): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: ctx.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: topicPrefix,
    ENCRYPTION_KEYS: keys,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    INGRESS_RATE_LIMIT_PER_IP: '1000000',
    INGRESS_RATE_LIMIT_PER_CONNECTION: '1000000',
    // Bench connections point at simulators on loopback (every provider-calling service checks).
    API_ALLOWED_PROVIDER_BASE_URLS: 'http://127.0.0.1:*',
  };
}

/** The value after `--name` on the bench's command line, if given. */
export function flag(name: string): string | undefined {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
}

/** `--name N` as a number, if given. */
export function numericFlag(name: string): number | undefined {
  const value = flag(name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name} ${value}: not a number`);
  return n;
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

/**
 * What a backfill of `seed` must land: the count per entity type, and those entity types in the
 * order a session lists them.
 */
export function backfillExpectation(
  seed: Record<'customers' | 'products' | 'prices' | 'subscriptions', number>,
): { expected: Partial<Record<EntityType, number>>; entityTypes: EntityType[] } {
  const expected: Partial<Record<EntityType, number>> = {
    customer: seed.customers,
    product: seed.products,
    price: seed.prices,
    subscription: seed.subscriptions,
  };
  return { expected, entityTypes: ENTITY_TYPES.filter((t) => expected[t] !== undefined) };
}

/**
 * A real sync-runner process on the scenario's database (`node --import tsx`: its pid is the
 * sync-runner itself, not a wrapper, so its RSS can be read); stderr shown, stdout dropped.
 */
export function startSyncRunner(
  ctx: BenchContext,
  {
    databaseUrl,
    keys,
    port,
    env = {},
  }: { databaseUrl: string; keys: string; port: number; env?: Record<string, string> },
): ChildProcess {
  return spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@paysync/source', 'services/sync-runner/src/main.ts'],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'warn',
        DATABASE_URL: databaseUrl,
        KAFKA_BROKERS: ctx.kafkaBrokers.join(','),
        KAFKA_TOPIC_PREFIX: `bench-${process.pid}-`,
        SYNC_RUNNER_GROUP_ID: `bench-${process.pid}`,
        ENCRYPTION_KEYS: keys,
        SYNC_POLL_INTERVAL_MS: '200',
        ...env,
      },
    },
  );
}

/** Stops a process started by the bench and waits for it to exit. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Peak resident set (VmHWM) of a process, in MiB. */
export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/**
 * Starts a backfill session of the bench connection and polls (every `pollMs`, one hour at the
 * most) until it is neither pending nor running; returns its id and that last status.
 */
export async function runBackfillSession(
  prisma: Db,
  connection: ConnectionView,
  entityTypes: readonly EntityType[],
  pollMs: number,
): Promise<{ sessionId: string; status: string }> {
  const session = await new SyncSessionRepository({ prisma }).createIfIdle({
    workspaceId: connection.workspaceId,
    configurationId: connection.id,
    provider: connection.provider,
    entityTypes,
    requestedBy: 'bench',
  });
  const deadline = Date.now() + 3_600_000;
  let status = 'pending';
  while (Date.now() < deadline) {
    status = (await prisma.paymentSyncSession.findUniqueOrThrow({ where: { id: session.id } }))
      .status;
    if (status !== 'pending' && status !== 'running') break;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return { sessionId: session.id, status };
}
