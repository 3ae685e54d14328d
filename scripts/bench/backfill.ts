// Scenario `backfill`: a real sync-runner process syncs a simulator account (in this process)
// into a fresh database: records/s per entity type and in total, the sync-runner's peak RSS, and
// every count verified in the database. `--count N` customers (products N/10, prices N/5,
// subscriptions N/2); `--latency MS --rate R` adds provider latency and a per-account limit and
// reports how close the run comes to the limit's ceiling (records/s ÷ (R × 100)).
// `--provider chargebee`: a Chargebee site at the test-site limit instead (backfill-chargebee.ts).
import { SyncedEntityReader } from '@paysync/db';
import { StripeSimulator } from '@paysync/simulator';
import { freePort } from '@paysync/testkit';

import { backfillChargebee } from './backfill-chargebee.js';
import {
  backfillExpectation,
  benchConnection,
  freshDatabase,
  flag as stringFlag,
  numericFlag as flag,
  peakRssMiB,
  runBackfillSession,
  startSyncRunner,
  stopProcess,
} from './support.js';

import type { BenchContext, ScenarioResult } from './types.js';

export async function backfill(ctx: BenchContext): Promise<ScenarioResult> {
  const provider = stringFlag('provider') ?? 'stripe';
  if (provider === 'chargebee') return backfillChargebee(ctx);
  if (provider !== 'stripe') throw new Error(`--provider ${provider}: stripe or chargebee`);
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

  const runner = startSyncRunner(ctx, {
    databaseUrl,
    keys,
    port: await freePort(),
    env: {
      API_ALLOWED_PROVIDER_BASE_URLS: simUrl,
      // The account limit is server configuration; the connection's own rate can only lower it.
      STRIPE_RATE_LIMIT_PER_SECOND_TEST: String(rate),
    },
  });
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
    await stopProcess(runner);
    await prisma.$disconnect();
    await sim.stop();
    await database.drop();
  }
}
