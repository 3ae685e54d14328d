import { loadEvent, runLoad, stripeSignatureHeader } from '@paysync/simulator';
import { eventually } from '@paysync/testkit';

import { startPipeline, type Pipeline } from '../support/pipeline.js';
import { stack } from '../support/stack-control.js';

// These tests stop the shared Kafka and PostgreSQL: they run in their own jest pass, alone,
// after every other test (scripts/test.mjs), and always restart what they stopped.

let p: Pipeline;

beforeAll(async () => {
  p = await startPipeline({
    // kafkajs logs every failed reconnect at error level; these outages are deliberate.
    env: {
      KAFKA_PRODUCE_TIMEOUT_MS: '2000',
      INGRESS_KAFKA_CIRCUIT_OPEN_MS: '2000',
      LOG_LEVEL: process.env.FAULTS_LOG_LEVEL ?? 'fatal',
    },
  });
  // The whole pipeline is up (topics, consumer group joined) before anything is stopped.
  const warm = await runLoad({
    url: p.webhookUrl,
    secret: p.webhookSecret,
    count: 5,
    concurrency: 1,
    runId: 'warm',
  });
  expect(warm.accepted).toBe(5);
  await eventually(async () => (await processedCount('evt_ldwarm_')) === 5, {
    what: 'warm-up processed',
    timeoutMs: 60_000,
  });
}, 120_000);

afterAll(async () => {
  stack('start', 'kafka');
  stack('start', 'postgres');
  await p.close();
}, 120_000);

async function processedCount(prefix: string): Promise<number> {
  return p.prisma.paymentSyncEvent.count({
    where: { providerEventId: { startsWith: prefix }, status: 'processed' },
  });
}

describe('Kafka outage', () => {
  it('accepts every verified event into the outbox, and delivers each exactly once when Kafka returns', async () => {
    stack('stop', 'kafka');
    try {
      const report = await runLoad({
        url: p.webhookUrl,
        secret: p.webhookSecret,
        count: 60,
        concurrency: 4,
        runId: 'kdown',
      });
      expect(report).toMatchObject({ sent: 60, accepted: 60, rejected: 0, errors: 0 });
      const outbox = await p.prisma.webhookOutbox.count();
      expect(outbox).toBe(60);
    } finally {
      stack('start', 'kafka');
    }
    await eventually(async () => (await processedCount('evt_ldkdown_')) === 60, {
      what: 'all 60 outboxed events processed',
      timeoutMs: 90_000,
      intervalMs: 250,
    });
    expect(await p.prisma.webhookOutbox.count()).toBe(0);
    expect(
      await p.prisma.paymentSyncEvent.count({
        where: { providerEventId: { startsWith: 'evt_ldkdown_' } },
      }),
    ).toBe(60);
    expect(
      await p.prisma.customer.count({
        where: { workspaceId: p.workspaceId, externalId: { startsWith: 'cus_ldkdown' } },
      }),
    ).toBe(60);
  }, 240_000);

  it('answers 503 with Retry-After when neither Kafka nor PostgreSQL can take the event', async () => {
    stack('stop', 'kafka');
    stack('stop', 'postgres');
    try {
      // A fresh connection id would need the database; the cached connection lets the request
      // get as far as the hand-off.
      const report = await runLoad({
        url: p.webhookUrl,
        secret: p.webhookSecret,
        count: 3,
        concurrency: 1,
        runId: 'bothdown',
      });
      expect(report.statuses).toEqual({ 503: 3 });
      const event = loadEvent('customer.updated', 1, {
        runId: 'bothdown',
        createdSeconds: Math.floor(Date.now() / 1000),
        seq: 99,
      });
      const body = JSON.stringify(event);
      const res = await fetch(p.webhookUrl, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'stripe-signature': stripeSignatureHeader(
            body,
            p.webhookSecret,
            Math.floor(Date.now() / 1000),
          ),
        },
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('10'); // INGRESS_RETRY_AFTER_SECONDS default
      expect(await res.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    } finally {
      stack('start', 'postgres');
      stack('start', 'kafka');
    }
  }, 240_000);
});

describe('database outage', () => {
  it('pauses the processor for 30 s without dead-lettering, then applies everything', async () => {
    // Ingress serves its cached connection while the database is down (stale-if-error).
    const runLoadReport = runLoad({
      url: p.webhookUrl,
      secret: p.webhookSecret,
      count: 5,
      concurrency: 1,
      runId: 'dbwarm',
    });
    const warm = await runLoadReport;
    expect(warm.accepted).toBe(5);
    await eventually(async () => (await processedCount('evt_lddbwarm_')) === 5, {
      what: 'warm-up processed after the previous outages',
      timeoutMs: 120_000,
    });
    stack('stop', 'postgres');
    const started = Date.now();
    let report;
    try {
      report = await runLoad({
        url: p.webhookUrl,
        secret: p.webhookSecret,
        count: 80,
        concurrency: 4,
        runId: 'dbdown',
      });
      // The outage itself lasts 30 s (what is being tested); nothing is awaited by time after it.
      await new Promise((r) => setTimeout(r, Math.max(0, 30_000 - (Date.now() - started))));
    } finally {
      stack('start', 'postgres');
    }
    expect(report.accepted).toBe(80);
    await eventually(async () => (await processedCount('evt_lddbdown_')) === 80, {
      what: 'all 80 events applied after the outage',
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    expect(
      await p.prisma.paymentSyncEvent.count({ where: { status: { in: ['failed', 'dead'] } } }),
    ).toBe(0);
  }, 240_000);
});
