import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { EntityType } from '@paysync/contracts';
import { KeyRing } from '@paysync/crypto';
import {
  ConnectionRepository,
  SyncSessionRepository,
  createPrismaClient,
  type ConnectionView,
  type Db,
} from '@paysync/db';
import { createTestDatabase, type TestDatabase } from '@paysync/db/testing';
import { eventually, stackEnv, uniqueId } from '@paysync/testkit';

import { buildApp } from '../app.js';

import { testConfig } from './test-config.js';

export type SyncRunnerApp = Awaited<ReturnType<typeof buildApp>>;

/** What a test started besides the database: a runner (`close`), a proxy or simulator (`stop`). */
export type Closable = { close(): Promise<unknown> } | { stop(): Promise<unknown> };

/** A sync session row as the test reads it once finished. */
export interface FinishedSession {
  readonly id: string;
  readonly status: string;
  readonly error: unknown;
}

/**
 * The database side of a sync-runner int test: a fresh test database, a Prisma client on it,
 * Stripe connections (encrypted with `keys`) and sync sessions, and sync-runners on them. `close()` disconnects and drops the database.
 */
export class BackfillHarness {
  readonly db: TestDatabase;
  readonly prisma: Db;
  readonly connections: ConnectionRepository;
  readonly sessions: SyncSessionRepository;
  readonly #keys: string;

  private constructor(db: TestDatabase, keys: string) {
    this.db = db;
    this.#keys = keys;
    this.prisma = createPrismaClient({ url: db.url, poolMax: 4, statementTimeoutMs: 30_000 });
    this.connections = new ConnectionRepository({
      prisma: this.prisma,
      keyRing: KeyRing.fromString(keys),
    });
    this.sessions = new SyncSessionRepository({ prisma: this.prisma });
  }

  /** `keys`: the ENCRYPTION_KEYS of the connections and of the runners (a fresh key unless given). */
  static async open(keys = `t1:${KeyRing.generateKey()}`): Promise<BackfillHarness> {
    return new BackfillHarness(await createTestDatabase(), keys);
  }

  /** A new workspace with a Stripe (test mode) connection to `apiBaseUrl`. */
  async tenant(
    name: string,
    {
      apiBaseUrl,
      apiKey = `sk_test_${uniqueId('k')}`,
      rateLimitPerSecond = 200,
    }: { apiBaseUrl: string; apiKey?: string; rateLimitPerSecond?: number },
  ): Promise<ConnectionView> {
    const workspaceId = (await this.prisma.workspace.create({ data: { name } })).id;
    return this.connections.create({
      workspaceId,
      provider: 'stripe',
      mode: 'test',
      apiKey,
      settings: { apiBaseUrl, rateLimitPerSecond },
    });
  }

  /**
   * A new workspace with a Chargebee (test mode) connection to the site `site` at `apiBaseUrl`
   * (a Chargebee simulator). `verified`: as after a connection test, the site is the verified
   * account, so the connection uses the site's shared bucket (`chargebee:<site>:test`). Its pace is
   * the server's (CHARGEBEE_RATE_LIMIT_PER_MINUTE_TEST), no connection cap.
   */
  async chargebeeTenant(
    name: string,
    {
      apiBaseUrl,
      site,
      apiKey,
      verified = true,
    }: { apiBaseUrl: string; site: string; apiKey: string; verified?: boolean },
  ): Promise<ConnectionView> {
    const workspaceId = (await this.prisma.workspace.create({ data: { name } })).id;
    const connection = await this.connections.create({
      workspaceId,
      provider: 'chargebee',
      mode: 'test',
      apiKey,
      settings: { apiBaseUrl, site },
    });
    if (!verified) return connection;
    await this.connections.linkProviderAccount(connection, site);
    return this.connections.get(workspaceId, connection.id);
  }

  /** A sync session of the connection's workspace (customers only unless told). */
  startSession(c: ConnectionView, entityTypes: readonly EntityType[] = ['customer']) {
    return this.sessions.createIfIdle({
      workspaceId: c.workspaceId,
      configurationId: c.id,
      provider: c.provider,
      entityTypes,
      requestedBy: 'test',
    });
  }

  /** The session once it is completed, failed or cancelled. */
  finished(
    sessionId: string,
    { timeoutMs = 60_000, what = `session ${sessionId} to finish` } = {},
  ): Promise<FinishedSession> {
    return eventually(
      async () => {
        const s = await this.prisma.paymentSyncSession.findUniqueOrThrow({
          where: { id: sessionId },
        });
        return ['completed', 'failed', 'cancelled'].includes(s.status) ? s : undefined;
      },
      { timeoutMs, what },
    );
  }

  /**
   * A sync-runner (ready) on this database and the local Kafka (topics and group unique to
   * `name`), allowed to call `providerBaseUrls`; `env` sets the rest. The caller closes it.
   */
  async startRunner(
    name: string,
    providerBaseUrls: string,
    env: Record<string, string>,
  ): Promise<SyncRunnerApp> {
    const app = await buildApp(
      testConfig({
        DATABASE_URL: this.db.appUrl,
        KAFKA_BROKERS: stackEnv().kafkaBrokers.join(','),
        KAFKA_TOPIC_PREFIX: uniqueId(`${name}-`),
        SYNC_RUNNER_GROUP_ID: uniqueId(`${name}-runner-`),
        ENCRYPTION_KEYS: this.#keys,
        API_ALLOWED_PROVIDER_BASE_URLS: providerBaseUrls,
        ...env,
      }),
    );
    await app.ready();
    return app;
  }

  /**
   * Closes or stops `first` in order (runners, proxies, simulators; undefined where a `beforeAll`
   * did not get that far), then disconnects and drops the database.
   */
  async close(...first: (Closable | undefined)[]): Promise<void> {
    for (const c of first) {
      if (c === undefined) continue;
      if ('close' in c) await c.close();
      else await c.stop();
    }
    await this.prisma.$disconnect();
    await this.db.drop();
  }
}

/** What a {@link ProviderProxy} hook may answer instead of the provider. */
export interface ProxyAnswer {
  readonly status: number;
  readonly body: unknown;
}

export interface ProviderProxyHooks {
  /** Before the request is forwarded: an answer to send instead, or undefined to forward it. */
  readonly intercept?: (
    url: URL,
    req: IncomingMessage,
  ) => Promise<ProxyAnswer | undefined> | undefined;
  /** After the provider answered a forwarded request. */
  readonly observe?: (req: IncomingMessage, url: URL, upstream: Response, body: Buffer) => void;
}

/**
 * An HTTP proxy (127.0.0.1) in front of a provider (simulator): forwards every request, method,
 * headers and body, and its answer; the hooks see or replace requests. An unreachable provider
 * is a 502.
 */
export class ProviderProxy {
  readonly #server: Server;
  readonly #target: string;
  readonly #hooks: ProviderProxyHooks;

  private constructor(server: Server, target: string, hooks: ProviderProxyHooks) {
    this.#server = server;
    this.#target = target;
    this.#hooks = hooks;
  }

  static async start(target: string, hooks: ProviderProxyHooks = {}): Promise<ProviderProxy> {
    const server = createServer();
    const proxy = new ProviderProxy(server, target, hooks);
    server.on(
      'request',
      (req: IncomingMessage, res: ServerResponse) => void proxy.#handle(req, res),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.#target);
    const answer = await this.#hooks.intercept?.(url, req);
    if (answer) {
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k))
        headers[k] = v;
    try {
      const upstream = await fetch(url, {
        method: req.method ?? 'GET',
        headers,
        ...(chunks.length > 0 && { body: Buffer.concat(chunks) }),
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      this.#hooks.observe?.(req, url, upstream, body);
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
