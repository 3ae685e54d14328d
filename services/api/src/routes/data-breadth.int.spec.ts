import { ENTITY_TYPES, type EntityType } from '@paysync/contracts';
import { ENTITY_TABLES, type CanonicalColumn } from '@paysync/db';

import { DATA_COLLECTIONS, parentFilters } from '../modules/data/collections.js';
import { camel } from '../modules/data/synced-data.repository.js';
import {
  BREADTH_SAMPLES,
  BREADTH_TYPES,
  breadthChange,
  seedBreadthRows,
} from '../testing/breadth-rows.js';
import { expectProblem, pageThrough, workspaceHarness } from '../testing/management-api.js';

import type { OpenAPIV3 } from 'openapi-types';

// The read API over the Stripe breadth types (issue 19): one collection per synced entity type,
// the same filters and cursors as the first six, parent-id filters where a table has the parent.

const api = workspaceHarness('data-breadth');

const collectionOf = (t: EntityType) =>
  Object.entries(DATA_COLLECTIONS).find(([, type]) => type === t)![0];
const BREADTH = BREADTH_TYPES.map((t) => [collectionOf(t), t] as const);
/** Five more refunds of another payment, for paging. */
const PAGED = ['re_page1', 're_page2', 're_page3', 're_page4', 're_page5'];

beforeAll(async () => {
  await seedBreadthRows(api.h, api.ws.id, [
    ...PAGED.map((externalId) =>
      breadthChange(api.ws.id, 'refund', {
        externalId,
        data: { paymentTransactionExternalId: 'pi_page' },
      }),
    ),
    breadthChange(api.ws.id, 'tax_id', { externalId: 'txi_gone', deleted: true }),
  ]);
});

const get = (path: string) =>
  api.h.call(api.ws.apiKey, { method: 'GET', url: `${api.base}/${path}` });
const dataOf = async (path: string) => {
  const res = await get(path);
  expect([res.statusCode, res.body]).toEqual([200, expect.any(String)]);
  return res.json<{ data: Record<string, unknown>[] }>().data;
};

/** What the API serves for a canonical value: dates as ISO strings, the rest as stored. */
const served = (v: unknown) => (v instanceof Date ? v.toISOString() : (v ?? null));

it('every synced entity type has exactly one collection', () => {
  expect(Object.values(DATA_COLLECTIONS).sort()).toEqual([...ENTITY_TYPES].sort());
  expect(BREADTH).toHaveLength(17);
});

it('the OpenAPI document has a list and a get operation for every collection', async () => {
  const doc = (
    await api.h.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })
  ).json<OpenAPIV3.Document>();
  for (const collection of Object.keys(DATA_COLLECTIONS)) {
    const list = doc.paths[`/api/v1/workspaces/{workspaceId}/${collection}`]?.get;
    const one = doc.paths[`/api/v1/workspaces/{workspaceId}/${collection}/{id}`]?.get;
    expect([collection, list?.operationId, one?.operationId]).toEqual([
      collection,
      expect.stringMatching(/^list[A-Z]/),
      expect.stringMatching(/^get[A-Z]/),
    ]);
    const query = (list?.parameters ?? []) as OpenAPIV3.ParameterObject[];
    const names = query.filter((p) => p.in === 'query').map((p) => p.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'provider',
        'externalId',
        'providerAccountId',
        'updatedSince',
        'includeDeleted',
        'limit',
        'cursor',
        ...parentFilters(DATA_COLLECTIONS[collection]!).map((f) => f.query),
      ]),
    );
  }
});

it.each(BREADTH)('%s: lists the synced row with its canonical fields', async (collection, type) => {
  const items = await dataOf(`${collection}?externalId=${BREADTH_SAMPLES[type].externalId}`);
  expect(items).toHaveLength(1);
  const sample = BREADTH_SAMPLES[type];
  const canonical = Object.fromEntries(
    (ENTITY_TABLES[type].columns as readonly CanonicalColumn<EntityType>[]).map((c) => [
      camel(c.column),
      served(c.get(sample.data as never)),
    ]),
  );
  expect(items[0]).toEqual({
    id: expect.any(String),
    provider: 'stripe',
    externalId: sample.externalId,
    providerAccountId: null,
    livemode: false,
    deletedAt: null,
    createdAt: expect.any(String),
    updatedAt: expect.any(String),
    syncedVia: 'webhook',
    sourceVersion: 1_764_000_000_000,
    lastEventId: null,
    ...canonical,
  });
});

it.each(BREADTH)('%s: reads one row by id as it is listed', async (collection, type) => {
  const [item] = await dataOf(`${collection}?externalId=${BREADTH_SAMPLES[type].externalId}`);
  const one = await get(`${collection}/${String(item!.id)}`);
  expect(one.statusCode).toBe(200);
  expect(one.json()).toEqual(item);
});

it.each(BREADTH)('%s: an unknown id is a 404', async (collection) => {
  expectProblem(await get(`${collection}/00000000-0000-4000-8000-000000000000`), 404, 'NOT_FOUND');
});

it.each(BREADTH)(
  '%s: filters by externalId, provider and updatedSince',
  async (collection, type) => {
    const id = BREADTH_SAMPLES[type].externalId;
    expect(await dataOf(`${collection}?externalId=nope`)).toEqual([]);
    expect(await dataOf(`${collection}?externalId=${id}&provider=chargebee`)).toEqual([]);
    expect(await dataOf(`${collection}?externalId=${id}&provider=stripe`)).toHaveLength(1);
    const future = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
    expect(await dataOf(`${collection}?updatedSince=${future}`)).toEqual([]);
  },
);

const PARENT_CASES = BREADTH.flatMap(([collection, type]) =>
  parentFilters(type).map((f) => [collection, f.query, type] as const),
);

it('parent filters exist where the tables have the parents', () => {
  const byCollection = Object.fromEntries(
    Object.entries(DATA_COLLECTIONS).map(([c, t]) => [c, parentFilters(t).map((f) => f.query)]),
  );
  expect(byCollection).toMatchObject({
    refunds: ['paymentTransactionExternalId'],
    disputes: ['paymentTransactionExternalId'],
    'credit-notes': ['customerExternalId', 'invoiceExternalId'],
    'invoice-line-items': ['invoiceExternalId', 'subscriptionExternalId'],
    'subscription-items': ['subscriptionExternalId'],
    'tax-ids': ['customerExternalId'],
    payouts: [],
    'balance-transactions': [],
    // The first six have them too.
    invoices: ['customerExternalId', 'subscriptionExternalId'],
    'payment-transactions': ['customerExternalId', 'invoiceExternalId'],
  });
  expect(PARENT_CASES.length).toBeGreaterThanOrEqual(20);
});

it.each(PARENT_CASES)(
  '%s?%s= lists the rows of that parent only',
  async (collection, query, type) => {
    const column = parentFilters(type).find((f) => f.query === query)!.column;
    const value = (ENTITY_TABLES[type].columns as readonly CanonicalColumn<EntityType>[])
      .find((c) => c.column === column)!
      .get(BREADTH_SAMPLES[type].data as never) as string | null;
    expect(await dataOf(`${collection}?${query}=someone_else`)).toEqual([]);
    if (value !== null) {
      const rows = await dataOf(`${collection}?${query}=${value}`);
      expect(rows.map((r) => r.externalId)).toContain(BREADTH_SAMPLES[type].externalId);
      expect(rows.every((r) => r[query] === value)).toBe(true);
    }
  },
);

it('a parent filter a table does not have is refused (400), not ignored', async () => {
  expectProblem(await get('payouts?customerExternalId=cus_read1'), 400, 'VALIDATION_FAILED');
  expectProblem(await get('refunds?invoiceExternalId=in_read1'), 400, 'VALIDATION_FAILED');
});

it('a payment’s refunds page through with the same cursors as every listing', async () => {
  const { ids, pages } = await pageThrough(
    api.h,
    api.ws.apiKey,
    `${api.base}/refunds?paymentTransactionExternalId=pi_page&limit=2`,
  );
  expect(pages).toHaveLength(3);
  expect(new Set(ids).size).toBe(5);
  const rows = await dataOf('refunds?paymentTransactionExternalId=pi_page&limit=10');
  expect(rows.map((r) => r.externalId).sort()).toEqual(PAGED);
  // Refunds of the sample payment are not on these pages.
  expect(rows.map((r) => r.externalId)).not.toContain('re_read1');
});

it('a tombstoned tax id is left out unless includeDeleted', async () => {
  expect((await dataOf('tax-ids')).map((r) => r.externalId)).toEqual(['txi_read1']);
  const all = await dataOf('tax-ids?includeDeleted=true');
  expect(all.find((r) => r.externalId === 'txi_gone')?.deletedAt).toEqual(expect.any(String));
});

it('providerAccountId filters the rows of one connected account (Stripe Connect)', async () => {
  await api.h.prisma.$executeRawUnsafe(
    `UPDATE payouts SET provider_account_id = 'acct_read1' WHERE workspace_id = $1::uuid`,
    api.ws.id,
  );
  const rows = await dataOf('payouts?providerAccountId=acct_read1');
  expect(rows.map((r) => [r.externalId, r.providerAccountId])).toEqual([
    ['po_read1', 'acct_read1'],
  ]);
  expect(await dataOf('payouts?providerAccountId=acct_other')).toEqual([]);
  expect(await dataOf('balance-transactions?providerAccountId=acct_read1')).toEqual([]);
});

it('a coupon’s fractional percent_off is served as a number', async () => {
  const [coupon] = await dataOf('coupons');
  expect(coupon).toMatchObject({ externalId: 'SUMMER25', percentOff: 25.5, valid: true });
});
