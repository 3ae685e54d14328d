import type { FastifyInstance } from 'fastify';

import { eventually } from '@paysync/testkit';

import { startApiHarness, type ApiHarness } from '../../services/api/src/testing/api-harness.js';
import { createConnection } from '../../services/api/src/testing/management-api.js';
import { startSyncRunner } from '../support/services.js';

// The user's path: the api creates the session and publishes the start command on Kafka; the
// sync-runner consumes it, runs the backfill; the api shows progress and serves the rows.
let h: ApiHarness;
let runner: FastifyInstance;

beforeAll(async () => {
  h = await startApiHarness({
    seed: { customers: 230, products: 4, prices: 6, subscriptions: 10, invoices: 5 },
  });
  runner = await startSyncRunner({
    ...h.env,
    // Only the command wakes it up quickly; the poll is slow so the test proves the Kafka path.
    SYNC_POLL_INTERVAL_MS: '60000',
    LOG_LEVEL: 'warn',
  });
}, 60_000);

afterAll(async () => {
  await runner?.close();
  await h?.close();
});

it('POST /sync/stripe/initial → Kafka command → sync-runner → completed session, rows readable', async () => {
  const ws = await h.createWorkspace('backfill');
  const base = `/api/v1/workspaces/${ws.id}`;
  await createConnection(h, ws, { apiKey: 'sk_test_backfill0001', webhookSecret: undefined });
  const start = await h.call(ws.apiKey, { method: 'POST', url: `${base}/sync/stripe/initial` });
  expect(start.statusCode).toBe(202);
  const { sessionId } = start.json<{ sessionId: string }>();

  // Wait until the first poll of the idle workers has happened, then rely on the command.
  const session = await eventually(
    async () => {
      const res = await h.call(ws.apiKey, {
        method: 'GET',
        url: `${base}/sync/sessions/${sessionId}`,
      });
      const body = res.json<{ status: string }>();
      return body.status === 'completed' || body.status === 'failed' ? body : undefined;
    },
    { timeoutMs: 45_000, what: 'the session to complete' },
  );
  expect(session).toMatchObject({
    status: 'completed',
    error: null,
    progress: {
      customer: { fetched: 230, written: 230, done: true, segments: 4, segmentsDone: 4 },
      product: { fetched: 4, written: 4, done: true },
      subscription: { fetched: 10, done: true },
    },
  });
  const customers = await h.call(ws.apiKey, { method: 'GET', url: `${base}/customers?limit=200` });
  const page = customers.json<{ data: { syncedVia: string }[]; nextCursor: string | null }>();
  expect(page.data).toHaveLength(200);
  expect(page.nextCursor).not.toBeNull();
  expect(page.data.every((c) => c.syncedVia === 'backfill')).toBe(true);
}, 90_000);
