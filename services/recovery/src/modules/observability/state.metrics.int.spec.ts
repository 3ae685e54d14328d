import { startRecoveryHarness, type RecoveryHarness } from '../../testing/recovery-harness.js';

// The state gauges read PostgreSQL through the session and dead-letter repositories at scrape
// time: counts per status (absent ones 0) and the ETA of running sessions.
let h: RecoveryHarness;

beforeAll(async () => {
  h = await startRecoveryHarness({ name: 'state' });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

async function gauge(name: string): Promise<Record<string, number>> {
  const metric = h.app.diContainer.cradle.metrics.getSingleMetric(name);
  const { values } = await (metric as NonNullable<typeof metric>).get();
  return Object.fromEntries(
    values.map((v) => [Object.values(v.labels).join('/'), v.value] as const),
  );
}

it('reports sessions and dead letters per status and the ETA of running sessions', async () => {
  const { workspaceId, configurationId } = await h.stripeConnection('state', {
    apiKey: 'sk_test_statemetrics01',
  });
  const session = (status: 'running' | 'failed' | 'completed') =>
    h.prisma.paymentSyncSession.create({
      data: { workspaceId, configurationId, provider: 'stripe', entityTypes: ['customer'], status },
    });
  const halfDone = await session('running');
  const justStarted = await session('running');
  await session('failed');
  await session('completed');
  await session('completed');
  const startedAt = new Date(Date.now() - 100_000);
  await h.prisma.syncUnit.createMany({
    data: [
      {
        sessionId: halfDone.id,
        workspaceId,
        entityType: 'customer',
        segment: 0,
        status: 'done',
        startedAt,
      },
      {
        sessionId: halfDone.id,
        workspaceId,
        entityType: 'customer',
        segment: 1,
        status: 'running',
        startedAt,
      },
      {
        sessionId: justStarted.id,
        workspaceId,
        entityType: 'customer',
        segment: 0,
        status: 'running',
        startedAt,
      },
    ],
  });
  await h.prisma.deadLetter.create({
    data: {
      workspaceId,
      provider: 'stripe',
      providerEventId: 'evt_state_1',
      eventType: 'customer.updated',
      errorClass: 'ProviderError',
      errorCode: 'PROVIDER_ERROR',
      errorMessage: 'revoked key',
      retryable: false,
      status: 'dead',
      dlqPartition: 0,
      dlqOffset: '1',
    },
  });

  expect(await gauge('paysync_sync_sessions')).toEqual({
    pending: 0,
    running: 2,
    completed: 2,
    failed: 1,
    cancelled: 0,
  });
  expect(await gauge('paysync_dead_letters')).toEqual({
    waiting: 0,
    redriven: 0,
    dead: 1,
    resolved: 0,
  });
  const etas = await gauge('paysync_sync_session_eta_seconds');
  // No unit done yet: -1. One of two done after 100 s: about 100 s left.
  expect(etas[`${justStarted.id}/${workspaceId}`]).toBe(-1);
  expect(etas[`${halfDone.id}/${workspaceId}`]).toBeGreaterThanOrEqual(99);
  expect(etas[`${halfDone.id}/${workspaceId}`]).toBeLessThan(130);
}, 60_000);
