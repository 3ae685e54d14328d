import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

import { StripeSimulator } from '@paysync/simulator';

import { StripeProvider } from '../index.js';

import type { RateLimiter } from '../http/token-bucket.js';

// Issue 14 item 1: one client span per provider API request, with its status, attempt and
// throttling. The simulator answers one 429, then the retry succeeds: two spans.

const ctx = { workspaceId: '11111111-1111-4111-8111-111111111111', source: 'backfill' as const };

const exporter = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(exporter)],
});
let sim: StripeSimulator;

beforeAll(async () => {
  trace.setGlobalTracerProvider(tracerProvider);
  sim = new StripeSimulator({ seed: { customers: 3 } });
  await sim.start();
});
afterAll(async () => {
  await sim?.stop();
  await tracerProvider.shutdown();
  trace.disable();
});

it('a throttled request and its successful retry are two spans with status, attempt and throttling', async () => {
  const limiter: RateLimiter = { acquire: async () => undefined, onThrottled: () => undefined };
  const provider = new StripeProvider({
    apiKey: 'sk_test_tracing_spans_0001',
    apiBaseUrl: sim.url,
    rateLimiter: limiter,
    // The simulator's Retry-After (1 s) capped, so the retry follows at once.
    maxRetryAfterMs: 10,
  });
  sim.failNext(1, 429);
  const page = await provider.listPage('customer', { cursor: null, limit: 100 }, ctx);
  expect(page.changes).toHaveLength(3);
  expect(page.requests).toBe(2);

  const spans = exporter.getFinishedSpans();
  expect(spans).toHaveLength(2);
  const [throttled, ok] = spans;
  expect(throttled?.name).toMatch(/^stripe list /);
  expect(ok?.name).toBe(throttled?.name);
  expect(throttled?.kind).toBe(SpanKind.CLIENT);
  expect(ok?.kind).toBe(SpanKind.CLIENT);
  expect(throttled?.attributes).toEqual({
    'paysync.provider': 'stripe',
    'paysync.provider.attempt': 1,
    'http.response.status_code': 429,
    'paysync.provider.throttled': true,
    'paysync.provider.retryable': true,
  });
  expect(throttled?.status.code).toBe(SpanStatusCode.ERROR);
  expect(ok?.attributes).toEqual({ 'paysync.provider': 'stripe', 'paysync.provider.attempt': 2 });
  expect(ok?.status.code).toBe(SpanStatusCode.UNSET);
  // Both are root spans of their own request (no parent here); the retry starts after the 429.
  const ns = (t: readonly [number, number] | undefined) => (t ? t[0] * 1e9 + t[1] : NaN);
  expect(ns(ok?.startTime)).toBeGreaterThanOrEqual(ns(throttled?.endTime));
});
