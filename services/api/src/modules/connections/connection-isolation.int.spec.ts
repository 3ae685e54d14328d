import { PgRateLimiter, withTenant, type Db } from '@paysync/db';

import { startApiHarness, type ApiHarness } from '../../testing/api-harness.js';
import {
  createConnection,
  expectProblem,
  type TestWorkspace,
} from '../../testing/management-api.js';

// Issue 15 item 4 (another tenant's rate limit) and item 9 (the base-URL allowlist where the URL
// is used), against the api's own container, the real PostgreSQL and the Stripe simulator.

/** The server's test-mode rate (STRIPE_RATE_LIMIT_PER_SECOND_TEST) for this file. */
const RATE = 20;

let h: ApiHarness;
let prisma: Db;

beforeAll(async () => {
  h = await startApiHarness({ env: { STRIPE_RATE_LIMIT_PER_SECOND_TEST: String(RATE) } });
  prisma = h.prisma;
}, 60_000);

afterAll(async () => {
  await h?.close();
});

const base = (ws: TestWorkspace) => `/api/v1/workspaces/${ws.id}/sync/config`;

async function bucket(key: string) {
  return prisma.providerRateLimit.findUnique({ where: { key } });
}

async function view(ws: TestWorkspace, id: string) {
  return withTenant(ws.id, () =>
    h.app.diContainer.cradle.connectionRepository.getDecrypted(ws.id, id),
  );
}

describe('rate-limit buckets: workspace B claiming A’s provider account (issue 15 item 4)', () => {
  let a: TestWorkspace;
  let b: TestWorkspace;
  let connA: { id: string };
  let connB: { id: string };
  let connBSlow: { id: string };
  const accountKey = () => `stripe:${h.sim.accountId}:test`;

  beforeAll(async () => {
    a = await h.createWorkspace('rate-a');
    b = await h.createWorkspace('rate-b');
    connA = await createConnection(h, a);
    const tested = await h.call(a.apiKey, { method: 'POST', url: `${base(a)}/${connA.id}/test` });
    expect([tested.statusCode, tested.json()]).toEqual([
      200,
      expect.objectContaining({ accountId: h.sim.accountId }),
    ]);
    // B names A's account in its create body, once plainly and once asking for 1 request/s.
    connB = await createConnection(h, b, { accountId: h.sim.accountId });
    connBSlow = await createConnection(h, b, {
      accountId: h.sim.accountId,
      settings: { apiBaseUrl: h.simUrl, rateLimitPerSecond: 1 },
    });
  });

  it('the API shows A’s account as verified and B’s claim as not verified', async () => {
    const getA = await h.call(a.apiKey, { method: 'GET', url: `${base(a)}/${connA.id}` });
    expect(getA.json()).toMatchObject({ accountId: h.sim.accountId, accountVerified: true });
    const getB = await h.call(b.apiKey, { method: 'GET', url: `${base(b)}/${connB.id}` });
    expect(getB.json()).toMatchObject({ accountId: h.sim.accountId, accountVerified: false });
  });

  it('B cannot verify the claim: the account is connected to A (409), B stays unverified', async () => {
    const res = await h.call(b.apiKey, { method: 'POST', url: `${base(b)}/${connB.id}/test` });
    expectProblem(res, 409, 'CONFLICT');
    expect((await view(b, connB.id)).verifiedProviderAccountId).toBeNull();
  });

  it('B’s heavy use and B’s own rate never touch A’s bucket; A keeps the configured rate', async () => {
    const factory = h.app.diContainer.cradle.rateLimiterFactory;
    const limiterA = factory(await view(a, connA.id));
    await limiterA.acquire();
    const before = await bucket(accountKey());
    expect(before).toMatchObject({ baseRatePerSecond: RATE, ratePerSecond: RATE, burst: RATE });

    // B: twice the server rate's worth of requests (about a second of waiting in B's own bucket),
    // and a request through the connection that asked for 1/s.
    const limiterB = factory(await view(b, connB.id));
    await Promise.all(Array.from({ length: 2 * RATE }, () => limiterB.acquire()));
    await factory(await view(b, connBSlow.id)).acquire();
    // A caller that passes another rate for A's key (what every acquire used to write).
    const foreign = new PgRateLimiter({ prisma, key: accountKey(), ratePerSecond: 1, burst: 1 });

    // A's bucket is exactly as A left it: not one token taken, no rate written.
    expect(await bucket(accountKey())).toEqual(before);
    // B's requests went to buckets of B's connections, at the server's rate (and B's own cap).
    expect(await bucket(`stripe:connection:${connB.id}:test`)).toMatchObject({
      baseRatePerSecond: RATE,
      burst: RATE,
    });
    expect(await bucket(`stripe:connection:${connBSlow.id}:test`)).toMatchObject({
      baseRatePerSecond: RATE,
    });
    expect(await bucket(`stripe:connection:${connBSlow.id}:test:cap:1`)).toMatchObject({
      baseRatePerSecond: 1,
      burst: 1,
    });

    // Even a caller on A's own key with another rate does not change the stored rate.
    await foreign.acquire();
    expect(await bucket(accountKey())).toMatchObject({
      baseRatePerSecond: RATE,
      ratePerSecond: RATE,
      burst: RATE,
    });

    // So A's next burst goes through at once (B's debt would have made A wait about a second,
    // B's 1/s about twenty).
    const started = performance.now();
    await Promise.all(Array.from({ length: RATE - 3 }, () => limiterA.acquire()));
    const elapsedMs = performance.now() - started;
    expect(elapsedMs).toBeLessThan(1_000);
  });

  it('a new API key makes the account unverified again (its own bucket until tested)', async () => {
    const c = await createConnection(h, a, { apiKey: 'sk_test_51RateRekeyedKey0000002' });
    expect(
      (await h.call(a.apiKey, { method: 'POST', url: `${base(a)}/${c.id}/test` })).statusCode,
    ).toBe(200);
    expect((await view(a, c.id)).verifiedProviderAccountId).toBe(h.sim.accountId);
    const rekeyed = await h.call(a.apiKey, {
      method: 'PUT',
      url: `${base(a)}/${c.id}`,
      payload: { apiKey: 'sk_test_51RateRekeyedKey0000003' },
    });
    expect(rekeyed.json()).toMatchObject({ accountId: h.sim.accountId, accountVerified: false });
    const limits = h.app.diContainer.cradle.rateLimiterFactory(await view(a, c.id));
    await limits.acquire();
    expect(await bucket(`stripe:connection:${c.id}:test`)).not.toBeNull();
  });
});

describe('a stored base URL the allowlist does not list (issue 15 item 9)', () => {
  it('is refused where the client is built: no request reaches it, the test is recorded failed', async () => {
    const ws = await h.createWorkspace('base-url');
    const c = await createConnection(h, ws);
    // Written by SQL (or before API_ALLOWED_PROVIDER_BASE_URLS changed): the same simulator under
    // another origin, which this api's list does not name.
    const elsewhere = h.simUrl.replace('127.0.0.1', 'localhost');
    await prisma.$executeRaw`
      UPDATE workspace_payment_configurations
      SET settings = jsonb_set(settings, '{apiBaseUrl}', to_jsonb(${elsewhere}::text))
      WHERE id = ${c.id}::uuid`;
    const served = () => [...h.sim.requestCounts.values()].reduce((n, v) => n + v, 0);
    const before = served();

    const res = await h.call(ws.apiKey, { method: 'POST', url: `${base(ws)}/${c.id}/test` });
    const problem = expectProblem(res, 400, 'PROVIDER_BASE_URL_NOT_ALLOWED');
    expect(JSON.stringify(problem)).toContain(new URL(elsewhere).origin);
    expect(JSON.stringify(problem)).toContain('API_ALLOWED_PROVIDER_BASE_URLS');
    expect(served()).toBe(before);

    const get = await h.call(ws.apiKey, { method: 'GET', url: `${base(ws)}/${c.id}` });
    expect(get.json()).toMatchObject({
      health: {
        lastTestOk: false,
        lastTestError: expect.stringContaining('API_ALLOWED_PROVIDER_BASE_URLS'),
      },
    });

    // Registering a webhook endpoint builds a client the same way: refused as well.
    const register = await h.call(ws.apiKey, {
      method: 'POST',
      url: `${base(ws)}/${c.id}/webhook-endpoint`,
      payload: { url: 'https://hooks.example.com/webhooks' },
    });
    expectProblem(register, 400, 'PROVIDER_BASE_URL_NOT_ALLOWED');
    expect(served()).toBe(before);
  });
});
