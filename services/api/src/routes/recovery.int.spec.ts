import type { LightMyRequestResponse } from 'fastify';

import { ReconciliationRepository } from '@paysync/db';

import { startApiHarness, type ApiHarness } from '../testing/api-harness.js';
import { API_KEY, expectProblem, type TestWorkspace } from '../testing/management-api.js';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness();
}, 60_000);
afterAll(async () => h?.close());

const reconcile = (w: TestWorkspace, payload: Record<string, unknown>) =>
  h.call(w.apiKey, {
    method: 'POST',
    url: `/api/v1/workspaces/${w.id}/sync/reconcile`,
    payload,
  });

/** A new workspace with a Stripe connection reconciled on a schedule. */
async function scheduledWorkspace(name: string, settings: Record<string, unknown>) {
  const w = await h.createWorkspace(name);
  const conn = await h.call(w.apiKey, {
    method: 'POST',
    url: `/api/v1/workspaces/${w.id}/sync/config`,
    payload: { provider: 'stripe', apiKey: API_KEY, settings },
  });
  return { w, connectionId: conn.json<{ id: string }>().id };
}

it('without a connection, a reconciliation is 404', async () => {
  const w = await h.createWorkspace('reconcile-none');
  expectProblem(await reconcile(w, { provider: 'stripe' }), 404, 'NOT_FOUND');
});

describe('a manual reconciliation', () => {
  let w: TestWorkspace;
  let wBase: string;
  let res: LightMyRequestResponse;
  let reconciliationId: string;
  beforeAll(async () => {
    ({ w } = await scheduledWorkspace('reconcile', { reconcileIntervalMinutes: 60 }));
    wBase = `/api/v1/workspaces/${w.id}`;
  });

  it('bad input is a 400 naming each field', async () => {
    const bad = expectProblem(
      await reconcile(w, { provider: 'stripe', entityTypes: ['charge'], repair: 'yes' }),
      400,
      'VALIDATION_FAILED',
    );
    expect([...new Set(bad.errors?.map((e) => e.path))].sort()).toEqual([
      'body/entityTypes/0',
      'body/repair',
    ]);
  });

  it('is queued: 202 with its location', async () => {
    res = await reconcile(w, {
      provider: 'stripe',
      entityTypes: ['price', 'customer'],
      repair: true,
    });
    expect(res.statusCode).toBe(202);
    reconciliationId = res.json<{ reconciliationId: string }>().reconciliationId;
    expect(res.headers.location).toBe(`${wBase}/sync/reconciliations/${reconciliationId}`);
  });

  it('a second one for the connection while it is pending is 409 RECONCILIATION_ACTIVE', async () => {
    expectProblem(await reconcile(w, { provider: 'stripe' }), 409, 'RECONCILIATION_ACTIVE');
  });

  it('reads as pending, entity types in dependency order, an empty report', async () => {
    const run = await h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/sync/reconciliations/${reconciliationId}`,
    });
    expect(run.json()).toMatchObject({
      id: reconciliationId,
      status: 'pending',
      repair: true,
      trigger: 'manual',
      entityTypes: ['customer', 'price'], // dependency order
      report: {},
      totals: { missing: 0, stale: 0, deleted: 0, repaired: 0 },
    });
  });

  it('is audited with repair', async () => {
    const audit = await h.prisma.auditLog.findFirst({
      where: { workspaceId: w.id, action: { endsWith: '/sync/reconcile' }, statusCode: 202 },
    });
    expect(audit?.details).toMatchObject({ repair: true });
  });

  it('the connection’s schedule adds no second one while it is pending', async () => {
    await new ReconciliationRepository({ prisma: h.prisma }).scheduleDue();
    expect(await h.prisma.reconciliationRun.count({ where: { workspaceId: w.id } })).toBe(1);
  });
});

describe('a connection’s schedule', () => {
  let w: TestWorkspace;
  let connectionId: string;
  let repo: ReconciliationRepository;
  beforeAll(async () => {
    ({ w, connectionId } = await scheduledWorkspace('reconcile-schedule', {
      reconcileIntervalMinutes: 15,
      reconcileRepair: true,
    }));
    repo = new ReconciliationRepository({ prisma: h.prisma });
  });

  it('creates a reconciliation when one is due, once', async () => {
    await repo.scheduleDue();
    await repo.scheduleDue();
    const runs = await h.prisma.reconciliationRun.findMany({ where: { workspaceId: w.id } });
    expect(runs).toEqual([
      expect.objectContaining({
        configurationId: connectionId,
        trigger: 'schedule',
        repair: true,
        status: 'pending',
        requestedBy: 'recovery',
      }),
    ]);
  });

  it('is due again an interval after the last one finished', async () => {
    // Finished 20 minutes ago: due again.
    await h.prisma.reconciliationRun.updateMany({
      where: { workspaceId: w.id },
      data: { status: 'completed', createdAt: new Date(Date.now() - 20 * 60_000) },
    });
    await repo.scheduleDue();
    expect(await h.prisma.reconciliationRun.count({ where: { workspaceId: w.id } })).toBe(2);
  });
});

it('recovery health reports the recovery loops and the DLQ consumer lag', async () => {
  const w = await h.createWorkspace('recovery-health');
  await h.prisma.recoveryHeartbeat.upsert({
    where: { component: 'redrive' },
    create: { component: 'redrive', lastSuccessAt: new Date(), details: { redriven: 2 } },
    update: { lastSuccessAt: new Date(), lastFailureAt: null, details: { redriven: 2 } },
  });
  // The global view (loop details, errors, DLQ lag) is the admin token's (issue 15 item 7).
  const res = await h.call('admin', {
    method: 'GET',
    url: `/api/v1/workspaces/${w.id}/error-recovery/health`,
  });
  expect(res.statusCode).toBe(200);
  expect(res.json()).toMatchObject({
    dlqConsumer: {
      lag: 0,
      error: null,
      topic: expect.stringMatching(/billing\.webhook\.dlq\.v1$/),
    },
    components: expect.arrayContaining([
      expect.objectContaining({ name: 'redrive', healthy: true, details: { redriven: 2 } }),
    ]),
    redrives: { waiting: 0, redriven: 0, resolved: 0, dead: 0 },
  });
});

it('recovery health is degraded while a loop’s last run failed', async () => {
  const w = await h.createWorkspace('recovery-degraded');
  const failedAt = new Date();
  await h.prisma.recoveryHeartbeat.upsert({
    where: { component: 'events-poller' },
    create: {
      component: 'events-poller',
      lastSuccessAt: new Date(failedAt.getTime() - 60_000),
      lastFailureAt: failedAt,
      lastError: 'provider unavailable',
    },
    update: { lastFailureAt: failedAt, lastError: 'provider unavailable' },
  });
  // The global view (loop details, errors, DLQ lag) is the admin token's (issue 15 item 7).
  const res = await h.call('admin', {
    method: 'GET',
    url: `/api/v1/workspaces/${w.id}/error-recovery/health`,
  });
  expect(res.json()).toMatchObject({
    status: 'degraded',
    components: expect.arrayContaining([
      expect.objectContaining({
        name: 'events-poller',
        healthy: false,
        lastFailureAt: failedAt.toISOString(),
        lastError: 'provider unavailable',
      }),
    ]),
  });
});
