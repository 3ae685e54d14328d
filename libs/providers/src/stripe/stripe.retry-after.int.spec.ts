import { StripeSimulator } from '@paysync/simulator';

import { StripeProvider } from '../index.js';

import type { RateLimiter } from '../http/token-bucket.js';

// Issue 15 item 9: a provider's Retry-After is capped. Uncapped, "Retry-After: 86400" (a faulty
// proxy, a hostile base URL) stalls the call for a day and pauses the account's shared bucket.

const ctx = { workspaceId: '11111111-1111-4111-8111-111111111111', source: 'backfill' as const };

let sim: StripeSimulator;
beforeAll(async () => {
  sim = new StripeSimulator({ seed: { customers: 3 } });
  await sim.start();
});
afterAll(async () => sim?.stop());

it('waits at most maxRetryAfterMs, and tells the shared limiter no more than that', async () => {
  const throttles: number[] = [];
  const limiter: RateLimiter = {
    acquire: async () => undefined,
    onThrottled: (ms) => throttles.push(ms),
  };
  const provider = new StripeProvider({
    apiKey: 'sk_test_retry_after_cap_0001',
    apiBaseUrl: sim.url,
    rateLimiter: limiter,
    maxRetryAfterMs: 50,
  });
  sim.faults = { ...sim.faults, retryAfterSeconds: 86_400 };
  sim.failNext(2, 429);
  const started = Date.now();
  const page = await provider.listPage('customer', { cursor: null, limit: 100 }, ctx);
  expect(page.changes).toHaveLength(3);
  expect(throttles).toEqual([50, 50]);
  expect(Date.now() - started).toBeLessThan(5_000);
});
