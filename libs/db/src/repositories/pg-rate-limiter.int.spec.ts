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
