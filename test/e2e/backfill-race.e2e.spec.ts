import type { FastifyInstance } from 'fastify';

import { SyncSessionRepository, SyncedEntityReader } from '@paysync/db';
import { eventually } from '@paysync/testkit';

import { startProviderPipeline, type ProviderPipeline } from '../support/pipeline.js';
import { PROVIDER_CASES } from '../support/providers.js';
import { startSyncRunner } from '../support/services.js';

// A scripted race: while the sync-runner pages through customers (slowed by provider latency),
// the simulator changes some of them and sends their webhooks through ingress → Kafka →
// processor. Whatever order pages and webhooks land in, every object ends in its newest state.
// For each provider (issue 17): a Stripe account, and a Chargebee site at its per-minute pace.
const CUSTOMERS = 1200;

describe.each(PROVIDER_CASES)('$provider', (providerCase) => {
  const { provider } = providerCase;
  let p: ProviderPipeline;
  let runner: FastifyInstance;

  beforeAll(async () => {
    p = await startProviderPipeline(providerCase.newSim({ customer: CUSTOMERS }));
    runner = await startSyncRunner({
      ...p.env,
      SYNC_POLL_INTERVAL_MS: '100',
      SYNC_SEGMENTS_PER_ENTITY: '3',
      LOG_LEVEL: 'warn',
    });
  }, 60_000);

  afterAll(async () => {
    await runner?.close();
    await p?.close();
  });

  async function rename(id: string, name: string) {
    expect(await p.sim.apiRenameCustomer(id, name)).toBe(200);
  }

  it('webhook updates of objects in flight during a sync end in the newest state', async () => {
    p.sim.faults = { latencyMs: 20, rate429: 0, rate500: 0, rateReset: 0, retryAfterSeconds: 1 };
    const session = await new SyncSessionRepository({ prisma: p.prisma }).createIfIdle({
      workspaceId: p.workspaceId,
      configurationId: p.connection.id,
      provider,
      entityTypes: ['customer'],
      requestedBy: 'test',
    });
    const pages = async () =>
      (
        await p.prisma.syncUnit.aggregate({
          where: { sessionId: session.id },
          _sum: { pages: true },
        })
      )._sum.pages ?? 0;
    await eventually(async () => (await pages()) >= 2, {
      timeoutMs: 30_000,
      what: 'sync under way',
    });

    // Edit objects across the whole range (some already synced, some not yet), twice each.
    const ids = Array.from({ length: 40 }, (_, i) => p.sim.id('customer', i * 30));
    for (const round of [1, 2]) {
      await Promise.all(ids.map((id) => rename(id, `${id} v${round}`)));
    }
    const done = await eventually(
      async () => {
        const s = await p.prisma.paymentSyncSession.findUniqueOrThrow({
          where: { id: session.id },
        });
        return s.status === 'completed' || s.status === 'failed' ? s : undefined;
      },
      { timeoutMs: 90_000, what: 'the sync to finish' },
    );
    expect(done.status).toBe('completed');
    const reader = new SyncedEntityReader({ prisma: p.prisma });
    await eventually(
      async () => {
        for (const id of ids) {
          const row = await reader.findByExternalId(p.workspaceId, 'customer', provider, id);
          if (row?.name !== `${id} v2`) return false;
        }
        return true;
      },
      { timeoutMs: 60_000, what: 'every edited customer at its newest name' },
    );
    expect(await reader.count(p.workspaceId, 'customer')).toBe(CUSTOMERS);
  }, 180_000);
});
