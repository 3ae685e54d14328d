import { KeyRing } from '@paysync/crypto';
import {
  SyncSessionRepository,
  SyncedEntityReader,
  createPrismaClient,
  type Db,
} from '@paysync/db';
import { createTestDatabase, type TestDatabase } from '@paysync/db/testing';
import { eventually, stackEnv, uniqueId } from '@paysync/testkit';

import type { FastifyInstance } from 'fastify';

import { buildApp as buildApi } from '../../services/api/src/app.js';
import { testConfig as apiConfig } from '../../services/api/src/testing/test-config.js';
import { freePort, startServiceProcess, type ServiceProcess } from '../support/processes.js';
import { PROVIDER_CASES, connectSim, type ProviderSim } from '../support/providers.js';

// The sync-runner runs as a real process so it can be killed with SIGKILL in the middle of a
// large entity. The api then lists the session as stalled (`GET /sync/recoverable`), an operator
// resumes it (`POST /sync/recover`), and a second process takes the expired leases over and
// continues from the checkpoints. For each provider (issue 17): a Stripe account, and a Chargebee
// site at its test-site pace (150 requests a minute).
const CUSTOMERS = 3000;
const KEYS = `t1:${KeyRing.generateKey()}`;
const ADMIN = `admin-${'k'.repeat(40)}`;

describe.each(PROVIDER_CASES)('$provider', (providerCase) => {
  const { provider } = providerCase;
  let db: TestDatabase;
  let prisma: Db;
  let sim: ProviderSim;
  let api: FastifyInstance | undefined;
  const started: ServiceProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient({ url: db.url, poolMax: 2, statementTimeoutMs: 30_000 });
    sim = providerCase.newSim({ customer: CUSTOMERS }, { apiKey: 'sk_test_crash_0000001' });
  }, 30_000);

  afterAll(async () => {
    for (const proc of started) proc.kill('SIGKILL');
    await api?.close();
    await prisma.$disconnect();
    await sim.stop();
    await db.drop();
  });

  async function startRunner(env: Record<string, string>): Promise<ServiceProcess> {
    const proc = startServiceProcess('sync-runner', {
      ...env,
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
    });
    started.push(proc);
    return proc;
  }

  it('SIGKILL mid-entity, start again: complete data, no repeated work beyond uncommitted pages', async () => {
    const simUrl = await sim.start();
    sim.faults = { latencyMs: 25, rate429: 0, rate500: 0, rateReset: 0, retryAfterSeconds: 1 };
    const workspaceId = (await prisma.workspace.create({ data: { name: 'crash' } })).id;
    const connection = await connectSim(prisma, KEYS, sim, {
      workspaceId,
      // Stripe at 40/s; Chargebee at its own per-minute budget.
      ...(provider === 'stripe' && { settings: { apiBaseUrl: simUrl, rateLimitPerSecond: 40 } }),
    });
    const session = await new SyncSessionRepository({ prisma }).createIfIdle({
      workspaceId,
      configurationId: connection.id,
      provider,
      entityTypes: ['customer'],
      requestedBy: 'test',
    });
    const env = {
      DATABASE_URL: db.appUrl,
      KAFKA_BROKERS: stackEnv().kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: uniqueId('crash-'),
      SYNC_RUNNER_GROUP_ID: uniqueId('sync-runner-'),
      ENCRYPTION_KEYS: KEYS,
      LOG_LEVEL: 'warn',
      SYNC_UNIT_LEASE_MS: '2000',
      SYNC_POLL_INTERVAL_MS: '200',
      SYNC_SEGMENTS_PER_ENTITY: '2',
      SYNC_RUNNER_CONCURRENCY: '2',
    };
    const pages = async () =>
      (await prisma.syncUnit.aggregate({ where: { sessionId: session.id }, _sum: { pages: true } }))
        ._sum.pages ?? 0;

    const first = await startRunner(env);
    await eventually(async () => (await pages()) >= 8, {
      timeoutMs: 60_000,
      what: 'committed pages before the kill',
    });
    first.kill('SIGKILL');
    await first.exited;
    const pagesAtKill = await pages();
    expect(
      (await prisma.paymentSyncSession.findUniqueOrThrow({ where: { id: session.id } })).status,
    ).toBe('running');

    // No progress since the kill: the api lists it as stalled, and the operator resumes it.
    api = await buildApi(
      apiConfig({ ...env, ADMIN_API_TOKEN: ADMIN, API_SYNC_STALLED_AFTER_MS: '1500' }),
    );
    await api.ready();
    const call = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
      api!.inject({
        method,
        url: `/api/v1/workspaces/${workspaceId}${url}`,
        headers: { authorization: `Bearer ${ADMIN}` },
        ...(payload && { payload }),
      });
    await eventually(
      async () =>
        (await call('GET', '/sync/recoverable'))
          .json<{ data: { id: string; reason: string }[] }>()
          .data.some((s) => s.id === session.id && s.reason === 'stalled'),
      { what: 'the killed session listed as stalled', timeoutMs: 30_000 },
    );
    const resumed = await call('POST', '/sync/recover', {
      sessionId: session.id,
      mode: 'resume',
      reason: 'runner crashed',
    });
    expect(resumed.statusCode).toBe(202);

    const second = await startRunner(env);
    const done = await eventually(
      async () => {
        const s = await prisma.paymentSyncSession.findUniqueOrThrow({ where: { id: session.id } });
        return ['completed', 'failed'].includes(s.status) ? s : undefined;
      },
      { timeoutMs: 90_000, what: 'the session to finish after the restart' },
    );
    second.kill('SIGTERM');
    expect(done.status).toBe('completed');
    expect(await new SyncedEntityReader({ prisma }).count(workspaceId, 'customer')).toBe(CUSTOMERS);

    // Work done twice: list requests beyond the committed pages. The split probe (one page plus
    // about 31 bisection requests) and the pages in flight when the process died (2 workers, one
    // page ahead each) are the only allowed extras; redoing committed pages would add ≥ pagesAtKill.
    const units = await prisma.syncUnit.findMany({ where: { sessionId: session.id } });
    const committedPages = units.reduce((n, u) => n + u.pages, 0);
    const listRequests = sim.lists('customer');
    expect(pagesAtKill).toBeGreaterThanOrEqual(8);
    expect(listRequests - committedPages).toBeLessThanOrEqual(32 + 4);
    expect(units.reduce((n, u) => n + u.fetched, 0)).toBe(CUSTOMERS);
  }, 180_000);
});
