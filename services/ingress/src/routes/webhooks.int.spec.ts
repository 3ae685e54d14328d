// The ingress service built through its composition root (buildApp) against the real Kafka and a
// fresh PostgreSQL database: every way a webhook is refused, one row each, and the accepted path
// (the event lands in Kafka). Each row has its own client address and, where it matters, its own
// connection, so rows never share a rate-limit window or a cached connection.
import type { InjectOptions, LightMyRequestResponse } from 'fastify';

import { TOPICS, type WebhookReceived } from '@paysync/contracts';
import { KeyRing } from '@paysync/crypto';
import {
  ConnectionRepository,
  createPrismaClient,
  type ConnectionView,
  type Db,
} from '@paysync/db';
import { createTestDatabase, type TestDatabase } from '@paysync/db/testing';
import { createKafka, topicName } from '@paysync/kafka';
import { TopicProbe } from '@paysync/kafka/testing';
import { createLogger } from '@paysync/observability';
import { signStripePayload } from '@paysync/providers';
import { eventually, stackEnv, uniqueId } from '@paysync/testkit';

import { buildApp } from '../app.js';
import { testConfig } from '../testing/test-config.js';

const ENCRYPTION_KEYS = `t1:${KeyRing.generateKey()}`;
const BODY_LIMIT = 4096;
const RATE_LIMIT = 5;
const TOLERANCE_SECONDS = 300;
const SECRET = 'whsec_ingress_int_spec_secret';
const CB_CREDENTIAL = 'paysync:ingress-int-spec-password-0001';

/** A Chargebee event (customer_changed) and its HTTP Basic header. */
function aChargebeeEvent(): Record<string, unknown> {
  const id = uniqueId('cus_');
  return {
    id: uniqueId('ev_'),
    object: 'event',
    occurred_at: Math.floor(Date.now() / 1000),
    source: 'admin_console',
    api_version: 'v2',
    event_type: 'customer_changed',
    webhook_status: 'not_configured',
    content: {
      customer: { id, object: 'customer', first_name: 'Ingress', resource_version: Date.now() },
    },
  };
}
const basic = (credential: string) => `Basic ${Buffer.from(credential).toString('base64')}`;

let db: TestDatabase;
let prisma: Db;
let connections: ConnectionRepository;
let app: Awaited<ReturnType<typeof buildApp>>;
let baseUrl: string;
let probe: TopicProbe;
let workspaceId: string;
/** The connection of the accepted path and of the rows that fail before its rate limit. */
let main: ConnectionView;
/** Event ids of every refused request: none of them may reach Kafka. */
const refusedEventIds: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  const { kafkaBrokers } = stackEnv();
  const topicPrefix = uniqueId('ingress-int-');
  app = await buildApp(
    testConfig({
      DATABASE_URL: db.appUrl,
      KAFKA_BROKERS: kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: topicPrefix,
      ENCRYPTION_KEYS,
      INGRESS_BODY_LIMIT_BYTES: String(BODY_LIMIT),
      INGRESS_RATE_LIMIT_PER_IP: String(RATE_LIMIT),
      INGRESS_RATE_LIMIT_PER_CONNECTION: String(RATE_LIMIT),
      INGRESS_IP_ALLOWLIST: '127.0.0.0/8,::1',
      WEBHOOK_TOLERANCE_SECONDS: String(TOLERANCE_SECONDS),
    }),
  );
  await app.diContainer.cradle.topicBootstrap.whenReady();
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });

  prisma = createPrismaClient({ url: db.url, poolMax: 2, statementTimeoutMs: 30_000 });
  connections = new ConnectionRepository({ prisma, keyRing: KeyRing.fromString(ENCRYPTION_KEYS) });
  workspaceId = (await prisma.workspace.create({ data: { name: 'ingress-int' } })).id;
  main = await aConnection();

  const kafka = createKafka(
    { brokers: kafkaBrokers, connectionTimeoutMs: 3000 },
    createLogger({ level: 'silent', name: 'probe' }),
    'ingress-int-probe',
  );
  probe = await TopicProbe.start(kafka, topicName(TOPICS.webhookReceived, topicPrefix));
});

afterAll(async () => {
  await probe?.stop();
  await app?.close();
  await prisma?.$disconnect();
  await db?.drop();
});

async function aConnection(
  opts: { provider?: 'stripe' | 'chargebee'; accountId?: string } = {},
): Promise<ConnectionView> {
  const chargebee = opts.provider === 'chargebee';
  return connections.create({
    workspaceId,
    provider: opts.provider ?? 'stripe',
    mode: 'test',
    apiKey: 'sk_test_ingress_int_spec_0001',
    // Chargebee's webhook secrets are HTTP Basic credentials.
    webhookSecrets: [chargebee ? CB_CREDENTIAL : SECRET],
    ...(chargebee && { settings: { site: 'ingress-int-test' } }),
    providerAccountId: opts.accountId ?? null,
  });
}

let lastAddress = 1;
/** A client address of its own (inside the allowlist): no row shares a per-IP window. */
function freshAddress(): string {
  lastAddress += 1;
  return `127.0.${Math.floor(lastAddress / 250)}.${lastAddress % 250}`;
}

function anEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: uniqueId('evt_'),
    object: 'event',
    type: 'customer.updated',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    api_version: '2026-10-28.endive',
    data: { object: { id: uniqueId('cus_'), object: 'customer', name: 'Ingress' } },
    ...overrides,
  };
}

interface Post {
  readonly url?: string;
  readonly body?: string;
  readonly headers?: InjectOptions['headers'];
  readonly remoteAddress?: string;
}

/**
 * POSTs `body` (an event signed with the connection's secret unless `headers` is given) to `url`,
 * by default a new connection's URL (its own per-connection window). The event id is recorded as
 * refused: callers of this helper expect a refusal.
 */
async function refusedPost(
  event: Record<string, unknown>,
  post: Post = {},
): Promise<LightMyRequestResponse> {
  refusedEventIds.push(event.id as string);
  const body = post.body ?? JSON.stringify(event);
  return app.inject({
    method: 'POST',
    url: post.url ?? `/webhooks/stripe/${(await aConnection()).id}`,
    payload: body,
    headers: {
      'content-type': 'application/json',
      ...(post.headers ?? { 'stripe-signature': signed(body) }),
    },
    remoteAddress: post.remoteAddress ?? freshAddress(),
  });
}

function signed(body: string, secret = SECRET, t = Math.floor(Date.now() / 1000)): string {
  return signStripePayload(body, secret, t);
}

/** Sends `count` requests at once and returns the first 429 among the answers (or the last one). */
async function burst(count: number, send: () => Promise<LightMyRequestResponse>) {
  const answers = await Promise.all(Array.from({ length: count }, send));
  return answers.find((a) => a.statusCode === 429) ?? answers[answers.length - 1]!;
}

interface Rejection {
  readonly reason: string;
  readonly status: number;
  readonly code: string;
  readonly send: () => Promise<LightMyRequestResponse>;
  /** Counted in `paysync_webhooks_rejected_total{reason=code}` (default true). */
  readonly counted?: boolean;
}

const now = () => Math.floor(Date.now() / 1000);
const UNKNOWN_CONNECTION_URL = '/webhooks/stripe/00000000-0000-4000-8000-000000000000';

const REJECTIONS: Rejection[] = [
  {
    reason: 'client address outside INGRESS_IP_ALLOWLIST',
    status: 403,
    code: 'FORBIDDEN',
    send: () => refusedPost(anEvent(), { remoteAddress: '203.0.113.7' }),
  },
  {
    reason: 'more requests per second from one address than INGRESS_RATE_LIMIT_PER_IP',
    status: 429,
    code: 'RATE_LIMITED',
    send: () => {
      const address = freshAddress();
      // 2 × limit + 1 at once: even split across two one-second windows, one is over the limit.
      return burst(2 * RATE_LIMIT + 1, () =>
        refusedPost(anEvent(), { url: UNKNOWN_CONNECTION_URL, remoteAddress: address }),
      );
    },
  },
  {
    reason: 'more requests per second for one connection than INGRESS_RATE_LIMIT_PER_CONNECTION',
    status: 429,
    code: 'RATE_LIMITED',
    send: async () => {
      const own = await aConnection();
      // From different addresses, so only the connection's limit applies; unsigned is enough:
      // the connection's limit is taken before the signature is checked.
      return burst(2 * RATE_LIMIT + 1, () =>
        refusedPost(anEvent(), { url: `/webhooks/stripe/${own.id}`, headers: {} }),
      );
    },
  },
  {
    reason: 'body larger than INGRESS_BODY_LIMIT_BYTES',
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    send: () => {
      const event = anEvent({
        data: { object: { id: 'cus_big', padding: 'x'.repeat(BODY_LIMIT) } },
      });
      return refusedPost(event);
    },
  },
  {
    reason: 'a provider paysync does not know',
    status: 404,
    code: 'NOT_FOUND',
    send: () => refusedPost(anEvent(), { url: `/webhooks/paypal/${main.id}` }),
  },
  {
    reason: 'a provider other than the connection’s',
    status: 404,
    code: 'NOT_FOUND',
    send: () => refusedPost(anEvent(), { url: `/webhooks/chargebee/${main.id}` }),
  },
  {
    reason: 'an unknown connection id',
    status: 404,
    code: 'NOT_FOUND',
    send: () => refusedPost(anEvent(), { url: UNKNOWN_CONNECTION_URL }),
  },
  {
    reason: 'a connection id that is not a UUID',
    status: 404,
    code: 'NOT_FOUND',
    send: () => refusedPost(anEvent(), { url: '/webhooks/stripe/not-a-uuid' }),
  },
  {
    reason: 'a disabled connection',
    status: 404,
    code: 'NOT_FOUND',
    send: async () => {
      const disabled = await aConnection();
      await connections.update(workspaceId, disabled.id, { isActive: false });
      return refusedPost(anEvent(), { url: `/webhooks/stripe/${disabled.id}` });
    },
  },
  {
    reason: 'Connect endpoint: the event names no account',
    status: 404,
    code: 'NOT_FOUND',
    send: () => refusedPost(anEvent(), { url: '/webhooks/stripe' }),
  },
  {
    reason: 'Connect endpoint: no connection is linked to the event’s account',
    status: 404,
    code: 'NOT_FOUND',
    send: () => refusedPost(anEvent({ account: 'acct_nobody' }), { url: '/webhooks/stripe' }),
  },
  {
    reason: 'no signature header',
    status: 400,
    code: 'WEBHOOK_SIGNATURE_MISSING',
    send: () => refusedPost(anEvent(), { headers: {} }),
  },
  {
    reason: 'a signature header that does not parse',
    status: 400,
    code: 'WEBHOOK_SIGNATURE_MALFORMED',
    send: () => refusedPost(anEvent(), { headers: { 'stripe-signature': 't=abc,v1=zz' } }),
  },
  {
    reason: 'a signature header without a v1 signature',
    status: 400,
    code: 'WEBHOOK_SIGNATURE_MALFORMED',
    send: () => refusedPost(anEvent(), { headers: { 'stripe-signature': `t=${now()}` } }),
  },
  {
    reason: 'the signature header sent twice',
    status: 400,
    code: 'WEBHOOK_SIGNATURE_MALFORMED',
    send: () => {
      const event = anEvent();
      const signature = signed(JSON.stringify(event));
      return refusedPost(event, { headers: { 'stripe-signature': [signature, signature] } });
    },
  },
  {
    reason: 'signed with a secret the connection does not hold',
    status: 400,
    code: 'WEBHOOK_SIGNATURE_INVALID',
    send: () => {
      const event = anEvent();
      const signature = signed(JSON.stringify(event), 'whsec_someone_else');
      return refusedPost(event, { headers: { 'stripe-signature': signature } });
    },
  },
  {
    reason: 'a body changed after signing',
    status: 400,
    code: 'WEBHOOK_SIGNATURE_INVALID',
    send: () => {
      const event = anEvent();
      const signature = signed(JSON.stringify(event));
      return refusedPost(event, {
        body: JSON.stringify({ ...event, livemode: true }),
        headers: { 'stripe-signature': signature },
      });
    },
  },
  {
    reason: 'a signed timestamp older than WEBHOOK_TOLERANCE_SECONDS',
    status: 400,
    code: 'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE',
    send: () => {
      const event = anEvent();
      const signature = signed(JSON.stringify(event), SECRET, now() - TOLERANCE_SECONDS - 60);
      return refusedPost(event, { headers: { 'stripe-signature': signature } });
    },
  },
  {
    reason: 'a signed timestamp further in the future than WEBHOOK_TOLERANCE_SECONDS',
    status: 400,
    code: 'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE',
    send: () => {
      const event = anEvent();
      const signature = signed(JSON.stringify(event), SECRET, now() + TOLERANCE_SECONDS + 60);
      return refusedPost(event, { headers: { 'stripe-signature': signature } });
    },
  },
  {
    reason: 'a correctly signed body that is not JSON',
    status: 400,
    code: 'WEBHOOK_PAYLOAD_INVALID',
    send: () => {
      const body = '{"id": "evt_not_json",';
      return refusedPost(anEvent(), { body, headers: { 'stripe-signature': signed(body) } });
    },
  },
  {
    reason: 'correctly signed JSON that is not a Stripe event (no id, type, created)',
    status: 400,
    code: 'WEBHOOK_PAYLOAD_INVALID',
    send: () => {
      const body = JSON.stringify({ hello: 'world' });
      return refusedPost(anEvent(), { body, headers: { 'stripe-signature': signed(body) } });
    },
  },
  // Chargebee is offered now (issue 17, "turn it on"): its connections verified nothing before
  // (refused as VALIDATION_FAILED); now their webhooks need the connection's Basic credentials.
  {
    reason: 'Chargebee: no Basic credentials',
    status: 400,
    code: 'WEBHOOK_SIGNATURE_MISSING',
    send: async () => {
      const chargebee = await aConnection({ provider: 'chargebee' });
      return refusedPost(aChargebeeEvent(), {
        url: `/webhooks/chargebee/${chargebee.id}`,
        headers: {},
      });
    },
  },
  {
    reason: 'Chargebee: a wrong password',
    status: 400,
    code: 'WEBHOOK_SIGNATURE_INVALID',
    send: async () => {
      const chargebee = await aConnection({ provider: 'chargebee' });
      return refusedPost(aChargebeeEvent(), {
        url: `/webhooks/chargebee/${chargebee.id}`,
        headers: { authorization: basic('paysync:not-the-password-0000') },
      });
    },
  },
];

/** `paysync_webhooks_rejected_total` summed over providers, for one reason. */
async function rejectedTotal(code: string): Promise<number> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('paysync_webhooks_rejected_total{') && line.includes(`reason="${code}"`)) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

describe('ingress refuses each bad webhook with its status and problem code', () => {
  it.each(REJECTIONS)('$reason → $status $code', async ({ status, code, send, counted }) => {
    const countedBefore = await rejectedTotal(code);
    const res = await send();

    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status, code });
    if (status === 429) expect(res.headers['retry-after']).toBe('1');
    if (counted !== false) expect(await rejectedTotal(code)).toBeGreaterThan(countedBefore);
  });
});

describe('ingress accepts a verified webhook and hands it to Kafka', () => {
  function onTopic(eventId: string) {
    return eventually(
      () =>
        probe.messages.find((m) => (m.envelope.payload as WebhookReceived).event.id === eventId),
      { what: `event ${eventId} on the webhook topic` },
    );
  }

  it('POST /webhooks/stripe/:connectionId answers 200 with the event id; the event is on the topic with its trace context', async () => {
    const event = anEvent();
    const body = JSON.stringify(event);
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const res = await app.inject({
      method: 'POST',
      url: `/webhooks/stripe/${main.id}`,
      payload: body,
      headers: {
        'content-type': 'application/json',
        'stripe-signature': signed(body),
        traceparent,
      },
      remoteAddress: freshAddress(),
    });

    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ received: true, eventId: event.id });
    const message = await onTopic(event.id as string);
    const object = (event.data as { object: { id: string } }).object;
    expect(message.envelope).toMatchObject({
      type: 'webhook.received',
      workspaceId,
      idempotencyKey: `stripe:${event.id as string}`,
      traceparent,
      payload: {
        provider: 'stripe',
        workspaceId,
        connectionId: main.id,
        source: 'webhook',
        event: {
          id: event.id,
          type: 'customer.updated',
          objectType: 'customer',
          objectId: object.id,
        },
      },
    });
    expect(message.headers.traceparent).toBe(traceparent);
  });

  it('over real HTTP on 127.0.0.1, the Connect endpoint finds the connection by the event’s account; unknown event types are accepted too', async () => {
    const accountId = uniqueId('acct_');
    const connect = await aConnection();
    await connections.linkProviderAccount(connect, accountId);
    const event = anEvent({ type: 'some.future_event', account: accountId });
    const body = JSON.stringify(event);

    const res = await fetch(`${baseUrl}/webhooks/stripe`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'stripe-signature': signed(body) },
    });

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, eventId: event.id });
    const message = await onTopic(event.id as string);
    expect(message.envelope.payload).toMatchObject({
      connectionId: connect.id,
      workspaceId,
      event: { id: event.id, type: 'some.future_event', accountId },
    });
  });

  it('POST /webhooks/chargebee/:connectionId with the connection’s Basic credentials: 200, on the topic in the connection’s mode', async () => {
    const chargebee = await aConnection({ provider: 'chargebee' });
    const event = aChargebeeEvent();
    const res = await fetch(`${baseUrl}/webhooks/chargebee/${chargebee.id}`, {
      method: 'POST',
      body: JSON.stringify(event),
      headers: { 'content-type': 'application/json', authorization: basic(CB_CREDENTIAL) },
    });

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, eventId: event.id });
    const message = await onTopic(event.id as string);
    const customer = (event.content as { customer: { id: string } }).customer;
    expect(message.envelope).toMatchObject({
      idempotencyKey: `chargebee:${event.id as string}`,
      payload: {
        provider: 'chargebee',
        connectionId: chargebee.id,
        event: {
          id: event.id,
          type: 'customer_changed',
          livemode: false,
          accountId: null,
          objectType: 'customer',
          objectId: customer.id,
        },
      },
    });
  });

  it('none of the refused requests reached the topic', async () => {
    // The accepted events above are on the topic; a refused one would have been produced before
    // its answer (acks=all), so it would be there already.
    expect(refusedEventIds.length).toBeGreaterThan(REJECTIONS.length);
    const onTopicIds = new Set(
      probe.messages.map((m) => (m.envelope.payload as WebhookReceived).event.id),
    );
    expect(refusedEventIds.filter((id) => onTopicIds.has(id))).toEqual([]);
  });
});
