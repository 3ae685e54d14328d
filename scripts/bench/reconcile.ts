// Scenario `reconcile`: a simulator account of `--count N` customers (default 100,000) synced into
// a fresh database, then drifted silently (1 % changed, 0.1 % deleted, 0.1 % created without a
// webhook). The recovery service's reconciler (built through its composition root in this process)
// reports the drift, repairs it, and checks again: seconds and objects/s per pass, the drift found
// against what was made, and this process's peak RSS (simulator included: an upper bound).
// `--runs R` repeats the report-only pass and gives the median.
import { readFileSync } from 'node:fs';

import { loadConfig } from '@paysync/config';
import { ReconciliationRepository, SyncWriteRepository } from '@paysync/db';
import { StripeProvider } from '@paysync/providers';
import { StripeSimulator, simId } from '@paysync/simulator';

import { buildApp } from '../../services/recovery/src/app.js';
import { configSchema } from '../../services/recovery/src/config.js';
import { benchConnection, freshDatabase } from './support.js';

import type { BenchContext, ScenarioResult } from './types.js';

function peakRssMiB(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export async function reconcile(ctx: BenchContext): Promise<ScenarioResult> {
  const customers = ctx.count ?? 100_000;
  const runs = ctx.runs ?? 3;
  const database = await freshDatabase(ctx, 'reconcile');
  const sim = new StripeSimulator({ seed: { customers } });
  const simUrl = await sim.start();
  const { prisma, keys, workspaceId, connection } = await benchConnection(database.url, 'r1', {
    apiKey: 'sk_test_benchReconcile1',
    // The simulator has no limit: this measures the reconciler, not the token bucket.
    settings: { apiBaseUrl: simUrl, rateLimitPerSecond: 1000 },
  });

  // The initial sync, through the shared write path as the sync-runner does it.
  const provider = new StripeProvider({ apiKey: 'sk_test_benchReconcile1', apiBaseUrl: simUrl });
  const writes = new SyncWriteRepository({ prisma });
  let cursor: string | null = null;
  do {
    const page = await provider.listPage(
      'customer',
      { cursor, limit: 100 },
      { workspaceId, source: 'backfill' },
    );
    await writes.applyChanges(page.changes);
    cursor = page.nextCursor;
  } while (cursor);

  // Silent drift.
  const changed = Math.round(customers / 100);
  const deleted = Math.round(customers / 1000);
  const created = Math.round(customers / 1000);
  for (let i = 0; i < changed; i++)
    sim.update('customers', simId('customers', i * 7), { name: `drift ${i}` }, { silent: true });
  for (let i = 0; i < deleted; i++)
    sim.delete('customers', simId('customers', i * 7 + 3), { silent: true });
  for (let i = 0; i < created; i++) sim.create('customers', { name: `created ${i}` });

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
    }),
  );
  await app.ready();
  const { reconciler } = app.diContainer.cradle;
  const runs_ = new ReconciliationRepository({ prisma });
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
    const started = performance.now();
    const done = await reconciler.runNext();
    const seconds = (performance.now() - started) / 1000;
    const run = await runs_.get(workspaceId, done?.id ?? '');
    return { seconds, status: run.status, drift: run.report.customer };
  };

  const reportPasses = [];
  for (let r = 0; r < runs; r++) reportPasses.push(await pass(false));
  const repairPass = await pass(true);
  const cleanPass = await pass(false);
  await app.close();
  await sim.stop();
  await prisma.$disconnect();
  await database.drop();

  const report = reportPasses[0]?.drift;
  const objects = customers + created - deleted;
  const reportSeconds = median(reportPasses.map((p) => p.seconds));
  const row = (name: string, seconds: number, d: typeof report, extra = '') => [
    name,
    seconds.toFixed(1),
    String(Math.round(objects / seconds)),
    `${d?.missing ?? '-'}/${d?.stale ?? '-'}/${d?.deleted ?? '-'}`,
    String(d?.repaired ?? '-'),
    extra,
  ];
  return {
    table: [
      ['pass', 's', 'objects/s', 'missing/stale/deleted', 'repaired', 'note'],
      row(
        `report (median of ${runs})`,
        reportSeconds,
        report,
        `made ${created}/${changed}/${deleted}`,
      ),
      row('repair', repairPass.seconds, repairPass.drift),
      row('after repair', cleanPass.seconds, cleanPass.drift, `peak RSS ${peakRssMiB()} MiB`),
    ],
    json: {
      customers,
      made: { missing: created, stale: changed, deleted },
      reportPasses,
      repairPass,
      cleanPass,
      peakRssMiB: peakRssMiB(),
    },
  };
}
