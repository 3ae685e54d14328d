// Scenario `webhooks`: signed Stripe events sent to a real ingress process at concurrency 1, 16
// and 64 (keep-alive); accepted/s and ack latency; then waits until a real processor process has
// committed every event and reports end-to-end rate and latency (ingress receipt → commit, from
// the event log), and checks the row count. A benchmark, not a test.

import type { Db } from '@paysync/db';
import { runLoad } from '@paysync/simulator';

import {
  benchConnection,
  benchServiceEnv,
  freshDatabase,
  startService,
  waitReady,
} from './support.js';

import type { BenchContext, ScenarioResult } from './types.js';

export async function webhooks(ctx: BenchContext): Promise<ScenarioResult> {
  const count = ctx.count ?? 10_000;
  const database = await freshDatabase(ctx, 'webhooks');
  const databaseUrl = database.url;

  const secret = `whsec_bench_${Date.now()}`;
  const { prisma, keys, workspaceId, connection } = await benchConnection(databaseUrl, 'b1', {
    apiKey: 'sk_test_bench_key_0001',
    webhookSecrets: [secret],
  });

  const env = benchServiceEnv(ctx, {
    databaseUrl,
    keys,
    topicPrefix: `bench-${Date.now().toString(36)}`,
  });
  const ingress = startService('ingress', { ...env, PORT: '3901' });
  const processor = startService('processor', {
    ...env,
    PORT: '3902',
    PROCESSOR_GROUP_ID: `bench-${Date.now()}`,
  });
  const rows: string[][] = [
    [
      'concurrency',
      'sent',
      'accepted/s',
      'ack p50 ms',
      'ack p99 ms',
      'e2e events/s',
      'e2e p50 ms',
      'e2e p99 ms',
      'rows ok',
    ],
  ];
  const json: Record<string, unknown>[] = [];
  try {
    await Promise.all([waitReady(3901), waitReady(3902)]);
    const url = `http://127.0.0.1:3901/webhooks/stripe/${connection.id}`;
    // Warm-up: connections, JIT, the consumer group join.
    await runLoad({ url, secret, count: 200, concurrency: 8, runId: 'warm' });
    await waitProcessed(prisma, workspaceId, 200, 120_000);

    for (const concurrency of [1, 16, 64]) {
      const before = await prisma.paymentSyncEvent.count({ where: { workspaceId } });
      const customersBefore = await prisma.customer.count({ where: { workspaceId } });
      const runId = `c${concurrency}`;
      const started = Date.now();
      const report = await runLoad({ url, secret, count, concurrency, runId });
      const committedAt = await waitProcessed(
        prisma,
        workspaceId,
        before + report.accepted,
        300_000,
      );
      const e2eSeconds = (committedAt - started) / 1000;
      const [latency] = await prisma.$queryRaw<{ p50: number; p99: number }[]>`
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at)) * 1000 AS p50,
               percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at)) * 1000 AS p99
          FROM payment_sync_events WHERE workspace_id = ${workspaceId}::uuid AND provider_event_id LIKE ${`evt_ld${runId}_%`}`;
      const customers = (await prisma.customer.count({ where: { workspaceId } })) - customersBefore;
      const result = {
        concurrency,
        sent: report.sent,
        accepted: report.accepted,
        acceptedPerSecond: report.acceptedPerSecond,
        ackLatencyMs: report.latencyMs,
        endToEndEventsPerSecond: Math.round(report.accepted / e2eSeconds),
        endToEndLatencyMs: {
          p50: Math.round(latency?.p50 ?? 0),
          p99: Math.round(latency?.p99 ?? 0),
        },
        rowsExpected: report.objects,
        rowsFound: customers,
      };
      json.push(result);
      rows.push([
        String(concurrency),
        String(report.sent),
        String(report.acceptedPerSecond),
        String(report.latencyMs.p50),
        String(report.latencyMs.p99),
        String(result.endToEndEventsPerSecond),
        String(result.endToEndLatencyMs.p50),
        String(result.endToEndLatencyMs.p99),
        customers === report.objects && report.accepted === report.sent
          ? 'yes'
          : `NO (${customers}/${report.objects})`,
      ]);
    }
  } finally {
    ingress.kill('SIGTERM');
    processor.kill('SIGTERM');
    await Promise.all(
      [ingress, processor].map(
        (c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r))),
      ),
    );
    await prisma.$disconnect();
    await database.drop();
  }
  return { table: rows, json: { count, runs: json } };
}

/** Polls the event log until `expected` events are final; returns when that was observed. */
async function waitProcessed(
  prisma: Db,
  workspaceId: string,
  expected: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done = await prisma.paymentSyncEvent.count({
      where: { workspaceId, processedAt: { not: null } },
    });
    if (done >= expected) return Date.now();
    if (Date.now() > deadline)
      throw new Error(`only ${done} of ${expected} events processed in time`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
