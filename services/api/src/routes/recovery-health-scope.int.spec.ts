import { startApiHarness, type ApiHarness } from '../testing/api-harness.js';

import type { TestWorkspace } from '../testing/management-api.js';

// Issue 15 item 7: GET /error-recovery/health showed every tenant's recovery data (loop details
// naming reconciliation ids, raw errors, the DLQ lag) to any workspace key. A workspace key now
// sees its own dead letters and whether each loop is healthy; the global view is the admin's.

let h: ApiHarness;
let a: TestWorkspace;
let b: TestWorkspace;
const A_RUN = '11111111-2222-4333-8444-555555555555';
const A_ERROR = `reconciliation ${A_RUN} failed: provider said acct_tenantA_secretive is locked`;

beforeAll(async () => {
  h = await startApiHarness();
  a = await h.createWorkspace('health-a');
  b = await h.createWorkspace('health-b');
  const now = new Date();
  await h.prisma.recoveryHeartbeat.upsert({
    where: { component: 'reconciliation' },
    create: {
      component: 'reconciliation',
      lastSuccessAt: new Date(now.getTime() - 60_000),
      lastFailureAt: now,
      lastError: A_ERROR,
      details: { runs: [A_RUN], workspaceIds: [a.id] },
    },
    update: {
      lastSuccessAt: new Date(now.getTime() - 60_000),
      lastFailureAt: now,
      lastError: A_ERROR,
      details: { runs: [A_RUN], workspaceIds: [a.id] },
    },
  });
  const deadLetter = (n: number, status: string) => ({
    workspaceId: a.id,
    provider: 'stripe',
    providerEventId: `evt_health_a_${n}`,
    eventType: 'customer.updated',
    errorClass: 'poison',
    errorCode: 'PROCESSING_FAILED',
    errorMessage: `acct_tenantA_secretive event ${n} failed`,
    retryable: false,
    status,
    dlqPartition: 0,
    dlqOffset: String(n),
  });
  await h.prisma.deadLetter.createMany({
    data: [deadLetter(1, 'dead'), deadLetter(2, 'dead'), deadLetter(3, 'waiting')],
  });
}, 60_000);
afterAll(async () => h?.close());

const health = (token: string, workspaceId: string) =>
  h.call(token, { method: 'GET', url: `/api/v1/workspaces/${workspaceId}/error-recovery/health` });

it('a workspace key sees loop health and its own dead letters, nothing of other tenants', async () => {
  const res = await health(b.apiKey, b.id);
  expect(res.statusCode).toBe(200);
  const body = res.json<Record<string, unknown>>();
  expect(body).toMatchObject({
    status: 'degraded',
    components: expect.arrayContaining([
      {
        name: 'reconciliation',
        lastSuccessAt: expect.any(String),
        lastFailureAt: expect.any(String),
        healthy: false,
      },
    ]),
    redrives: { waiting: 0, redriven: 0, resolved: 0, dead: 0 },
  });
  expect(body).not.toHaveProperty('dlqConsumer');
  for (const c of body.components as Record<string, unknown>[]) {
    expect(Object.keys(c).sort()).toEqual(['healthy', 'lastFailureAt', 'lastSuccessAt', 'name']);
  }
  const text = res.body;
  expect(text).not.toContain(A_RUN);
  expect(text).not.toContain(a.id);
  expect(text).not.toContain('acct_tenantA_secretive');
});

it('workspace A’s key counts A’s dead letters, still without the global details', async () => {
  const res = await health(a.apiKey, a.id);
  expect(res.json()).toMatchObject({ redrives: { waiting: 1, dead: 2 } });
  expect(res.body).not.toContain(A_ERROR);
  expect(res.json()).not.toHaveProperty('dlqConsumer');
});

it('the admin token keeps the global view: errors, details, DLQ consumer', async () => {
  const res = await health('admin', b.id);
  expect(res.statusCode).toBe(200);
  expect(res.json()).toMatchObject({
    dlqConsumer: { topic: expect.stringMatching(/billing\.webhook\.dlq\.v1$/) },
    components: expect.arrayContaining([
      expect.objectContaining({
        name: 'reconciliation',
        healthy: false,
        lastError: A_ERROR,
        details: { runs: [A_RUN], workspaceIds: [a.id] },
      }),
    ]),
    redrives: { waiting: 0, dead: 0 },
  });
});

it('a workspace key still cannot ask for another workspace (404)', async () => {
  expect((await health(b.apiKey, a.id)).statusCode).toBe(404);
});
