// Scenario `peers`: paysync and the peer a user would pick instead, @stripe/sync-engine 1.0.32,
// side by side in one run on the same machine and PostgreSQL, the same simulator as Stripe and the
// same pre-signed load generator. The peer is installed on demand into bench/peers/ (not an npm
// workspace, so `npm ci` stays lean) and run as its README suggests, in a process of its own.
//
//   webhooks   10,000 customer.created/updated events at c1, c16, c64 (`--count`): accepted/s,
//              ack p50/p99, all-rows-committed/s, rows verified, CPU ms per event per process
//   burst      100,000 events at c64 (`--burst`): paysync with its processor running, and with it
//              stopped then started (accept rate, then drain rate); the peer acks after writing
//   backfill   2k products, 4k prices, 20k customers, 10k subscriptions created over three years
//              (`--scale` multiplies), 25 req/s limit on both, at 0 and 100 ms API latency:
//              wall time, records/s, API calls, share of the limit's ceiling (25 × 100 records/s)
//
// `--runs N` (default 3) repeats everything; the table holds medians and the ratio (>1: paysync
// better). `--only webhooks,burst,backfill` picks parts, `--systems paysync` (or `peer`) one side,
// `--concurrency 1,64` the webhook levels. `--cpu-prof DIR` runs paysync's ingress and processor
// under `node --cpu-prof` (profiles written to DIR when they stop; summarise them with
// `node --import tsx scripts/bench/cpuprofile.ts DIR`). Writes bench-results/peers-<date>.md.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import pg from 'pg';

import { SyncedEntityReader, type Db } from '@paysync/db';
import { StripeSimulator, runLoad, type CollectionName, type LoadReport } from '@paysync/simulator';
import { freePort } from '@paysync/testkit';

import { CpuMeter, pidListeningOn } from './proc.js';
import {
  backfillExpectation,
  benchConnection,
  benchServiceEnv,
  flag,
  freshDatabase,
  runBackfillSession,
  waitReady,
} from './support.js';

import type { BenchContext, ScenarioResult } from './types.js';

const root = join(import.meta.dirname, '../..');
const PEER_DIR = join(root, 'bench/peers');
const PEER_VERSION = '1.0.32';
const OPENAPI_SPEC = join(root, '../shared/peers/stripe-openapi-2020-08-27.json');
const EVENT_TYPES = ['customer.created', 'customer.updated'];

type Better = 'higher' | 'lower';
interface Metric {
  readonly label: string;
  readonly better: Better;
  readonly paysync: number[];
  readonly peer: number[];
}

const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

class Results {
  readonly metrics = new Map<string, Metric>();
  readonly notes: string[] = [];

  add(key: string, label: string, better: Better, who: 'paysync' | 'peer', value: number): void {
    let m = this.metrics.get(key);
    if (!m) {
      m = { label, better, paysync: [], peer: [] };
      this.metrics.set(key, m);
    }
    m[who].push(value);
  }

  table(): string[][] {
    const fmt = (x: number) =>
      Number.isNaN(x) ? '—' : x >= 100 ? String(Math.round(x)) : x.toFixed(x >= 10 ? 1 : 2);
    const rows = [
      ['measure', '@stripe/sync-engine', 'paysync', 'paysync ÷ peer (>1 = paysync better)'],
    ];
    for (const m of this.metrics.values()) {
      const peer = median(m.peer);
      const ours = median(m.paysync);
      const ratio = m.better === 'higher' ? ours / peer : peer / ours;
      rows.push([
        m.label,
        fmt(peer),
        fmt(ours),
        Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '—',
      ]);
    }
    return rows;
  }
}

// ------------------------------------------------------------------ processes

/** Installs the peer into bench/peers/node_modules unless that exact version is there. */
function ensurePeerInstalled(): void {
  const pkg = join(PEER_DIR, 'node_modules/@stripe/sync-engine/package.json');
  if (
    existsSync(pkg) &&
    (JSON.parse(readFileSync(pkg, 'utf8')) as { version?: string }).version === PEER_VERSION
  )
    return;
  console.log(`[peers] installing @stripe/sync-engine@${PEER_VERSION} into bench/peers/`);
  const res = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: PEER_DIR,
    stdio: 'inherit',
  });
  if (res.status !== 0) throw new Error('npm ci in bench/peers failed');
  if (!existsSync(OPENAPI_SPEC))
    throw new Error(`the peer needs the OpenAPI spec at ${OPENAPI_SPEC}`);
}

/** A process whose pid is the measured program itself (no wrapper), stderr shown. */
function spawnNode(nodeArgs: string[], env: Record<string, string>, cwd = root): ChildProcess {
  return spawn(process.execPath, nodeArgs, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

function startPaysync(service: string, env: Record<string, string>): ChildProcess {
  const profileDir = flag('cpu-prof');
  const profile = profileDir
    ? // One file per thread (the loader hooks run in a worker): CPU.<date>.<pid>.<thread>.
      ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, service)}`]
    : [];
  const child = spawnNode(
    [
      ...profile,
      '--import',
      'tsx',
      '--conditions=@paysync/source',
      `services/${service}/src/main.ts`,
    ],
    env,
  );
  child.stdout?.resume();
  return child;
}

function peerProcess(mode: string, env: Record<string, string>): ChildProcess {
  return spawnNode(['stripe-sync-engine.mjs', mode], env, PEER_DIR);
}

/** The first stdout line of `child` that parses as JSON (the peer's protocol). */
async function firstJsonLine(
  child: ChildProcess,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    for await (const line of lines) {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        // progress output
      }
    }
    throw new Error(`the peer exited (${child.exitCode}) without its result`);
  } finally {
    clearTimeout(timer);
    child.stdout?.resume();
  }
}

/**
 * Deletes the topics of one paysync run (its own prefix) once its services stopped: a broker
 * shared by many runs and test suites runs out of file handles on left-over partitions.
 */
function deleteTopics(ctx: BenchContext, prefix: string): void {
  const res = spawnSync(
    process.execPath,
    [join(root, 'scripts/image/delete-topics.mjs'), ctx.kafkaBrokers[0] ?? '', prefix],
    { stdio: 'ignore', timeout: 60_000 },
  );
  if (res.status !== 0) console.warn(`[peers] could not delete the topics ${prefix}*`);
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return performance.now();
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ------------------------------------------------------------------ the two systems

interface WebhookTarget {
  readonly name: 'paysync' | 'peer';
  readonly url: string;
  readonly secret: string;
  /** Processes whose CPU time is charged to this system, besides PostgreSQL and Kafka. */
  readonly procs: Record<string, number | undefined>;
  /** Resolves when every row of the run is committed; returns the count found. */
  committed(runId: string, expected: number, timeoutMs: number): Promise<number>;
  close(): Promise<void>;
}

async function peerDatabase(
  ctx: BenchContext,
  tag: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `paysync_bench_peer_${tag}_${process.pid}`;
  const admin = new pg.Client({ connectionString: ctx.serverUrl('postgres') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = ctx.serverUrl(name);
  const migrate = peerProcess('migrate', {
    PEER_DATABASE_URL: url,
    PEER_OPENAPI_SPEC: OPENAPI_SPEC,
    PEER_STRIPE_BASE_URL: 'http://127.0.0.1:9',
  });
  await firstJsonLine(migrate, 300_000);
  await new Promise((r) => (migrate.exitCode !== null ? r(null) : migrate.once('exit', r)));
  if (migrate.exitCode !== 0) throw new Error(`the peer's migrations exited ${migrate.exitCode}`);
  return {
    url,
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

async function peerTarget(ctx: BenchContext, simUrl: string): Promise<WebhookTarget> {
  const database = await peerDatabase(ctx, 'wh');
  const secret = `whsec_peer_${Date.now()}`;
  const port = await freePort();
  const child = peerProcess('serve', {
    PEER_DATABASE_URL: database.url,
    PEER_STRIPE_BASE_URL: simUrl,
    PEER_STRIPE_KEY: 'sk_test_peerBench0001',
    PEER_WEBHOOK_SECRET: secret,
    PEER_PORT: String(port),
    PEER_POOL_MAX: '10',
  });
  await firstJsonLine(child, 60_000);
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  return {
    name: 'peer',
    url: `http://127.0.0.1:${port}/webhooks`,
    secret,
    procs: { peer: child.pid },
    async committed(runId, expected, timeoutMs) {
      let found = 0;
      await until(
        'the peer rows',
        async () => {
          const { rows } = await client.query<{ n: string }>(
            `SELECT count(*) AS n FROM stripe.customers WHERE id LIKE $1`,
            [`cus_ld${runId}%`],
          );
          found = Number(rows[0]?.n ?? 0);
          return found >= expected;
        },
        timeoutMs,
      );
      return found;
    },
    async close() {
      await stop(child);
      await client.end();
      await database.drop();
    },
  };
}

interface PaysyncTarget extends WebhookTarget {
  stopProcessor(): Promise<void>;
  startProcessor(): Promise<void>;
  /** Batches the processor has applied so far (its `paysync_processor_batch_size` count). */
  processorBatches(): Promise<number>;
}

async function paysyncTarget(ctx: BenchContext, simUrl: string): Promise<PaysyncTarget> {
  const database = await freshDatabase(ctx, 'peers_webhooks');
  const secret = `whsec_bench_${Date.now()}`;
  const { prisma, keys, workspaceId, connection } = await benchConnection(database.url, 'p1', {
    apiKey: 'sk_test_benchPeers0001',
    webhookSecrets: [secret],
    settings: { apiBaseUrl: simUrl },
  });
  const topicPrefix = `bench-peers-${Date.now().toString(36)}`;
  const env = benchServiceEnv(ctx, { databaseUrl: database.url, keys, topicPrefix });
  const [ingressPort, processorPort] = [await freePort(), await freePort()];
  const ingress = startPaysync('ingress', { ...env, PORT: String(ingressPort) });
  const processorEnv = {
    ...env,
    API_ALLOWED_PROVIDER_BASE_URLS: simUrl,
    PORT: String(processorPort),
    PROCESSOR_GROUP_ID: `bench-peers-${Date.now()}`,
  };
  let processor: ChildProcess | undefined = startPaysync('processor', processorEnv);
  await Promise.all([waitReady(ingressPort), waitReady(processorPort)]);
  const target: PaysyncTarget = {
    name: 'paysync',
    url: `http://127.0.0.1:${ingressPort}/webhooks/stripe/${connection.id}`,
    secret,
    get procs() {
      return { ingress: ingress.pid, processor: processor?.pid };
    },
    async committed(runId, expected, timeoutMs) {
      let found = 0;
      await until(
        'paysync rows',
        async () => {
          found = await countCustomers(prisma, workspaceId, runId);
          return found >= expected;
        },
        timeoutMs,
      );
      return found;
    },
    async processorBatches() {
      const text = await (await fetch(`http://127.0.0.1:${processorPort}/metrics`)).text();
      return Number(
        /^paysync_processor_batch_size_count(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0,
      );
    },
    async stopProcessor() {
      await stop(processor);
      processor = undefined;
    },
    async startProcessor() {
      processor = startPaysync('processor', processorEnv);
      await waitReady(processorPort);
    },
    async close() {
      await Promise.all([stop(ingress), stop(processor)]);
      deleteTopics(ctx, topicPrefix);
      await prisma.$disconnect();
      await database.drop();
    },
  };
  return target;
}

async function countCustomers(prisma: Db, workspaceId: string, runId: string): Promise<number> {
  const [row] = await prisma.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM customers
     WHERE workspace_id = ${workspaceId}::uuid AND external_id LIKE ${`cus_ld${runId}%`}`;
  return Number(row?.n ?? 0);
}

// ------------------------------------------------------------------ scenarios

function stackPids(ctx: BenchContext): { postgres: number | undefined; kafka: number | undefined } {
  const pgPort = Number(/:(\d+)\//.exec(ctx.serverUrl('x'))?.[1]);
  const kafkaPort = Number(ctx.kafkaBrokers[0]?.split(':')[1]);
  return { postgres: pidListeningOn(pgPort), kafka: pidListeningOn(kafkaPort) };
}

async function send(
  target: WebhookTarget,
  runId: string,
  count: number,
  concurrency: number,
): Promise<LoadReport> {
  const report = await runLoad({
    url: target.url,
    secret: target.secret,
    count,
    concurrency,
    runId,
    types: EVENT_TYPES,
    maxDurationMs: 600_000,
  });
  if (report.accepted !== report.sent)
    throw new Error(
      `${target.name}: ${report.accepted} of ${report.sent} accepted (${JSON.stringify(report.statuses)})`,
    );
  return report;
}

async function webhooksPart(
  ctx: BenchContext,
  results: Results,
  run: number,
  target: WebhookTarget,
  count: number,
): Promise<void> {
  const stack = stackPids(ctx);
  await send(target, `r${run}warm${target.name[1]}x`, 300, 8);
  const levels = (flag('concurrency') ?? '1,16,64').split(',').map(Number);
  for (const c of levels) {
    const runId = `r${run}c${c}${target.name[1]}x`;
    const meter = new CpuMeter({
      ...Object.fromEntries(Object.entries(target.procs).map(([k, pid]) => [k, { pid }])),
      kafka: { pid: target.name === 'paysync' ? stack.kafka : undefined },
      postgres: { pid: stack.postgres, tree: true },
    });
    const batches = 'processorBatches' in target ? (target as PaysyncTarget) : undefined;
    const batchesBefore = await batches?.processorBatches();
    meter.start();
    const started = performance.now();
    const report = await send(target, runId, count, c);
    const rows = await target.committed(runId, report.objects, 600_000);
    const committedAt = performance.now();
    const cpu = meter.stop();
    const calls = meter.syscalls();
    if (batches && batchesBefore !== undefined) {
      const applied = (await batches.processorBatches()) - batchesBefore;
      results.add(
        `c${c}.batch`,
        `c${c} events per processor transaction`,
        'higher',
        target.name,
        applied > 0 ? report.accepted / applied : NaN,
      );
    }
    if (rows !== report.objects)
      throw new Error(`${target.name} c${c}: ${rows} rows for ${report.objects} objects`);
    const who = target.name;
    results.add(`c${c}.accepted`, `c${c} accepted/s`, 'higher', who, report.acceptedPerSecond);
    results.add(`c${c}.p50`, `c${c} ack p50 ms`, 'lower', who, report.latencyMs.p50);
    results.add(`c${c}.p99`, `c${c} ack p99 ms`, 'lower', who, report.latencyMs.p99);
    results.add(
      `c${c}.committed`,
      `c${c} all rows committed/s (${count} events, rows verified)`,
      'higher',
      who,
      (report.accepted / (committedAt - started)) * 1000,
    );
    // Where the time goes, at one event per round trip (c1) and under load (c64).
    if (c === 1 || c === 64) {
      const key = c === 64 ? '' : `c${c}.`;
      for (const [proc, seconds] of Object.entries(cpu))
        results.add(
          `${key}cpu.${proc}`,
          `c${c} CPU ms per event: ${proc === 'peer' ? 'the peer process' : proc}`,
          'lower',
          who,
          (seconds / report.accepted) * 1000,
        );
      for (const [proc, n] of Object.entries(calls))
        results.add(
          `${key}io.${proc}`,
          `c${c} read+write syscalls per event: ${proc === 'peer' ? 'the peer process' : proc}`,
          'lower',
          who,
          n / report.accepted,
        );
      const total = Object.values(cpu).reduce((a, b) => a + b, 0);
      results.add(
        `${key}cpu.total`,
        `c${c} CPU ms per event, all processes`,
        'lower',
        who,
        (total / report.accepted) * 1000,
      );
    }
  }
}

async function burstPart(
  results: Results,
  run: number,
  target: WebhookTarget,
  burst: number,
): Promise<void> {
  const who = target.name;
  const runId = `r${run}b${who[1]}x`;
  const started = performance.now();
  const report = await send(target, runId, burst, 64);
  const rows = await target.committed(runId, report.objects, 900_000);
  const drained = performance.now();
  if (rows !== report.objects) throw new Error(`${who} burst: ${rows} rows of ${report.objects}`);
  results.add(
    'burst.accepted',
    `burst ${burst} at c64: accepted/s`,
    'higher',
    who,
    report.acceptedPerSecond,
  );
  results.add(
    'burst.drain',
    `burst ${burst} at c64: all rows committed/s`,
    'higher',
    who,
    (report.accepted / (drained - started)) * 1000,
  );
  if ('stopProcessor' in target) {
    const ps = target as PaysyncTarget;
    await ps.stopProcessor();
    const id = `r${run}s${who[1]}x`;
    const offline = await send(ps, id, burst, 64);
    results.add(
      'burst.offline',
      `burst ${burst} at c64, processor stopped: accepted/s`,
      'higher',
      who,
      offline.acceptedPerSecond,
    );
    const restarted = performance.now();
    await ps.startProcessor();
    await ps.committed(id, offline.objects, 900_000);
    results.add(
      'burst.restart',
      `then processor started: drained events/s (start-up included)`,
      'higher',
      who,
      (offline.accepted / (performance.now() - restarted)) * 1000,
    );
  }
}

// ------------------------------------------------------------------ backfill

const YEARS_3 = 3 * 365 * 86_400;

function backfillSeed(
  scale: number,
): Record<'products' | 'prices' | 'customers' | 'subscriptions', number> {
  return {
    products: Math.round(2_000 * scale),
    prices: Math.round(4_000 * scale),
    customers: Math.round(20_000 * scale),
    subscriptions: Math.round(10_000 * scale),
  };
}

function backfillSimulator(
  seed: ReturnType<typeof backfillSeed>,
  latencyMs: number,
): StripeSimulator {
  const createdStepSeconds = Object.fromEntries(
    Object.entries(seed).map(([c, n]) => [c, Math.max(1, Math.floor(YEARS_3 / Math.max(1, n)))]),
  ) as Partial<Record<CollectionName, number>>;
  const sim = new StripeSimulator({ seed, createdStepSeconds });
  sim.faults = { latencyMs, rate429: 0, rate500: 0, rateReset: 0, retryAfterSeconds: 1 };
  return sim;
}

const apiCalls = (sim: StripeSimulator): number =>
  [...sim.requestCounts.entries()]
    .filter(([k]) => !k.includes('/v1/account'))
    .reduce((n, [, v]) => n + v, 0);

/** One system's backfill of `seed` through a simulator with `latencyMs` and an account `rate`. */
type BackfillRun = (
  ctx: BenchContext,
  seed: ReturnType<typeof backfillSeed>,
  latencyMs: number,
  rate: number,
) => Promise<{ seconds: number; records: number; calls: number; cpu: number }>;

const paysyncBackfill: BackfillRun = async (ctx, seed, latencyMs, rate) => {
  const database = await freshDatabase(ctx, 'peers_backfill');
  const sim = backfillSimulator(seed, latencyMs);
  const simUrl = await sim.start();
  const { prisma, keys, workspaceId, connection } = await benchConnection(database.url, 'b1', {
    apiKey: 'sk_test_benchPeersBackfill',
    settings: { apiBaseUrl: simUrl, rateLimitPerSecond: rate },
  });
  const port = await freePort();
  const topicPrefix = `bench-pb-${process.pid}-${Date.now().toString(36)}-`;
  const runner = startPaysync('sync-runner', {
    ...benchServiceEnv(ctx, {
      databaseUrl: database.url,
      keys,
      topicPrefix,
    }),
    PORT: String(port),
    API_ALLOWED_PROVIDER_BASE_URLS: simUrl,
    SYNC_RUNNER_GROUP_ID: `bench-pb-${process.pid}-${Date.now()}`,
    SYNC_POLL_INTERVAL_MS: '100',
  });
  try {
    await waitReady(port);
    const { expected, entityTypes } = backfillExpectation(seed);
    sim.requestCounts.clear();
    const meter = new CpuMeter({ runner: { pid: runner.pid } });
    meter.start();
    const { sessionId, status } = await runBackfillSession(prisma, connection, entityTypes, 200);
    const cpu = Object.values(meter.stop()).reduce((a, b) => a + b, 0);
    if (status !== 'completed') {
      const failed = await prisma.paymentSyncSession.findUniqueOrThrow({
        where: { id: sessionId },
      });
      throw new Error(
        `paysync backfill ended ${status}: ${JSON.stringify(failed.error ?? failed)}`,
      );
    }
    const done = await prisma.paymentSyncSession.findUniqueOrThrow({ where: { id: sessionId } });
    const reader = new SyncedEntityReader({ prisma });
    let records = 0;
    for (const t of entityTypes) {
      const n = await reader.count(workspaceId, t);
      if (n !== expected[t]) throw new Error(`paysync ${t}: ${n} rows, expected ${expected[t]}`);
      records += n;
    }
    const seconds = ((done.finishedAt?.getTime() ?? 0) - (done.startedAt?.getTime() ?? 0)) / 1000;
    return { seconds, records, calls: apiCalls(sim), cpu };
  } finally {
    await stop(runner);
    deleteTopics(ctx, topicPrefix);
    await prisma.$disconnect();
    await sim.stop();
    await database.drop();
  }
};

const peerBackfill: BackfillRun = async (ctx, seed, latencyMs, rate) => {
  const database = await peerDatabase(ctx, 'bf');
  const sim = backfillSimulator(seed, latencyMs);
  const simUrl = await sim.start();
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    sim.requestCounts.clear();
    const child = peerProcess('backfill', {
      PEER_DATABASE_URL: database.url,
      PEER_STRIPE_BASE_URL: simUrl,
      PEER_STRIPE_KEY: 'sk_test_peerBackfill01',
      PEER_RATE_LIMIT: String(rate),
      PEER_OBJECTS: 'product,price,customer,subscription',
    });
    const meter = new CpuMeter({ peer: { pid: child.pid } });
    meter.start();
    const result = await firstJsonLine(child, 3_600_000);
    const cpu = Object.values(meter.stop()).reduce((a, b) => a + b, 0);
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    const tables = {
      products: seed.products,
      prices: seed.prices,
      customers: seed.customers,
      subscriptions: seed.subscriptions,
    };
    let records = 0;
    for (const [table, expected] of Object.entries(tables)) {
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM stripe."${table}"`,
      );
      const n = Number(rows[0]?.n ?? 0);
      if (n !== expected) throw new Error(`peer ${table}: ${n} rows, expected ${expected}`);
      records += n;
    }
    return { seconds: Number(result.seconds), records, calls: apiCalls(sim), cpu };
  } finally {
    await client.end();
    await sim.stop();
    await database.drop();
  }
};

async function backfillPart(
  ctx: BenchContext,
  results: Results,
  scale: number,
  rate: number,
): Promise<void> {
  const seed = backfillSeed(scale);
  const total = Object.values(seed).reduce((a, b) => a + b, 0);
  for (const latencyMs of [0, 100]) {
    for (const [who, run] of [
      ['peer', peerBackfill],
      ['paysync', paysyncBackfill],
    ] as const) {
      const r = await run(ctx, seed, latencyMs, rate);
      const label = `backfill ${total} objects, ${rate} req/s limit, ${latencyMs} ms latency`;
      results.add(`bf${latencyMs}.seconds`, `${label}: wall s`, 'lower', who, r.seconds);
      results.add(
        `bf${latencyMs}.rate`,
        `${label}: records/s`,
        'higher',
        who,
        r.records / r.seconds,
      );
      results.add(`bf${latencyMs}.calls`, `${label}: API calls`, 'lower', who, r.calls);
      results.add(
        `bf${latencyMs}.ceiling`,
        `${label}: % of the ${rate * 100}/s ceiling`,
        'higher',
        who,
        (100 * r.records) / r.seconds / (rate * 100),
      );
      results.add(
        `bf${latencyMs}.cpu`,
        `${label}: CPU s of the syncing process`,
        'lower',
        who,
        r.cpu,
      );
    }
  }
}

// ------------------------------------------------------------------ entry

export async function peers(ctx: BenchContext): Promise<ScenarioResult> {
  ensurePeerInstalled();
  const runs = ctx.runs ?? 3;
  const count = ctx.count ?? 10_000;
  const burst = Number(flag('burst') ?? 100_000);
  const scale = Number(flag('scale') ?? 1);
  const rate = Number(flag('rate') ?? 25);
  const only = new Set((flag('only') ?? 'webhooks,burst,backfill').split(','));
  const results = new Results();

  for (let run = 1; run <= runs; run++) {
    console.log(`[peers] run ${run} of ${runs}`);
    if (only.has('webhooks') || only.has('burst')) {
      const sim = new StripeSimulator();
      const simUrl = await sim.start();
      try {
        // Alternate who goes first, so neither always gets the warmer machine.
        const order =
          run % 2 === 1 ? (['peer', 'paysync'] as const) : (['paysync', 'peer'] as const);
        const systems = new Set((flag('systems') ?? 'peer,paysync').split(','));
        for (const who of order.filter((w) => systems.has(w))) {
          const target =
            who === 'peer' ? await peerTarget(ctx, simUrl) : await paysyncTarget(ctx, simUrl);
          try {
            if (only.has('webhooks')) await webhooksPart(ctx, results, run, target, count);
            if (only.has('burst')) await burstPart(results, run, target, burst);
          } finally {
            await target.close();
          }
        }
      } finally {
        await sim.stop();
      }
    }
    if (only.has('backfill')) await backfillPart(ctx, results, scale, rate);
  }

  const table = results.table();
  const date = new Date().toISOString();
  const markdown = [
    `# paysync vs @stripe/sync-engine ${PEER_VERSION} — medians of ${runs} run(s)`,
    '',
    `Machine: ${cpus().length} cores, ${cpus()[0]?.model}, node ${process.version}; ${date}.`,
    `Command: \`npm run bench -- peers ${process.argv
      .slice(2)
      .filter((a) => a !== 'peers')
      .join(
        ' ',
      )}\`. Same PostgreSQL (the stack's), same simulator as Stripe, same pre-signed load generator.`,
    '',
    `| ${table[0]?.join(' | ')} |`,
    `|${table[0]?.map(() => '---').join('|')}|`,
    ...table.slice(1).map((r) => `| ${r.join(' | ')} |`),
    '',
  ].join('\n');
  mkdirSync(join(root, 'bench-results'), { recursive: true });
  const file = join(root, 'bench-results', `peers-${date.replace(/[:.]/g, '-')}.md`);
  writeFileSync(file, markdown);
  console.log(`(markdown written to ${file})`);
  return {
    table,
    json: {
      runs,
      count,
      burst,
      scale,
      rate,
      metrics: Object.fromEntries(results.metrics),
    },
  };
}
