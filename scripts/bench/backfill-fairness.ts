// Scenario `backfill-fairness`: 100 workspaces × 1,000 customers start a backfill at once (one
// real sync-runner process, each workspace its own connection and rate limit), while a real
// ingress + processor take a steady webhook load (200 events/s) for another workspace. Reports
// how the 100 sessions finish (spread of completion times: nobody starved) and the webhook
// end-to-end p99 during the backfills next to the p99 of the same load without them.

import { KeyRing } from '@paysync/crypto';
import {
  ConnectionRepository,
  SyncSessionRepository,
  createPrismaClient,
  type Db,
} from '@paysync/db';
import { StripeSimulator, runLoad } from '@paysync/simulator';

import { benchServiceEnv, freshDatabase, startService, waitReady } from './support.js';

import type { BenchContext, ScenarioResult } from './types.js';

const WORKSPACES = 100;
const CUSTOMERS = 1000;
const WEBHOOK_RATE = 200;

async function p99(
  prisma: Db,
  workspaceId: string,
  prefix: string,
): Promise<{ n: number; p50: number; p99: number }> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const [row] = await prisma.$queryRaw<
      { n: number; pending: number; p50: number; p99: number }[]
    >`
      SELECT count(*)::int AS n, (count(*) FILTER (WHERE processed_at IS NULL))::int AS pending,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at)) * 1000 AS p50,
        percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at)) * 1000 AS p99
      FROM payment_sync_events WHERE workspace_id = ${workspaceId}::uuid AND provider_event_id LIKE ${`evt_ld${prefix}%`}`;
    if (row && row.pending === 0)
      return { n: row.n, p50: Math.round(row.p50), p99: Math.round(row.p99) };
    if (Date.now() > deadline) throw new Error('webhooks not processed in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function backfillFairness(ctx: BenchContext): Promise<ScenarioResult> {
  const database = await freshDatabase(ctx, 'fair');
  const databaseUrl = database.url;
  const sim = new StripeSimulator({ seed: { customers: CUSTOMERS } });
  const simUrl = await sim.start();
  const keys = `b1:${KeyRing.generateKey()}`;
  const prisma = createPrismaClient({ url: databaseUrl, poolMax: 4, statementTimeoutMs: 60_000 });
  const connections = new ConnectionRepository({ prisma, keyRing: KeyRing.fromString(keys) });
  const tenants = [];
  for (let i = 0; i < WORKSPACES; i++) {
    const workspaceId = (await prisma.workspace.create({ data: { name: `tenant-${i}` } })).id;
    tenants.push(
      await connections.create({
        workspaceId,
        provider: 'stripe',
        mode: 'test',
        apiKey: `sk_test_fairTenant${String(i).padStart(4, '0')}`,
        settings: { apiBaseUrl: simUrl },
      }),
    );
  }
  const hookWorkspace = (await prisma.workspace.create({ data: { name: 'webhooks' } })).id;
  const secret = `whsec_fair${Date.now()}`;
  const hook = await connections.create({
    workspaceId: hookWorkspace,
    provider: 'stripe',
    mode: 'test',
    apiKey: 'sk_test_fairWebhooks01',
    webhookSecrets: [secret],
  });
  const env = {
    ...benchServiceEnv(ctx, { databaseUrl, keys, topicPrefix: `fair-${Date.now().toString(36)}` }),
    SYNC_POLL_INTERVAL_MS: '200',
  };
  const services = [
    startService('ingress', { ...env, PORT: '3911' }),
    startService('processor', { ...env, PORT: '3912', PROCESSOR_GROUP_ID: `fair-${Date.now()}` }),
    startService('sync-runner', {
      ...env,
      PORT: '3913',
      SYNC_RUNNER_GROUP_ID: `fair-${Date.now()}`,
    }),
  ];
  try {
    await Promise.all([3911, 3912, 3913].map(waitReady));
    const url = `http://127.0.0.1:3911/webhooks/stripe/${hook.id}`;
    const load = (runId: string, count: number) =>
      runLoad({ url, secret, count, concurrency: 8, ratePerSecond: WEBHOOK_RATE, runId });
    await load('warm', 200);
    await load('base', 3000);
    const base = await p99(prisma, hookWorkspace, 'base');

    const sessions = new SyncSessionRepository({ prisma });
    const started = Date.now();
    const ids = await Promise.all(
      tenants.map(
        async (c) =>
          (
            await sessions.createIfIdle({
              workspaceId: c.workspaceId,
              configurationId: c.id,
              provider: 'stripe',
              entityTypes: ['customer'],
              requestedBy: 'bench',
            })
          ).id,
      ),
    );
    let running = true;
    const webhookLoad = (async () => {
      for (let i = 0; running; i++) await load(`sync${i}x`, 1000);
    })();
    let finished: { finishedAt: Date | null; status: string }[] = [];
    const deadline = Date.now() + 1_800_000;
    while (Date.now() < deadline) {
      finished = await prisma.paymentSyncSession.findMany({
        where: { id: { in: ids }, status: { in: ['completed', 'failed'] } },
        select: { finishedAt: true, status: true },
      });
      if (finished.length === ids.length) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    running = false;
    await webhookLoad;
    const during = await p99(prisma, hookWorkspace, 'sync');
    const failed = finished.filter((s) => s.status !== 'completed').length;
    const times = finished
      .map((s) => ((s.finishedAt?.getTime() ?? 0) - started) / 1000)
      .sort((a, b) => a - b);
    const at = (q: number) =>
      (times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0).toFixed(1);
    const customers = await prisma.customer.count({
      where: { workspaceId: { in: tenants.map((t) => t.workspaceId) } },
    });
    const table = [
      ['measure', 'value'],
      ['sessions completed', `${finished.length - failed} / ${WORKSPACES} (${failed} failed)`],
      ['customers in db', `${customers} / ${WORKSPACES * CUSTOMERS}`],
      ['session completion s (first / median / last)', `${at(0)} / ${at(0.5)} / ${at(1)}`],
      ['backfill records/s overall', String(Math.round(customers / Number(at(1))))],
      [
        `webhook e2e without backfill (${base.n} events at ${WEBHOOK_RATE}/s)`,
        `p50 ${base.p50} ms / p99 ${base.p99} ms`,
      ],
      [
        `webhook e2e during the backfills (${during.n} events)`,
        `p50 ${during.p50} ms / p99 ${during.p99} ms`,
      ],
    ];
    return {
      table,
      json: {
        workspaces: WORKSPACES,
        customers: CUSTOMERS,
        completion: times,
        base,
        during,
        failed,
      },
    };
  } finally {
    for (const s of services) s.kill('SIGTERM');
    await Promise.all(
      services.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))),
    );
    await prisma.$disconnect();
    await sim.stop();
    await database.drop();
  }
}
