// Scenario `reconcile`: a simulator account of `--count N` customers (default 100,000) and the same
// customers in a fresh database, then drifted silently (1 % changed, 0.1 % deleted, 0.1 % created
// without a webhook). The recovery service's reconciler (built through its composition root in
// this process) reports the drift, repairs it, and checks again: seconds and objects/s per pass,
// the drift found against what was made, and this process's peak RSS during each pass.
// `--runs R` repeats the report-only pass and gives the median.
//
// Built to run at a million objects on a small machine: the simulator runs in its own process
// (its objects are generated from their index on demand, so seeding costs nothing) and the
// database is seeded by one SQL `generate_series` per 100,000 rows with exactly the canonical
// columns the simulator's customers map to (the write path would take minutes). So this
// process's RSS is the reconciler's (plus the app and Prisma around it), and a flat RSS from 100k
// to 1M says the reconciliation's memory does not grow with the account. Each pass resets the
// kernel's peak-RSS mark (/proc/self/clear_refs) so its peak is its own.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadConfig } from '@paysync/config';
import { ReconciliationRepository, type Db } from '@paysync/db';
import { BASE_CREATED, simId } from '@paysync/simulator';
import { freePort } from '@paysync/testkit';

import { buildApp } from '../../services/recovery/src/app.js';
import { configSchema } from '../../services/recovery/src/config.js';
import { benchConnection, freshDatabase } from './support.js';

import type { BenchContext, ScenarioResult } from './types.js';

const API_KEY = 'sk_test_benchReconcile1';
const root = join(import.meta.dirname, '../..');

function rssMiB(field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  return Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024);
}

/** Resets the peak-RSS mark to the current RSS (Linux: `echo 5 > /proc/self/clear_refs`). */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** The simulator as its own process (`paysync-sim serve`), seeded with `customers`. */
async function startSimulator(customers: number): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const child = spawn(
    join(root, 'node_modules/.bin/tsx'),
    [
      '--conditions=@paysync/source',
      'libs/simulator/src/cli.ts',
      'serve',
      '--port',
      String(port),
      '--customers',
      String(customers),
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/_sim/stats`)).status < 500) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('simulator did not start');
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, stop: () => child.kill('SIGTERM') };
}

/**
 * The simulator's first `count` customers as synced rows (what the write path stores for them),
 * at a version older than any listing.
 */
async function seedCustomers(prisma: Db, workspaceId: string, count: number): Promise<void> {
  const version = Date.now() - 3_600_000;
  for (let from = 0; from < count; from += 100_000) {
    const to = Math.min(count, from + 100_000) - 1;
    await prisma.$executeRaw`
      INSERT INTO customers (workspace_id, provider, external_id, email, name, phone, description,
        currency, balance, delinquent, metadata, provider_created_at, raw, source_version,
        synced_via, livemode)
      SELECT ${workspaceId}::uuid, 'stripe', o.id, o.email, o.name, NULL, NULL, 'usd', 0, false,
             jsonb_build_object('seq', i::text), to_timestamp(${BASE_CREATED}::bigint + i),
             jsonb_build_object('id', o.id, 'object', 'customer', 'balance', 0,
               'created', ${BASE_CREATED}::bigint + i, 'currency', 'usd', 'delinquent', false,
               'description', NULL, 'email', o.email, 'livemode', false,
               'metadata', jsonb_build_object('seq', i::text), 'name', o.name, 'phone', NULL),
             ${version}::bigint, 'backfill', false
        FROM generate_series(${from}::int, ${to}::int) AS i,
             LATERAL (SELECT 'cus_sim' || lpad(i::text, 10, '0') AS id,
                             'customer' || i || '@example.com' AS email,
                             'Customer ' || i AS name) AS o`;
  }
}

/** Drift the provider made without telling us: through the simulator's API, 16 at a time. */
async function drift(
  simUrl: string,
  ops: readonly { method: 'POST' | 'DELETE'; path: string; body?: string }[],
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < ops.length) {
      const op = ops[next++] as (typeof ops)[number];
      const res = await fetch(`${simUrl}${op.path}`, {
        method: op.method,
        headers: {
          authorization: `Bearer ${API_KEY}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        ...(op.body !== undefined && { body: op.body }),
      });
      if (!res.ok) throw new Error(`${op.method} ${op.path}: ${res.status}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

export async function reconcile(ctx: BenchContext): Promise<ScenarioResult> {
  const customers = ctx.count ?? 100_000;
  const runs = ctx.runs ?? 3;
  const database = await freshDatabase(ctx, 'reconcile');
  const sim = await startSimulator(customers);
  const { prisma, keys, workspaceId, connection } = await benchConnection(database.url, 'r1', {
    apiKey: API_KEY,
    // The simulator has no limit: this measures the reconciler, not the token bucket.
    settings: { apiBaseUrl: sim.url, rateLimitPerSecond: 1000 },
  });

  const seedStarted = performance.now();
  await seedCustomers(prisma, workspaceId, customers);
  await prisma.$executeRawUnsafe('ANALYZE customers');
  const seedSeconds = (performance.now() - seedStarted) / 1000;

  // Silent drift (no webhook endpoint is registered: nothing is delivered).
  const changed = Math.round(customers / 100);
  const deleted = Math.round(customers / 1000);
  const created = Math.round(customers / 1000);
  await drift(sim.url, [
    ...Array.from({ length: changed }, (_, i) => ({
      method: 'POST' as const,
      path: `/v1/customers/${simId('customers', i * 7)}`,
      body: `name=${encodeURIComponent(`drift ${i}`)}`,
    })),
    ...Array.from({ length: deleted }, (_, i) => ({
      method: 'DELETE' as const,
      path: `/v1/customers/${simId('customers', i * 7 + 3)}`,
    })),
    ...Array.from({ length: created }, (_, i) => ({
      method: 'POST' as const,
      path: '/v1/customers',
      body: `name=${encodeURIComponent(`created ${i}`)}`,
    })),
  ]);

  const app = await buildApp(
    loadConfig(configSchema, {
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'warn',
      DATABASE_URL: database.url,
      KAFKA_BROKERS: ctx.kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: `bench-reconcile-${process.pid}-`,
      KAFKA_CONSUMERS_ENABLED: 'false', // the bench drives the reconciler itself
      ENCRYPTION_KEYS: keys,
      API_ALLOWED_PROVIDER_BASE_URLS: sim.url,
    }),
  );
  await app.ready();
  const { reconciler } = app.diContainer.cradle;
  const runs_ = new ReconciliationRepository({ prisma });
  global.gc?.();
  const baselineRssMiB = rssMiB('VmRSS');
  const pass = async (repair: boolean) => {
    await runs_.create({
      workspaceId,
      configurationId: connection.id,
      provider: 'stripe',
      entityTypes: ['customer'],
      repair,
      trigger: 'manual',
      requestedBy: 'bench',
    });
    global.gc?.();
    const peakReset = resetPeakRss();
    const started = performance.now();
    const done = await reconciler.runNext();
    const seconds = (performance.now() - started) / 1000;
    const peakRssMiB = rssMiB('VmHWM');
    const run = await runs_.get(workspaceId, done?.id ?? '');
    return { seconds, status: run.status, drift: run.report.customer, peakRssMiB, peakReset };
  };

  const reportPasses = [];
  for (let r = 0; r < runs; r++) reportPasses.push(await pass(false));
  const repairPass = await pass(true);
  const cleanPass = await pass(false);
  await app.close();
  sim.stop();
  await prisma.$disconnect();
  await database.drop();

  const report = reportPasses[0]?.drift;
  const objects = customers + created - deleted;
  const reportSeconds = median(reportPasses.map((p) => p.seconds));
  const row = (
    name: string,
    seconds: number,
    d: typeof report,
    peak: number | undefined,
    extra = '',
  ) => [
    name,
    seconds.toFixed(1),
    String(Math.round(objects / seconds)),
    `${d?.missing ?? '-'}/${d?.stale ?? '-'}/${d?.deleted ?? '-'}`,
    String(d?.repaired ?? '-'),
    String(peak ?? '-'),
    extra,
  ];
  return {
    table: [
      ['pass', 's', 'objects/s', 'missing/stale/deleted', 'repaired', 'peak RSS MiB', 'note'],
      row(
        `report (median of ${runs})`,
        reportSeconds,
        report,
        Math.max(...reportPasses.map((p) => p.peakRssMiB)),
        `made ${created}/${changed}/${deleted}; RSS before ${baselineRssMiB} MiB`,
      ),
      row('repair', repairPass.seconds, repairPass.drift, repairPass.peakRssMiB),
      row(
        'after repair',
        cleanPass.seconds,
        cleanPass.drift,
        cleanPass.peakRssMiB,
        `seeded ${customers} rows by SQL in ${seedSeconds.toFixed(0)} s`,
      ),
    ],
    json: {
      customers,
      made: { missing: created, stale: changed, deleted },
      seedSeconds,
      baselineRssMiB,
      reportPasses,
      repairPass,
      cleanPass,
      peakRssMiB: rssMiB('VmHWM'),
    },
  };
}
