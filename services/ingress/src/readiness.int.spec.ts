// What "ready" means for the ingress (DESIGN §8, issue 13): it can persist a webhook somewhere.
// With Kafka unreachable it still answers /ready 200 ("degraded": the outage is reported, not
// fatal) and still accepts verified webhooks into the PostgreSQL outbox, so a Kafka outage never
// empties the ingress Service. With METRICS_PORT set, /live, /ready and /metrics are served on that
// port only, never on the public PORT. READINESS_KAFKA=required (every other service's default)
// turns the same outage into 503.

import { KeyRing } from '@paysync/crypto';
import { ConnectionRepository, createPrismaClient, type Db } from '@paysync/db';
import { createTestDatabase, type TestDatabase } from '@paysync/db/testing';
import { signStripePayload } from '@paysync/providers';
import { aStripeEvent } from '@paysync/providers/testing';
import { eventually, freePort, uniqueId } from '@paysync/testkit';

import { buildApp } from './app.js';
import { testConfig } from './testing/test-config.js';

const ENCRYPTION_KEYS = `t1:${KeyRing.generateKey()}`;
const SECRET = 'whsec_ingress_readiness_spec';
// Nothing listens there: every Kafka connection is refused at once.
const DEAD_KAFKA = '127.0.0.1:1';

let db: TestDatabase;
let prisma: Db;
let connectionId: string;
const apps: Awaited<ReturnType<typeof buildApp>>[] = [];

async function startIngress(env: Record<string, string>) {
  const metricsPort = await freePort();
  const app = await buildApp(
    testConfig({
      DATABASE_URL: db.appUrl,
      KAFKA_BROKERS: DEAD_KAFKA,
      KAFKA_TOPIC_PREFIX: uniqueId('ingress-ready-'),
      KAFKA_CONNECTION_TIMEOUT_MS: '300',
      KAFKA_PRODUCE_TIMEOUT_MS: '500',
      ENCRYPTION_KEYS,
      METRICS_PORT: String(metricsPort),
      // kafkajs logs every refused connection at error level: keep the test output readable.
      LOG_LEVEL: 'fatal',
      ...env,
    }),
  );
  apps.push(app);
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, baseUrl, metricsUrl: `http://127.0.0.1:${metricsPort}` };
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? (JSON.parse(text) as unknown) : text };
}

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient({ url: db.url, poolMax: 2, statementTimeoutMs: 30_000 });
  const workspaceId = (await prisma.workspace.create({ data: { name: 'ingress-ready' } })).id;
  const connections = new ConnectionRepository({
    prisma,
    keyRing: KeyRing.fromString(ENCRYPTION_KEYS),
  });
  connectionId = (
    await connections.create({
      workspaceId,
      provider: 'stripe',
      mode: 'test',
      apiKey: 'sk_test_ingress_readiness_0001',
      webhookSecrets: [SECRET],
      providerAccountId: null,
    })
  ).id;
});

afterAll(async () => {
  for (const app of apps) await app.close();
  await prisma?.$disconnect();
  await db?.drop();
});

describe('ingress readiness while Kafka is down', () => {
  it('stays ready (degraded, Kafka reported) on METRICS_PORT only, and the outbox takes webhooks', async () => {
    const { baseUrl, metricsUrl } = await startIngress({});

    const ready = await eventually(
      async () => {
        const r = await getJson(`${metricsUrl}/ready`);
        return (r.body as { checks?: { kafka?: { status: string } } }).checks?.kafka?.status ===
          'failed'
          ? r
          : undefined;
      },
      { what: 'ingress /ready reporting the Kafka outage', timeoutMs: 20_000 },
    );
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'degraded',
      checks: { postgres: { status: 'ok' }, kafka: { status: 'failed' } },
    });
    expect((await fetch(`${metricsUrl}/live`)).status).toBe(200);
    expect(await (await fetch(`${metricsUrl}/metrics`)).text()).toContain('service="ingress"');
    // The public port serves webhooks, not the health and metrics routes.
    for (const path of ['/ready', '/live', '/metrics']) {
      expect({ path, status: (await fetch(`${baseUrl}${path}`)).status }).toEqual({
        path,
        status: 404,
      });
    }

    const before = await prisma.webhookOutbox.count();
    const event = aStripeEvent(
      'customer.updated',
      { id: uniqueId('cus_'), object: 'customer', name: 'Outbox' },
      { id: uniqueId('evt_'), created: Math.floor(Date.now() / 1000) },
    );
    const body = JSON.stringify(event);
    const res = await fetch(`${baseUrl}/webhooks/stripe/${connectionId}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': signStripePayload(body, SECRET, Math.floor(Date.now() / 1000)),
      },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, eventId: event.id });
    expect(await prisma.webhookOutbox.count()).toBe(before + 1);
  });

  it('with READINESS_KAFKA=required (the other services’ default) the same outage answers 503', async () => {
    const { metricsUrl } = await startIngress({ READINESS_KAFKA: 'required' });
    const res = await eventually(
      async () => {
        const r = await getJson(`${metricsUrl}/ready`);
        return r.status === 503 ? r : undefined;
      },
      { what: 'ingress /ready 503', timeoutMs: 20_000 },
    );
    expect(res.body).toMatchObject({
      status: 'unavailable',
      checks: { postgres: { status: 'ok' }, kafka: { status: 'failed' } },
    });
  });
});
