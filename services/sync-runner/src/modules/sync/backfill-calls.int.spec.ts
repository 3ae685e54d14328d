import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { KeyRing } from '@paysync/crypto';
import {
  ConnectionRepository,
  SyncSessionRepository,
  SyncedEntityReader,
  createPrismaClient,
  type Db,
} from '@paysync/db';
import { createTestDatabase, type TestDatabase } from '@paysync/db/testing';
import { StripeSimulator } from '@paysync/simulator';
import { eventually, stackEnv, uniqueId } from '@paysync/testkit';

import { buildApp } from '../../app.js';
import { testConfig } from '../../testing/test-config.js';

// Issue 18 (backfill): segment boundaries come from the first page and a short bisection with
// one-object probes; the first page is the newest segment's first page (not fetched twice). The
// API calls of a backfill stay within 10 % of the minimal number of pages, and every object is
// listed by exactly one page.

const KEYS = `t1:${KeyRing.generateKey()}`;
const CUSTOMERS = 10_000;
const PAGE = 100;
const THREE_YEARS = 3 * 365 * 86_400;

let db: TestDatabase;
let prisma: Db;
let sim: StripeSimulator;
let recorder: ListingRecorder;
let runner: Awaited<ReturnType<typeof buildApp>>;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient({ url: db.url, poolMax: 4, statementTimeoutMs: 30_000 });
  sim = new StripeSimulator({
    seed: { customers: CUSTOMERS },
    createdStepSeconds: Math.floor(THREE_YEARS / CUSTOMERS),
  });
  recorder = await ListingRecorder.start(await sim.start());
  runner = await buildApp(
    testConfig({
      DATABASE_URL: db.appUrl,
      KAFKA_BROKERS: stackEnv().kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: uniqueId('calls-'),
      SYNC_RUNNER_GROUP_ID: uniqueId('calls-runner-'),
      ENCRYPTION_KEYS: KEYS,
      API_ALLOWED_PROVIDER_BASE_URLS: recorder.url,
      SYNC_POLL_INTERVAL_MS: '100',
      SYNC_SEGMENTS_PER_ENTITY: '4',
      SYNC_PAGE_SIZE: String(PAGE),
      SYNC_RUNNER_CONCURRENCY: '4',
    }),
  );
  await runner.ready();
}, 60_000);

afterAll(async () => {
  await runner?.close();
  await recorder?.stop();
  await prisma?.$disconnect();
  await sim?.stop();
  await db?.drop();
});

it('a backfill of 10,000 customers over three years costs at most 1.1 × the minimal pages, each object listed once', async () => {
  const connections = new ConnectionRepository({ prisma, keyRing: KeyRing.fromString(KEYS) });
  const workspaceId = (await prisma.workspace.create({ data: { name: 'calls' } })).id;
  const c = await connections.create({
    workspaceId,
    provider: 'stripe',
    mode: 'test',
    apiKey: `sk_test_${uniqueId('k')}`,
    settings: { apiBaseUrl: recorder.url, rateLimitPerSecond: 500 },
  });
  const session = await new SyncSessionRepository({ prisma }).createIfIdle({
    workspaceId,
    configurationId: c.id,
    provider: 'stripe',
    entityTypes: ['customer'],
    requestedBy: 'test',
  });
  const done = await eventually(
    async () => {
      const s = await prisma.paymentSyncSession.findUniqueOrThrow({ where: { id: session.id } });
      return ['completed', 'failed', 'cancelled'].includes(s.status) ? s : undefined;
    },
    { timeoutMs: 120_000, what: 'the backfill to finish' },
  );
  expect(done.status).toBe('completed');

  // API calls: pages and probes together within 10 % of the minimum (100 pages of 100).
  const minimal = CUSTOMERS / PAGE;
  expect(recorder.requests).toBeLessThanOrEqual(Math.floor(1.1 * minimal));
  // Every object was listed by exactly one page (probes, one object each, are not pages).
  expect(recorder.listed.size).toBe(CUSTOMERS);
  expect([...recorder.listed.values()].filter((n) => n !== 1)).toEqual([]);

  // The units tile the created line (oldest first, open at both ends), each object counted once.
  const units = await prisma.syncUnit.findMany({
    where: { sessionId: session.id },
    orderBy: { segment: 'asc' },
  });
  expect(units.length).toBe(4);
  expect(units[0]?.createdGte).toBeNull();
  expect(units.at(-1)?.createdLt).toBeNull();
  for (let i = 1; i < units.length; i++) {
    expect(units[i]?.createdGte).toBe(units[i - 1]?.createdLt);
  }
  expect(units.reduce((n, u) => n + u.fetched, 0)).toBe(CUSTOMERS);
  expect(units.reduce((n, u) => n + u.written, 0)).toBe(CUSTOMERS);
  // The units account for every request made (the probes on the split unit).
  expect(units.reduce((n, u) => n + u.requests, 0)).toBe(recorder.requests);
  expect(await new SyncedEntityReader({ prisma }).count(workspaceId, 'customer')).toBe(CUSTOMERS);
}, 150_000);

/**
 * Forwards every request to the simulator and records the customer list requests and which
 * objects each page (`limit` > 1) listed.
 */
class ListingRecorder {
  readonly #server: Server;
  readonly #target: string;
  requests = 0;
  readonly listed = new Map<string, number>();

  private constructor(server: Server, target: string) {
    this.#server = server;
    this.#target = target;
  }

  static async start(target: string): Promise<ListingRecorder> {
    const server = createServer();
    const recorder = new ListingRecorder(server, target);
    server.on(
      'request',
      (req: IncomingMessage, res: ServerResponse) => void recorder.handle(req, res),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return recorder;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.#target);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k))
        headers[k] = v;
    try {
      const upstream = await fetch(url, { method: req.method ?? 'GET', headers });
      const body = Buffer.from(await upstream.arrayBuffer());
      if (req.method === 'GET' && url.pathname === '/v1/customers') {
        this.requests++;
        if (upstream.ok && url.searchParams.get('limit') !== '1') {
          const page = JSON.parse(body.toString('utf8')) as { data: { id: string }[] };
          for (const { id } of page.data) this.listed.set(id, (this.listed.get(id) ?? 0) + 1);
        }
      }
      const out: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (!['content-encoding', 'content-length', 'transfer-encoding', 'connection'].includes(k))
          out[k] = v;
      });
      res.writeHead(upstream.status, out);
      res.end(body);
    } catch {
      res.writeHead(502).end();
    }
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
