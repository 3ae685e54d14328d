import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { ChargebeeSimulator } from '../index.js';

// The Chargebee simulator over plain HTTP (no SDK): what a client sees on the wire.

const KEY = 'test_sim_key';
const auth = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

let sim: ChargebeeSimulator;
let url: string;

async function get(path: string, key = KEY) {
  const res = await fetch(`${url}${path}`, { headers: { authorization: auth(key) } });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as Record<string, unknown>,
  };
}

async function post(path: string, form: Record<string, string>) {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: {
      authorization: auth(KEY),
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeEach(async () => {
  sim = new ChargebeeSimulator({ seed: { customer: 25, item: 3 } });
  url = await sim.start();
});

afterEach(async () => {
  await sim.stop();
});

describe('Chargebee simulator testing hooks', () => {
  it('freezeVersion gives changes one resource_version (a tie), then versions grow again', () => {
    const id = 'cbsim_cus_00000003';
    sim.freezeVersion(5_000_000);
    const first = sim.update('customer', id, { first_name: 'first' });
    const second = sim.update('customer', id, { first_name: 'second' });
    expect([first.resource_version, second.resource_version]).toEqual([5_000_000, 5_000_000]);
    sim.freezeVersion(undefined);
    const third = sim.update('customer', id, { first_name: 'third' });
    expect(third.resource_version).toBeGreaterThan(5_000_000);
  });

  it('failListing serves the given pages of one resource, then 500s until cleared', async () => {
    sim.failListing('customer', 1);
    const page = await get('/api/v2/customers?limit=10');
    expect(page.status).toBe(200);
    const broken = await get(
      `/api/v2/customers?limit=10&offset=${encodeURIComponent(String(page.body.next_offset))}`,
    );
    expect(broken.status).toBe(500);
    expect(broken.body).toMatchObject({ api_error_code: 'internal_error', http_status_code: 500 });
    expect((await get('/api/v2/items')).status).toBe(200);
    expect((await get('/api/v2/customers/cbsim_cus_00000001')).status).toBe(200);
    sim.clearListingFailure();
    expect((await get('/api/v2/customers?limit=10')).status).toBe(200);
  });
});

describe('Chargebee simulator', () => {
  it('answers 401 in Chargebee’s error JSON without the right Basic credentials', async () => {
    for (const headers of [
      {} as Record<string, string>,
      { authorization: auth('test_other_key') },
      { authorization: 'Bearer test_sim_key' },
    ]) {
      const res = await fetch(`${url}/api/v2/customers`, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({
        message: expect.any(String),
        type: 'invalid_request',
        api_error_code: 'api_authentication_failed',
        http_status_code: 401,
      });
    }
    sim.revokeKey(KEY);
    expect((await get('/api/v2/customers')).status).toBe(401);
  });

  it('pages with limit and an opaque next_offset, absent on the last page', async () => {
    const first = await get('/api/v2/customers?limit=10');
    expect(first.status).toBe(200);
    const list = first.body.list as { customer: { id: string; object: string } }[];
    expect(list).toHaveLength(10);
    expect(list[0]?.customer).toMatchObject({ id: 'cbsim_cus_00000000', object: 'customer' });
    expect(typeof first.body.next_offset).toBe('string');
    const second = await get(
      `/api/v2/customers?limit=10&offset=${encodeURIComponent(String(first.body.next_offset))}`,
    );
    const third = await get(
      `/api/v2/customers?limit=10&offset=${encodeURIComponent(String(second.body.next_offset))}`,
    );
    expect((third.body.list as unknown[]).length).toBe(5);
    expect(third.body).not.toHaveProperty('next_offset');
    expect((await get('/api/v2/customers?limit=101')).body).toMatchObject({
      api_error_code: 'param_wrong_value',
      http_status_code: 400,
    });
    expect((await get('/api/v2/customers?offset=garbage')).status).toBe(400);
  });

  it('create/update/delete bump resource_version (ms) and updated_at (s), and emit events', async () => {
    const created = await post('/api/v2/customers', {
      email: 'new@example.com',
      first_name: 'Ann',
    });
    const c = created.body.customer as Record<string, number | string | boolean>;
    expect(c).toMatchObject({ email: 'new@example.com', deleted: false });
    expect(c.resource_version).toBeGreaterThanOrEqual(Number(c.updated_at) * 1000);
    const updated = await post(`/api/v2/customers/${String(c.id)}`, { last_name: 'Lee' });
    const u = updated.body.customer as Record<string, number | string>;
    expect(u.resource_version).toBeGreaterThan(Number(c.resource_version));
    const deleted = await post(`/api/v2/customers/${String(c.id)}/delete`, {});
    expect(deleted.body.customer).toMatchObject({ id: c.id, deleted: true });
    expect(sim.events.map((e) => e.event_type)).toEqual([
      'customer_created',
      'customer_changed',
      'customer_deleted',
    ]);
    // Gone for retrieve, present (deleted: true) only with include_deleted.
    expect((await get(`/api/v2/customers/${String(c.id)}`)).body).toMatchObject({
      api_error_code: 'resource_not_found',
      http_status_code: 404,
    });
    const ids = async (q: string) =>
      (
        (await get(`/api/v2/customers?limit=100${q}`)).body.list as { customer: { id: string } }[]
      ).map((e) => e.customer.id);
    expect(await ids('')).not.toContain(c.id);
    expect(await ids('&include_deleted=true')).toContain(c.id);
    // Items have no include_deleted parameter.
    expect((await get('/api/v2/items?include_deleted=true')).status).toBe(400);
  });

  it('sorts by updated_at ascending and filters updated_at[after]', async () => {
    sim.update('customer', 'cbsim_cus_00000003', { email: 'changed@example.com' });
    const sorted = await get('/api/v2/customers?limit=100&sort_by[asc]=updated_at');
    const list = sorted.body.list as { customer: { id: string } }[];
    expect(list.at(-1)?.customer.id).toBe('cbsim_cus_00000003');
    const since = (sim.getObject('customer', 'cbsim_cus_00000003')?.updated_at as number) - 1;
    const recent = await get(
      `/api/v2/customers?sort_by[asc]=updated_at&updated_at[after]=${since}`,
    );
    expect((recent.body.list as unknown[]).length).toBe(1);
  });

  it('enforces a per-minute limit with 429 api_request_limit_exceeded and Retry-After', async () => {
    sim.rateLimitPerMinute = 3;
    for (let i = 0; i < 3; i++) expect((await get('/api/v2/items')).status).toBe(200);
    const limited = await get('/api/v2/items');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({
      type: 'operation_failed',
      api_error_code: 'api_request_limit_exceeded',
      http_status_code: 429,
    });
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it('lists events with occurred_at filters, oldest first on sort_by[asc], paged', async () => {
    sim.freezeClock(2_000_000_000);
    sim.create('customer');
    sim.freezeClock(2_000_000_100);
    sim.create('item');
    sim.create('customer');
    sim.freezeClock(undefined);
    const asc = await get(
      '/api/v2/events?sort_by[asc]=occurred_at&occurred_at[after]=2000000050&limit=1',
    );
    const first = asc.body.list as { event: { event_type: string; occurred_at: number } }[];
    expect(first.map((e) => e.event.event_type)).toEqual(['item_created']);
    const next = await get(
      `/api/v2/events?sort_by[asc]=occurred_at&occurred_at[after]=2000000050&limit=1&offset=${encodeURIComponent(String(asc.body.next_offset))}`,
    );
    expect((next.body.list as { event: { event_type: string } }[])[0]?.event.event_type).toBe(
      'customer_created',
    );
    expect(next.body).not.toHaveProperty('next_offset');
    const one = await get(`/api/v2/events/${String(sim.events[0]?.id)}`);
    expect(one.body.event).toMatchObject({ id: sim.events[0]?.id, api_version: 'v2' });
  });
});

describe('Chargebee simulator webhooks', () => {
  let server: Server;
  const received: { headers: IncomingHttpHeaders; id: string }[] = [];

  beforeEach(async () => {
    received.length = 0;
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          headers: req.headers,
          id: (JSON.parse(Buffer.concat(chunks).toString()) as { id: string }).id,
        });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    sim.addWebhookEndpoint(`http://127.0.0.1:${port}/hook`, 'user', 'pa:ss');
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('POSTs each event with HTTP Basic credentials', async () => {
    sim.create('customer');
    await sim.webhooks.flush();
    expect(received).toHaveLength(1);
    expect(received[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('user:pa:ss').toString('base64')}`,
    );
    expect(received[0]?.headers['content-type']).toContain('application/json');
  });

  it('delivers out of order within a reorder window, and duplicates', async () => {
    sim.setDelivery({ reorderWindow: 6, duplicateRate: 0 });
    for (let i = 0; i < 6; i++) sim.create('customer');
    await sim.webhooks.flush();
    const emitted = sim.events.map((e) => e.id);
    expect([...received.map((r) => r.id)].sort()).toEqual([...emitted].sort());
    expect(received.map((r) => r.id)).not.toEqual(emitted);

    received.length = 0;
    sim.setDelivery({ reorderWindow: 0, duplicateRate: 1 });
    sim.create('customer');
    await sim.webhooks.flush();
    expect(received.map((r) => r.id)).toEqual([sim.events.at(-1)?.id, sim.events.at(-1)?.id]);
  });
});
