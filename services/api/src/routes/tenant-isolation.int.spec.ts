import { ENTITY_TABLES, SyncWriteRepository } from '@paysync/db';
import { anEvent } from '@paysync/db/testing';
import { stripeObjectToChange } from '@paysync/providers';
import { stripeFixture } from '@paysync/providers/testing';

import type { ApiKeyScope, RequiredScope } from '../modules/auth/scopes.js';
import { DATA_COLLECTIONS } from '../modules/data/collections.js';
import { startApiHarness, type ApiHarness } from '../testing/api-harness.js';
import { seedBreadthRows } from '../testing/breadth-rows.js';
import { createConnection } from '../testing/management-api.js';

import type { OpenAPIV3 } from 'openapi-types';

/**
 * Every route under /workspaces/{workspaceId} — taken from the OpenAPI document, which lists every
 * registered route — answers 404 to a credential of another workspace, and to its own credential
 * when a resource id in the path belongs to another workspace. A route added without an entry in
 * ROUTES fails this test, so no route can skip it.
 *
 * The scope column (issue 15 item 6): what an API key needs for the route (`read` < `write` <
 * `admin`). In its own workspace a key whose scopes do not reach it gets 403 INSUFFICIENT_SCOPE
 * and changes nothing; in another workspace every key gets 404, whatever its scope.
 */
const ROUTES: Record<string, { scope: ApiKeyScope; body?: unknown }> = {
  getWorkspace: { scope: 'read' },
  renameWorkspace: { scope: 'admin', body: { name: 'hijacked' } },
  createApiKey: { scope: 'admin', body: { name: 'intruder', scopes: ['admin'] } },
  listApiKeys: { scope: 'read' },
  revokeApiKey: { scope: 'admin' },
  listAuditLog: { scope: 'read' },
  createConnection: {
    scope: 'admin',
    body: { provider: 'stripe', apiKey: 'sk_test_intruderKey0001' },
  },
  listConnections: { scope: 'read' },
  getConnection: { scope: 'read' },
  updateConnection: { scope: 'admin', body: { isActive: false } },
  deleteConnection: { scope: 'admin' },
  testConnection: { scope: 'write' },
  registerWebhookEndpoint: { scope: 'admin', body: { url: 'https://evil.example.com/hook' } },
  startInitialSync: { scope: 'write', body: {} },
  listSyncSessions: { scope: 'read' },
  getSyncSession: { scope: 'read' },
  cancelSyncSession: { scope: 'write' },
  listProviders: { scope: 'read' },
  recoverSyncSession: {
    scope: 'write',
    body: { sessionId: '00000000-0000-4000-8000-000000000001', mode: 'resume' },
  },
  listRecoverableSessions: { scope: 'read' },
  listEvents: { scope: 'read' },
  listFailedEvents: { scope: 'read' },
  replayEvents: { scope: 'write', body: { filter: { status: 'dead' }, reason: 'intruder' } },
  getDeadLetterStats: { scope: 'read' },
  startReconciliation: { scope: 'write', body: { provider: 'stripe', repair: true } },
  listReconciliations: { scope: 'read' },
  getReconciliation: { scope: 'read' },
  getErrorRecoveryHealth: { scope: 'read' },
  getEvent: { scope: 'read' },
  listCustomers: { scope: 'read' },
  getCustomer: { scope: 'read' },
  listProducts: { scope: 'read' },
  getProduct: { scope: 'read' },
  listPrices: { scope: 'read' },
  getPrice: { scope: 'read' },
  listSubscriptions: { scope: 'read' },
  getSubscription: { scope: 'read' },
  listInvoices: { scope: 'read' },
  getInvoice: { scope: 'read' },
  listPaymentTransactions: { scope: 'read' },
  getPaymentTransaction: { scope: 'read' },
  // Stripe breadth (issue 19).
  listRefunds: { scope: 'read' },
  getRefund: { scope: 'read' },
  listDisputes: { scope: 'read' },
  getDispute: { scope: 'read' },
  listCreditNotes: { scope: 'read' },
  getCreditNote: { scope: 'read' },
  listCoupons: { scope: 'read' },
  getCoupon: { scope: 'read' },
  listPromotionCodes: { scope: 'read' },
  getPromotionCode: { scope: 'read' },
  listDiscounts: { scope: 'read' },
  getDiscount: { scope: 'read' },
  listPaymentMethods: { scope: 'read' },
  getPaymentMethod: { scope: 'read' },
  listSubscriptionItems: { scope: 'read' },
  getSubscriptionItem: { scope: 'read' },
  listSubscriptionSchedules: { scope: 'read' },
  getSubscriptionSchedule: { scope: 'read' },
  listInvoiceLineItems: { scope: 'read' },
  getInvoiceLineItem: { scope: 'read' },
  listTaxIds: { scope: 'read' },
  getTaxId: { scope: 'read' },
  listCheckoutSessions: { scope: 'read' },
  getCheckoutSession: { scope: 'read' },
  listPayouts: { scope: 'read' },
  getPayout: { scope: 'read' },
  listBalanceTransactions: { scope: 'read' },
  getBalanceTransaction: { scope: 'read' },
  listEarlyFraudWarnings: { scope: 'read' },
  getEarlyFraudWarning: { scope: 'read' },
  listReviews: { scope: 'read' },
  getReview: { scope: 'read' },
  listSetupIntents: { scope: 'read' },
  getSetupIntent: { scope: 'read' },
};
const BODIES: Record<string, unknown> = Object.fromEntries(
  Object.entries(ROUTES).map(([op, r]) => [op, r.body]),
);
/**
 * Routes outside a workspace, covered by their own tests (admin-only create, filtered list,
 * encryption key rotation: encryption-admin.int.spec.ts).
 */
const NOT_WORKSPACE_SCOPED_SCOPES: Record<string, RequiredScope> = {
  createWorkspace: 'admin-token',
  listWorkspaces: 'read',
  rotateEncryptionKeys: 'admin-token',
};
const NOT_WORKSPACE_SCOPED = Object.keys(NOT_WORKSPACE_SCOPED_SCOPES);
const RANK = { read: 0, write: 1, admin: 2 } as const;

interface Tenant {
  id: string;
  /** The workspace's first key: `admin` scope. */
  apiKey: string;
  apiKeyId: string;
  /** A key of each scope, minted by the first key. */
  keys: Record<ApiKeyScope, string>;
  ids: Record<string, string>;
}

let h: ApiHarness;
let a: Tenant;
let b: Tenant;
let c: Tenant;
let operations: { method: string; path: string; operationId: string; scope: unknown }[];

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
  const mint = async (scope: ApiKeyScope) => {
    const res = await h.call(ws.apiKey, {
      method: 'POST',
      url: `${base}/api-keys`,
      payload: { name: `${scope} key`, scopes: [scope] },
    });
    expect(res.json<{ scopes: string[] }>().scopes).toEqual([scope]);
    return res.json<{ apiKey: string }>().apiKey;
  };
  const keys = { read: await mint('read'), write: await mint('write'), admin: await mint('admin') };

  const ctx = { workspaceId: ws.id, source: 'webhook' as const };
  const changes = ['customer', 'product', 'price', 'subscription', 'invoice', 'payment_intent'].map(
    (fixture) => stripeObjectToChange(stripeFixture(fixture), { version: 1_764_000_000_000, ctx })!,
  );
  const event = anEvent({ workspaceId: ws.id });
  await new SyncWriteRepository({ prisma: h.prisma }).applyChanges(changes, { events: [event] });
  await seedBreadthRows(h, ws.id);
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
    keys,
    ids: {
      workspaceId: ws.id,
      configId,
      sessionId,
      reconciliationId,
      keyId,
      eventId,
      provider: 'stripe',
      // A row of each collection (`customers`, …, `setup-intents`).
      ...Object.fromEntries(
        await Promise.all(
          Object.entries(DATA_COLLECTIONS).map(
            async ([collection, type]) =>
              [collection, await rowId(ENTITY_TABLES[type].table)] as const,
          ),
        ),
      ),
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
      // A 204 (the admin key's revoke and delete) has no body.
      code: res.body ? (res.json<{ code?: string }>().code ?? '') : '',
    });
  }
  return answers;
}

beforeAll(async () => {
  h = await startApiHarness();
  a = await seedTenant('tenant-a');
  b = await seedTenant('tenant-b');
  c = await seedTenant('tenant-c');
  const doc = h.app.swagger() as OpenAPIV3.Document;
  operations = Object.entries(doc.paths).flatMap(([path, item]) =>
    (['get', 'post', 'put', 'patch', 'delete'] as const)
      .filter((m) => item?.[m])
      .map((m) => ({
        method: m.toUpperCase(),
        path,
        operationId: item![m]!.operationId!,
        scope: (item![m] as Record<string, unknown>)['x-required-scope'],
      })),
  );
}, 90_000);
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

it('the OpenAPI document states each route’s scope, as the scope column says', () => {
  const stated = Object.fromEntries(operations.map((o) => [o.operationId, o.scope]));
  expect(stated).toEqual({
    ...Object.fromEntries(Object.entries(ROUTES).map(([op, r]) => [op, r.scope])),
    ...NOT_WORKSPACE_SCOPED_SCOPES,
  });
  const doc = h.app.swagger() as OpenAPIV3.Document;
  for (const item of Object.values(doc.paths)) {
    for (const m of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const op = item?.[m] as (OpenAPIV3.OperationObject & Record<string, unknown>) | undefined;
      if (op)
        expect(op.description).toContain(`Required scope: \`${String(op['x-required-scope'])}\``);
    }
  }
});

it.each(['admin', 'read'] as const)(
  'a workspace key with the %s scope gets 404 for every route of another workspace, and changes nothing',
  async (scope) => {
    const token = scope === 'admin' ? a.apiKey : a.keys[scope];
    const results = (await callEach(token, workspaceScoped(), b.ids, b.ids)).map(
      (r) => `${r.operationId} ${r.status} ${r.code}`,
    );
    expect(results.filter((r) => !r.endsWith(' 404 NOT_FOUND'))).toEqual([]);
    // B is untouched.
    await expectUntouched(b, 'tenant-b');
  },
  60_000,
);

/**
 * `tenant`'s workspace is as it was set up (named `name`): its connection active, its session
 * pending, none of its keys revoked and no key named `intruder` added.
 */
async function expectUntouched(tenant: Tenant, name: string) {
  const base = `/api/v1/workspaces/${tenant.id}`;
  const get = async (url: string) =>
    (await h.call(tenant.apiKey, { method: 'GET', url })).json<unknown>();
  expect(await get(base)).toMatchObject({ name });
  expect(await get(`${base}/sync/config/${tenant.ids.configId}`)).toMatchObject({
    isActive: true,
  });
  expect(await get(`${base}/sync/sessions/${tenant.ids.sessionId}`)).toMatchObject({
    status: 'pending',
  });
  const keys = (
    (await get(`${base}/api-keys`)) as {
      data: { name: string; revokedAt: string | null }[];
    }
  ).data;
  expect(keys.every((k) => k.revokedAt === null)).toBe(true);
  expect(keys.map((k) => k.name)).not.toContain('intruder');
}

/** What a key of `scope` must get from each route of its own workspace (403 or anything else). */
function expectScopeEnforced(
  scope: ApiKeyScope,
  answers: { operationId: string; status: number; code: string }[],
) {
  const wrong = answers.filter((r) => {
    const denied = r.status === 403 && r.code === 'INSUFFICIENT_SCOPE';
    const mustDeny = RANK[scope] < RANK[ROUTES[r.operationId]!.scope];
    return denied !== mustDeny || (!denied && r.status === 403);
  });
  expect(wrong.map((r) => `${r.operationId} ${r.status} ${r.code}`)).toEqual([]);
}

it('in its own workspace, a read key gets 403 INSUFFICIENT_SCOPE on every write route, and changes nothing', async () => {
  const answers = await callEach(a.keys.read, workspaceScoped(), a.ids, a.ids);
  expectScopeEnforced('read', answers);
  expect(answers.filter((r) => r.code === 'INSUFFICIENT_SCOPE').length).toBe(
    Object.values(ROUTES).filter((r) => r.scope !== 'read').length,
  );
  await expectUntouched(a, 'tenant-a');
}, 60_000);

it('in its own workspace, a write key is refused the admin routes only, and an admin key none', async () => {
  // Tenant C: these calls really start, cancel, change and delete things.
  expectScopeEnforced('write', await callEach(c.keys.write, workspaceScoped(), c.ids, c.ids));
  const admin = await callEach(c.keys.admin, workspaceScoped(), c.ids, c.ids);
  expectScopeEnforced('admin', admin);
  expect(admin.filter((r) => r.status === 403)).toEqual([]);
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
