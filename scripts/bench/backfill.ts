// Scenario `backfill`: a real sync-runner process syncs a simulator account (in this process)
// into a fresh database: records/s per entity type and in total, the sync-runner's peak RSS, and
// every count verified in the database. `--count N` customers (products N/10, prices N/5,
// subscriptions N/2); `--latency MS --rate R` adds provider latency and a per-account limit and
// reports how close the run comes to the limit's ceiling (records/s ÷ (R × 100)).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { SyncedEntityReader } from '@paysync/db';
import { StripeSimulator } from '@paysync/simulator';
import { freePort } from '@paysync/testkit';

import {
  backfillExpectation,
  benchConnection,
  freshDatabase,
  runBackfillSession,
} from './support.js';

import type { BenchContext, ScenarioResult } from './types.js';

const root = join(import.meta.dirname, '../..');
const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : undefined;
};

/** Peak resident set (VmHWM) of a process, in MiB. */
function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

export async function backfill(ctx: BenchContext): Promise<ScenarioResult> {
  const customers = ctx.count ?? 100_000;
  const latencyMs = flag('latency') ?? 0;
  const rate = flag('rate') ?? 1000;
  const seed = {
    customers,
    products: Math.round(customers / 10),
    prices: Math.round(customers / 5),
    subscriptions: Math.round(customers / 2),
  };
  const { expected, entityTypes } = backfillExpectation(seed);

  const database = await freshDatabase(ctx, 'backfill');
  const databaseUrl = database.url;
  const sim = new StripeSimulator({ seed });
  const simUrl = await sim.start();
  sim.faults = { latencyMs, rate429: 0, rate500: 0, rateReset: 0, retryAfterSeconds: 1 };

  const { prisma, keys, workspaceId, connection } = await benchConnection(databaseUrl, 'b1', {
    apiKey: 'sk_test_benchBackfill01',
    settings: { apiBaseUrl: simUrl, rateLimitPerSecond: rate },
  });

  const port = await freePort();
  // node --import tsx: the measured pid is the sync-runner itself, not a wrapper.
  const runner = spawn(
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
        API_ALLOWED_PROVIDER_BASE_URLS: simUrl,
        // The account limit is server configuration; the connection's own rate can only lower it.
        STRIPE_RATE_LIMIT_PER_SECOND_TEST: String(rate),
      },
    },
  );
  try {
    const { sessionId, status } = await runBackfillSession(prisma, connection, entityTypes, 500);
    const rss = runner.pid ? peakRssMiB(runner.pid) : 0;
    if (status !== 'completed') throw new Error(`session ended ${status}`);
    const done = await prisma.paymentSyncSession.findUniqueOrThrow({ where: { id: sessionId } });
    const units = await prisma.syncUnit.findMany({ where: { sessionId } });
    const reader = new SyncedEntityReader({ prisma });
    const table = [
      ['entity type', 'records', 'in db', 'seconds', 'records/s', 'requests', 'segments'],
    ];
    let total = 0;
    let requests = 0;
    for (const t of entityTypes) {
      const mine = units.filter((u) => u.entityType === t);
      const fetched = mine.reduce((n, u) => n + u.fetched, 0);
      const req = mine.reduce((n, u) => n + u.requests, 0);
      const started = Math.min(...mine.map((u) => u.startedAt?.getTime() ?? Infinity));
      const finished = Math.max(...mine.map((u) => u.finishedAt?.getTime() ?? 0));
      const inDb = await reader.count(workspaceId, t);
      if (inDb !== expected[t])
        throw new Error(`${t}: ${inDb} in the database, expected ${expected[t]}`);
      const seconds = (finished - started) / 1000;
      total += fetched;
      requests += req;
      table.push([
        t,
        String(fetched),
        String(inDb),
        seconds.toFixed(1),
        String(Math.round(fetched / seconds)),
        String(req),
        String(mine.length),
      ]);
    }
    const seconds = ((done.finishedAt?.getTime() ?? 0) - (done.startedAt?.getTime() ?? 0)) / 1000;
    const perSecond = Math.round(total / seconds);
    table.push([
      'total',
      String(total),
      '',
      seconds.toFixed(1),
      String(perSecond),
      String(requests),
      '',
    ]);
    table.push([
      `sync-runner peak RSS ${rss} MiB`,
      `latency ${latencyMs} ms`,
      `limit ${rate}/s`,
      '',
      latencyMs > 0 || rate < 1000
        ? `${Math.round((100 * perSecond) / (Math.min(rate, 1000) * 100))}% of ceiling`
        : '',
      '',
      '',
    ]);
    return {
      table,
      json: {
        customers,
        latencyMs,
        rate,
        seconds,
        total,
        perSecond,
        requests,
        peakRssMiB: rss,
        units: units.length,
      },
    };
  } finally {
    runner.kill('SIGTERM');
    await new Promise((r) => runner.once('exit', r));
    await prisma.$disconnect();
    await sim.stop();
    await database.drop();
  }
}
