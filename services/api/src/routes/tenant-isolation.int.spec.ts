import { SyncWriteRepository } from '@paysync/db';
import { anEvent } from '@paysync/db/testing';
import { stripeObjectToChange } from '@paysync/providers';
import { stripeFixture } from '@paysync/providers/testing';

import { startApiHarness, type ApiHarness } from '../testing/api-harness.js';
import { createConnection } from '../testing/management-api.js';

import type { OpenAPIV3 } from 'openapi-types';

/**
 * Every route under /workspaces/{workspaceId} — taken from the OpenAPI document, which lists every
 * registered route — answers 404 to a credential of another workspace, and to its own credential
 * when a resource id in the path belongs to another workspace. A route added without an entry in
 * BODIES fails this test, so no route can skip it.
 */
const BODIES: Record<string, unknown> = {
  getWorkspace: undefined,
  renameWorkspace: { name: 'hijacked' },
  createApiKey: { name: 'intruder' },
  listApiKeys: undefined,
  revokeApiKey: undefined,
  listAuditLog: undefined,
  createConnection: { provider: 'stripe', apiKey: 'sk_test_intruderKey0001' },
  listConnections: undefined,
  getConnection: undefined,
  updateConnection: { isActive: false },
  deleteConnection: undefined,
  testConnection: undefined,
  registerWebhookEndpoint: { url: 'https://evil.example.com/hook' },
  startInitialSync: {},
  listSyncSessions: undefined,
  getSyncSession: undefined,
  cancelSyncSession: undefined,
  listProviders: undefined,
  recoverSyncSession: { sessionId: '00000000-0000-4000-8000-000000000001', mode: 'resume' },
  listRecoverableSessions: undefined,
  listEvents: undefined,
  listFailedEvents: undefined,
  replayEvents: { filter: { status: 'dead' }, reason: 'intruder' },
  getDeadLetterStats: undefined,
  startReconciliation: { provider: 'stripe', repair: true },
  listReconciliations: undefined,
  getReconciliation: undefined,
  getErrorRecoveryHealth: undefined,
  getEvent: undefined,
  listCustomers: undefined,
  getCustomer: undefined,
  listProducts: undefined,
  getProduct: undefined,
  listPrices: undefined,
  getPrice: undefined,
  listSubscriptions: undefined,
  getSubscription: undefined,
  listInvoices: undefined,
  getInvoice: undefined,
  listPaymentTransactions: undefined,
  getPaymentTransaction: undefined,
};
/** Routes outside a workspace, covered by their own tests (admin-only create, filtered list). */
const NOT_WORKSPACE_SCOPED = ['createWorkspace', 'listWorkspaces'];

interface Tenant {
  id: string;
  apiKey: string;
  apiKeyId: string;
  ids: Record<string, string>;
}

let h: ApiHarness;
let a: Tenant;
let b: Tenant;
let operations: { method: string; path: string; operationId: string }[];

async function seedTenant(name: string): Promise<Tenant> {
  const ws = await h.createWorkspace(name);
  const base = `/api/v1/workspaces/${ws.id}`;
  const { id: configId } = await createConnection(h, ws, {
    apiKey: 'sk_test_tenantKey00001',
    webhookSecret: undefined,
  });
  const session = await h.call(ws.apiKey, { method: 'POST', url: `${base}/sync/stripe/initial` });
  const sessionId = session.json<{ sessionId: string }>().sessionId;
  const reconciliation = await h.call(ws.apiKey, {
    method: 'POST',
    url: `${base}/sync/reconcile`,
    payload: { provider: 'stripe' },
  });
  const reconciliationId = reconciliation.json<{ reconciliationId: string }>().reconciliationId;
  const key = await h.call(ws.apiKey, { method: 'POST', url: `${base}/api-keys`, payload: {} });
  const keyId = key.json<{ id: string }>().id;

  const ctx = { workspaceId: ws.id, source: 'webhook' as const };
  const changes = ['customer', 'product', 'price', 'subscription', 'invoice', 'payment_intent'].map(
    (fixture) => stripeObjectToChange(stripeFixture(fixture), { version: 1_764_000_000_000, ctx })!,
  );
  const event = anEvent({ workspaceId: ws.id });
  await new SyncWriteRepository({ prisma: h.prisma }).applyChanges(changes, { events: [event] });
  const rowId = async (table: string) =>
    (
      await h.prisma.$queryRawUnsafe<{ id: string }[]>(
        `SELECT id::text FROM ${table} WHERE workspace_id = $1::uuid LIMIT 1`,
        ws.id,
      )
    )[0]!.id;
  const eventId = (
    await h.prisma.paymentSyncEvent.findFirstOrThrow({ where: { workspaceId: ws.id } })
  ).id;
  return {
    ...ws,
    ids: {
      workspaceId: ws.id,
      configId,
      sessionId,
      reconciliationId,
      keyId,
      eventId,
      provider: 'stripe',
      customers: await rowId('customers'),
      products: await rowId('products'),
      prices: await rowId('prices'),
      subscriptions: await rowId('subscriptions'),
      invoices: await rowId('invoices'),
      'payment-transactions': await rowId('payment_transactions'),
    },
  };
}

/** `/api/v1/workspaces/{workspaceId}/customers/{id}` with the tenant's ids filled in. */
function fill(path: string, ids: Record<string, string>, workspaceIds: Record<string, string>) {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (name === 'workspaceId') return workspaceIds.workspaceId!;
    if (name === 'id') return ids[path.split('/')[5]!]!;
    const value = ids[name];
    if (value === undefined) throw new Error(`no sample value for path parameter ${name}`);
    return value;
  });
}

/** The operations under /workspaces/{workspaceId} (every one but NOT_WORKSPACE_SCOPED). */
const workspaceScoped = () =>
  operations.filter((o) => !NOT_WORKSPACE_SCOPED.includes(o.operationId));

/**
 * Calls each operation with `token` (its sample body, if any) on the path {@link fill} builds
 * from `ids` and `workspaceIds`; returns every answer's status and problem code.
 */
async function callEach(
  token: string,
  ops: typeof operations,
  ids: Record<string, string>,
  workspaceIds: Record<string, string>,
) {
  const answers: { operationId: string; status: number; code: string }[] = [];
  for (const o of ops) {
    const res = await h.call(token, {
      method: o.method as 'GET',
      url: fill(o.path, ids, workspaceIds),
      ...(BODIES[o.operationId] !== undefined && { payload: BODIES[o.operationId] as object }),
    });
    answers.push({
      operationId: o.operationId,
      status: res.statusCode,
      code: res.json<{ code?: string }>().code ?? '',
    });
  }
  return answers;
}

beforeAll(async () => {
  h = await startApiHarness();
  a = await seedTenant('tenant-a');
  b = await seedTenant('tenant-b');
  const doc = h.app.swagger() as OpenAPIV3.Document;
  operations = Object.entries(doc.paths).flatMap(([path, item]) =>
    (['get', 'post', 'put', 'patch', 'delete'] as const)
      .filter((m) => item?.[m])
      .map((m) => ({ method: m.toUpperCase(), path, operationId: item![m]!.operationId! })),
  );
}, 60_000);
afterAll(async () => h?.close());

it('every operation is in the isolation table (a new route cannot skip it)', () => {
  const known = new Set([...Object.keys(BODIES), ...NOT_WORKSPACE_SCOPED]);
  const missing = operations.filter((o) => !known.has(o.operationId));
  expect(missing).toEqual([]);
  expect(operations.length).toBe(known.size);
  for (const o of operations) {
    if (!NOT_WORKSPACE_SCOPED.includes(o.operationId)) {
      expect(o.path.startsWith('/api/v1/workspaces/{workspaceId}')).toBe(true);
    }
  }
});

it('a workspace key gets 404 for every route of another workspace, and changes nothing', async () => {
  const results = (await callEach(a.apiKey, workspaceScoped(), b.ids, b.ids)).map(
    (r) => `${r.operationId} ${r.status} ${r.code}`,
  );
  expect(results.filter((r) => !r.endsWith(' 404 NOT_FOUND'))).toEqual([]);
  // B is untouched.
  const bBase = `/api/v1/workspaces/${b.id}`;
  expect((await h.call(b.apiKey, { method: 'GET', url: bBase })).json()).toMatchObject({
    name: 'tenant-b',
  });
  expect(
    (
      await h.call(b.apiKey, { method: 'GET', url: `${bBase}/sync/config/${b.ids.configId}` })
    ).json(),
  ).toMatchObject({ isActive: true });
  expect(
    (
      await h.call(b.apiKey, { method: 'GET', url: `${bBase}/sync/sessions/${b.ids.sessionId}` })
    ).json(),
  ).toMatchObject({ status: 'pending' });
  const keys = (await h.call(b.apiKey, { method: 'GET', url: `${bBase}/api-keys` })).json<{
    data: { id: string; name: string; revokedAt: string | null }[];
  }>().data;
  expect(keys.every((k) => k.revokedAt === null)).toBe(true);
  expect(keys.map((k) => k.name)).not.toContain('intruder');
}, 60_000);

it('within its own workspace, a key gets 404 for another workspace’s resource ids', async () => {
  const withResourceId = operations.filter(
    (o) =>
      !NOT_WORKSPACE_SCOPED.includes(o.operationId) &&
      /\{(?!workspaceId|provider)\w+\}/.test(o.path),
  );
  expect(withResourceId.length).toBeGreaterThanOrEqual(15);
  const results = (await callEach(a.apiKey, withResourceId, b.ids, a.ids)).map(
    (r) => `${r.operationId} ${r.status} ${r.code}`,
  );
  expect(results.filter((r) => !r.endsWith(' 404 NOT_FOUND'))).toEqual([]);
}, 60_000);

it('the admin token gets 404 for every route of a workspace that does not exist', async () => {
  const ghost = { ...a.ids, workspaceId: '00000000-0000-4000-8000-000000000000' };
  const results = (await callEach('admin', workspaceScoped(), a.ids, ghost)).map(
    (r) => `${r.operationId} ${r.status}`,
  );
  expect(results.filter((r) => !r.endsWith(' 404'))).toEqual([]);
}, 60_000);
