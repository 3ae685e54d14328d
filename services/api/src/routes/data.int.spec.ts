import { expectProblem, seedReadData, workspaceHarness } from '../testing/management-api.js';

// The read API over synced data: one synced object of each entity type (seedReadData).

const t = workspaceHarness('data');

beforeAll(async () => {
  await seedReadData(t.h, t.ws.id);
});

const get = (path: string) => t.h.call(t.ws.apiKey, { method: 'GET', url: `${t.base}/${path}` });
const dataOf = async <T = Record<string, unknown>>(path: string) =>
  (await get(path)).json<{ data: T[] }>().data;

const COLLECTIONS = [
  ['customers', { externalId: 'cus_read1', email: 'read@example.com', name: 'Reader' }],
  ['products', { externalId: 'prod_read1', name: 'Gold', active: true }],
  ['prices', { externalId: 'price_read1', productExternalId: 'prod_read1' }],
  ['subscriptions', { externalId: 'sub_read1', customerExternalId: 'cus_read1' }],
  ['invoices', { externalId: 'in_read1', customerExternalId: 'cus_read1' }],
  ['payment-transactions', { externalId: 'pi_read1', kind: 'payment_intent' }],
] as const;

it.each(COLLECTIONS)(
  '%s: lists the synced row with its sync fields',
  async (collection, expected) => {
    const list = await get(collection);
    expect(list.statusCode).toBe(200);
    const items = list.json<{ data: Record<string, unknown>[] }>().data;
    expect(items).toHaveLength(1);
    const item = items[0]!;
    expect(item).toMatchObject({
      provider: 'stripe',
      livemode: false,
      deletedAt: null,
      syncedVia: 'webhook',
      ...expected,
    });
    for (const field of ['id', 'createdAt', 'updatedAt', 'sourceVersion']) {
      expect(item[field]).toBeDefined();
    }
  },
);

it.each(COLLECTIONS)('%s: reads one row by id as it is listed', async (collection) => {
  const item = (await dataOf(collection))[0]!;
  const one = await get(`${collection}/${String(item.id)}`);
  expect(one.json()).toEqual(item);
});

it.each(COLLECTIONS)('%s: filters by externalId and provider', async (collection) => {
  expect(await dataOf(`${collection}?externalId=nope&provider=stripe`)).toEqual([]);
});

it.each(COLLECTIONS)('%s: updatedSince in the future matches nothing', async (collection) => {
  const future = encodeURIComponent(new Date(Date.now() + 60_000).toISOString());
  expect(await dataOf(`${collection}?updatedSince=${future}`)).toEqual([]);
});

it('subscription items have their canonical shape', async () => {
  const sub = (
    await dataOf<{ items: { priceExternalId: string; quantity: number }[] }>('subscriptions')
  )[0]!;
  expect(sub.items.length).toBeGreaterThan(0);
  expect(sub.items[0]).toEqual(
    expect.objectContaining({
      priceExternalId: expect.any(String),
      quantity: expect.any(Number),
    }),
  );
});

it('payment amounts have their canonical shape', async () => {
  const pi = (await dataOf<{ amount: number; currency: string }>('payment-transactions'))[0]!;
  expect(typeof pi.amount).toBe('number');
  expect(pi.currency).toMatch(/^[a-z]{3}$/);
});

it('deleted rows are left out by default', async () => {
  expect((await get('customers')).body).not.toContain('cus_gone');
});

it('includeDeleted lists deleted rows with their deletedAt', async () => {
  const gone = (
    await dataOf<{ externalId: string; deletedAt: string | null }>('customers?includeDeleted=true')
  ).find((c) => c.externalId === 'cus_gone');
  expect(gone?.deletedAt).toEqual(expect.any(String));
});

it('a limit of 1000 is capped, not refused', async () => {
  expect((await get('customers?limit=1000')).statusCode).toBe(200);
});

const cursor = (position: unknown[]) => Buffer.from(JSON.stringify(position)).toString('base64url');

it.each([
  ['a limit over 1000', 'limit=100000'],
  ['a cursor of another listing', `cursor=${cursor(['events', '2020-01-01T00:00:00.000Z', 'x'])}`],
  [
    'a cursor with a forged position',
    `cursor=${cursor(['customers', '2020-01-01T00:00:00.000Z', 'not-a-uuid'])}`,
  ],
])('%s is a 400', async (_what, query) => {
  expectProblem(await get(`customers?${query}`), 400, 'VALIDATION_FAILED');
});
