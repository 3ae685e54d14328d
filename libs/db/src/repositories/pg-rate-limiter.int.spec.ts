import { PgRateLimiter, ProviderRateLimitRepository, type Db } from '../index.js';
import { createTestPrisma, type TestPrisma } from '../testing/index.js';

// The shared provider rate-limit buckets against real PostgreSQL (issue 15 item 4): an acquire
// never writes a stored rate; only server configuration (applyBaseRate) does; a connection cap is
// a bucket of its own that slows only its connection.
let t: TestPrisma;
let prisma: Db;

beforeAll(async () => {
  t = await createTestPrisma();
  prisma = t.prisma;
});

afterAll(() => t?.close());

const row = (key: string) => prisma.providerRateLimit.findUniqueOrThrow({ where: { key } });

it('the first acquire creates the bucket at its rate; later callers with another rate change nothing', async () => {
  await new PgRateLimiter({ prisma, key: 'stripe:acct_keep:test', ratePerSecond: 10 }).acquire();
  for (const ratePerSecond of [1, 1000]) {
    await new PgRateLimiter({ prisma, key: 'stripe:acct_keep:test', ratePerSecond }).acquire();
  }
  expect(await row('stripe:acct_keep:test')).toMatchObject({
    baseRatePerSecond: 10,
    ratePerSecond: 10,
    burst: 10,
  });
});

it('applyBaseRate sets the configured rate on the account buckets of that provider and mode only', async () => {
  const make = (key: string, ratePerSecond: number) =>
    new PgRateLimiter({ prisma, key, ratePerSecond }).acquire();
  await make('stripe:acct_cfg:test', 10);
  await make('stripe:connection:6c1f8b2e-0000-4000-8000-000000000001:test', 10);
  await make('stripe:connection:6c1f8b2e-0000-4000-8000-000000000001:test:cap:3', 3);
  await make('stripe:acct_cfg:live', 10);
  await make('chargebee:site_cfg:test', 10);

  const repo = new ProviderRateLimitRepository({ prisma });
  expect(await repo.applyBaseRate('stripe', 'test', 30)).toBeGreaterThanOrEqual(2);
  expect(await row('stripe:acct_cfg:test')).toMatchObject({
    baseRatePerSecond: 30,
    ratePerSecond: 30,
    burst: 30,
  });
  expect(await row('stripe:connection:6c1f8b2e-0000-4000-8000-000000000001:test')).toMatchObject({
    baseRatePerSecond: 30,
  });
  // The cap keeps the rate its key names; other modes and providers are untouched.
  expect(
    await row('stripe:connection:6c1f8b2e-0000-4000-8000-000000000001:test:cap:3'),
  ).toMatchObject({ baseRatePerSecond: 3 });
  expect(await row('stripe:acct_cfg:live')).toMatchObject({ baseRatePerSecond: 10 });
  expect(await row('chargebee:site_cfg:test')).toMatchObject({ baseRatePerSecond: 10 });
  // Idempotent: nothing left to change.
  expect(await repo.applyBaseRate('stripe', 'test', 30)).toBe(0);
});

it('a connection cap slows that connection, not the account bucket it shares', async () => {
  const capped = new PgRateLimiter({
    prisma,
    key: 'stripe:acct_shared:test',
    ratePerSecond: 50,
    connectionCap: { key: 'stripe:connection:c1:test:cap:4', ratePerSecond: 4 },
  });
  const started = performance.now();
  // A burst of 4 (the cap's), then 2 more at 4/s: about half a second.
  for (let i = 0; i < 6; i++) await capped.acquire();
  const cappedMs = performance.now() - started;
  expect(cappedMs).toBeGreaterThanOrEqual(400);

  // The account bucket lost only those 6 tokens: another connection of the account is not slowed.
  const account = await row('stripe:acct_shared:test');
  expect(account).toMatchObject({ baseRatePerSecond: 50, burst: 50 });
  expect(account.tokens).toBeGreaterThanOrEqual(50 - 6 - 1);
  const other = new PgRateLimiter({ prisma, key: 'stripe:acct_shared:test', ratePerSecond: 50 });
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 20 }, () => other.acquire()));
  expect(performance.now() - t0).toBeLessThan(1_000);
});

// A per-minute budget (issue 17: Chargebee counts the requests of the past 60 s per site). The
// bucket refills `requests` per `perMs` and holds `burst`: 150 per 60,000 ms with burst 1 is
// 2.5/s steady, one request every 400 ms, never two at once.
describe('a per-minute budget (Chargebee: 150 per minute, burst 1)', () => {
  const perMinute = (key: string) =>
    new PgRateLimiter({ prisma, key, ratePerSecond: 150 / 60, burst: 1 });

  it('is stored as 2.5/s with a burst of 1', async () => {
    await perMinute('chargebee:acme-store:test').acquire();
    expect(await row('chargebee:acme-store:test')).toMatchObject({
      baseRatePerSecond: 2.5,
      ratePerSecond: 2.5,
      burst: 1,
    });
  });

  it('sends the first request at once and then one every 400 ms: no burst beyond 1', async () => {
    const limiter = perMinute('chargebee:acme-steady:test');
    const t0 = performance.now();
    await limiter.acquire();
    const firstMs = performance.now() - t0;
    for (let i = 0; i < 5; i++) await limiter.acquire();
    const elapsed = performance.now() - t0;
    expect(firstMs).toBeLessThan(300);
    // 5 requests after the first at 2.5/s: 2,000 ms (a burst of 2 would make it 1,600 ms).
    expect(elapsed).toBeGreaterThanOrEqual(1_950);
    expect(elapsed).toBeLessThan(3_000);
  });

  it('two replicas of the same site share the pace (they queue, they do not each get 2.5/s)', async () => {
    const a = perMinute('chargebee:acme-shared:test');
    const b = perMinute('chargebee:acme-shared:test');
    const t0 = performance.now();
    await Promise.all([a.acquire(), b.acquire(), a.acquire(), b.acquire()]);
    // Four requests of one site: the first at once, the last 1,200 ms later.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1_150);
  });

  it('a 429 pauses the site for its Retry-After before the next request', async () => {
    const limiter = perMinute('chargebee:acme-throttled:test');
    await limiter.acquire();
    limiter.onThrottled(1_000);
    expect(limiter.takeThrottles()).toBe(1);
    // onThrottled writes without being awaited: wait (with a deadline) until the bucket shows it.
    const deadline = Date.now() + 10_000;
    while ((await row('chargebee:acme-throttled:test')).throttledAt === null) {
      if (Date.now() > deadline) throw new Error('the 429 never reached the bucket');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const t0 = performance.now();
    await limiter.acquire();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(950);
    expect(await row('chargebee:acme-throttled:test')).toMatchObject({
      baseRatePerSecond: 2.5,
      ratePerSecond: 1.25,
      burst: 1,
    });
  });

  it('applyBaseRate with the budget’s burst: a configured per-minute rate keeps burst 1', async () => {
    await perMinute('chargebee:acme-config:live').acquire();
    await new PgRateLimiter({
      prisma,
      key: 'stripe:acct_untouched:live',
      ratePerSecond: 10,
    }).acquire();
    const repo = new ProviderRateLimitRepository({ prisma });
    // CHARGEBEE_RATE_LIMIT_PER_MINUTE_LIVE=1000 (a Performance plan).
    expect(await repo.applyBaseRate('chargebee', 'live', 1000 / 60, 1)).toBe(1);
    expect(await row('chargebee:acme-config:live')).toMatchObject({
      baseRatePerSecond: 1000 / 60,
      burst: 1,
    });
    expect(await row('stripe:acct_untouched:live')).toMatchObject({ baseRatePerSecond: 10 });
    expect(await repo.applyBaseRate('chargebee', 'live', 1000 / 60, 1)).toBe(0);
  });
});
