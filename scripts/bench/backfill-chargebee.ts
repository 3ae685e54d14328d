// Scenario `backfill --provider chargebee`: a real sync-runner process backfills a Chargebee
// simulator site at the test-site limit (150 requests per sliding minute, 100 objects a page: a
// ceiling of 250 objects/s) into a fresh database. A mixed set of `--count N` objects (default
// 20,000: about 80 s at the ceiling): customers 30 %, items 2 %, item prices 4 %, subscriptions
// 20 %, invoices 22 %, transactions 22 %, each rounded to whole pages. Reports records/s, the API
// calls and 429s the site served, and the share of the ceiling reached; every count is verified
// in the database. `--rate-per-minute R` (default 150) and `--latency MS` (default 0) change the
// site's limit and answer time; `--pace-per-minute P` (default R) sets paysync's configured rate
// for the site (CHARGEBEE_RATE_LIMIT_PER_MINUTE_TEST), e.g. a little under the site's limit;
// `--segments S` the sync-runner's SYNC_SEGMENTS_PER_ENTITY (default: the service's).
import type { EntityType } from '@paysync/contracts';
import { SyncedEntityReader } from '@paysync/db';
import { ChargebeeSimulator, type ChargebeeResource } from '@paysync/simulator';
import { freePort } from '@paysync/testkit';

import {
  benchConnection,
  freshDatabase,
  numericFlag as flag,
  peakRssMiB,
  runBackfillSession,
  startSyncRunner,
  stopProcess,
} from './support.js';

import type { BenchContext, ScenarioResult } from './types.js';

/** Chargebee resource → the canonical entity type it lands as, and its share of the set (%). */
const MIX: readonly (readonly [ChargebeeResource, EntityType, number])[] = [
  ['customer', 'customer', 30],
  ['item', 'product', 2],
  ['item_price', 'price', 4],
  ['subscription', 'subscription', 20],
  ['invoice', 'invoice', 22],
  ['transaction', 'payment_transaction', 22],
];
const PAGE = 100;

/** Objects per resource: `total` split by MIX, each a whole number of pages (at least one). */
export function chargebeeBenchSeed(total: number): Record<ChargebeeResource, number> {
  const seed = Object.fromEntries(
    MIX.map(([resource, , share]) => [
      resource,
      Math.max(PAGE, Math.round((total * share) / 100 / PAGE) * PAGE),
    ]),
  );
  return { credit_note: 0, ...seed } as Record<ChargebeeResource, number>;
}

/** The most requests any sliding 60 s window held (what the site's limit counts). */
function peakPerMinute(times: readonly number[]): number {
  let peak = 0;
  for (let lo = 0, hi = 0; hi < times.length; hi++) {
    while ((times[lo] as number) <= (times[hi] as number) - 60_000) lo++;
    peak = Math.max(peak, hi - lo + 1);
  }
  return peak;
}

export async function backfillChargebee(ctx: BenchContext): Promise<ScenarioResult> {
  const ratePerMinute = flag('rate-per-minute') ?? 150;
  const pacePerMinute = flag('pace-per-minute') ?? ratePerMinute;
  const latencyMs = flag('latency') ?? 0;
  const segments = flag('segments');
  const seed = chargebeeBenchSeed(ctx.count ?? 20_000);
  const expected = new Map(MIX.map(([resource, entityType]) => [entityType, seed[resource]]));
  const entityTypes = MIX.map(([, entityType]) => entityType);
  const ceiling = (ratePerMinute / 60) * PAGE;

  const database = await freshDatabase(ctx, 'backfill_chargebee');
  const site = 'paysync-bench-test';
  const apiKey = 'test_paysyncBenchChargebee01';
  const sim = new ChargebeeSimulator({
    site,
    apiKeys: [apiKey],
    seed,
    rateLimitPerMinute: ratePerMinute,
  });
  const simUrl = await sim.start();
  sim.faults.latencyMs = latencyMs;

  const { prisma, keys, workspaceId, connection } = await benchConnection(database.url, 'c1', {
    provider: 'chargebee',
    apiKey,
    settings: { site, apiBaseUrl: simUrl },
  });
  const runner = startSyncRunner(ctx, {
    databaseUrl: database.url,
    keys,
    port: await freePort(),
    env: {
      API_ALLOWED_PROVIDER_BASE_URLS: simUrl,
      // The site's budget is server configuration, as Stripe's per-second rates are.
      CHARGEBEE_RATE_LIMIT_PER_MINUTE_TEST: String(pacePerMinute),
      ...(segments !== undefined && { SYNC_SEGMENTS_PER_ENTITY: String(segments) }),
    },
  });
  try {
    const { sessionId, status } = await runBackfillSession(prisma, connection, entityTypes, 500);
    const rss = runner.pid ? peakRssMiB(runner.pid) : 0;
    const units = await prisma.syncUnit.findMany({ where: { sessionId } });
    if (status !== 'completed') {
      const errors = units.filter((u) => u.lastError).map((u) => `${u.entityType}: ${u.lastError}`);
      throw new Error(`session ended ${status}${errors.length ? ` (${errors.join('; ')})` : ''}`);
    }
    const done = await prisma.paymentSyncSession.findUniqueOrThrow({ where: { id: sessionId } });
    const reader = new SyncedEntityReader({ prisma });
    const api = sim.requestLog.filter((r) => r.path.startsWith('/api/v2/'));
    const table = [
      ['entity type (resource)', 'records', 'in db', 'seconds', 'records/s', 'requests', '429s'],
    ];
    let total = 0;
    for (const [resource, entityType] of MIX) {
      const mine = units.filter((u) => u.entityType === entityType);
      const fetched = mine.reduce((n, u) => n + u.fetched, 0);
      const started = Math.min(...mine.map((u) => u.startedAt?.getTime() ?? Infinity));
      const finished = Math.max(...mine.map((u) => u.finishedAt?.getTime() ?? 0));
      const inDb = await reader.count(workspaceId, entityType);
      if (inDb !== expected.get(entityType))
        throw new Error(
          `${entityType}: ${inDb} in the database, expected ${expected.get(entityType)}`,
        );
      const seconds = (finished - started) / 1000;
      total += fetched;
      table.push([
        `${entityType} (${resource})`,
        String(fetched),
        String(inDb),
        seconds.toFixed(1),
        String(Math.round(fetched / seconds)),
        String(mine.reduce((n, u) => n + u.requests, 0)),
        String(mine.reduce((n, u) => n + u.throttles, 0)),
      ]);
    }
    const seconds = ((done.finishedAt?.getTime() ?? 0) - (done.startedAt?.getTime() ?? 0)) / 1000;
    const perSecond = total / seconds;
    const throttled = api.filter((r) => r.status === 429).length;
    const share = perSecond / ceiling;
    const firstCall = api[0]?.atMs ?? 0;
    const lastCall = api.at(-1)?.atMs ?? 0;
    const peak = peakPerMinute(api.map((r) => r.atMs));
    const throttledAt = api
      .filter((r) => r.status === 429)
      .map((r) => Math.round((r.atMs - firstCall) / 100) / 10);
    table.push([
      'total',
      String(total),
      '',
      seconds.toFixed(1),
      String(Math.round(perSecond)),
      String(api.length),
      String(throttled),
    ]);
    table.push([
      `site limit ${ratePerMinute}/min, paced ${pacePerMinute}/min`,
      `ceiling ${Math.round(ceiling)}/s`,
      `${(100 * share).toFixed(1)}% of ceiling`,
      `calls ${((lastCall - firstCall) / 1000).toFixed(1)} s`,
      `peak ${peak}/60 s`,
      `RSS ${rss} MiB`,
      `latency ${latencyMs} ms, ${units.length} units`,
    ]);
    return {
      table,
      json: {
        provider: 'chargebee',
        seed,
        ratePerMinute,
        pacePerMinute,
        segments: segments ?? 'service default',
        latencyMs,
        ceilingPerSecond: ceiling,
        seconds,
        total,
        perSecond: Math.round(perSecond * 10) / 10,
        shareOfCeiling: Math.round(share * 1000) / 1000,
        apiCalls: api.length,
        minimumCalls: Math.ceil(total / PAGE),
        throttled,
        throttledAtSeconds: throttledAt,
        peakRequestsPer60s: peak,
        callSpanSeconds: (lastCall - firstCall) / 1000,
        peakRssMiB: rss,
        units: units.length,
        byEntityType: table.slice(1, 1 + MIX.length),
      },
    };
  } finally {
    await stopProcess(runner);
    await prisma.$disconnect();
    await sim.stop();
    await database.drop();
  }
}
