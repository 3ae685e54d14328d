import { Writable } from 'node:stream';

import type { InjectOptions, LightMyRequestResponse } from 'fastify';

import { KeyRing } from '@paysync/crypto';
import { createPrismaClient, type Db } from '@paysync/db';
import { createTestDatabase, type TestDatabase } from '@paysync/db/testing';
import { createLogger } from '@paysync/observability';
import type { ServiceApp } from '@paysync/runtime';
import { StripeSimulator, type SeedCounts } from '@paysync/simulator';
import { stackEnv, uniqueId } from '@paysync/testkit';

import { buildApp } from '../app.js';
import type { ApiCradle } from '../container.js';
import { testConfig } from './test-config.js';

const ADMIN_TOKEN = `admin-${'x'.repeat(40)}`;

export interface ApiHarness {
  readonly app: ServiceApp<ApiCradle>;
  readonly db: TestDatabase;
  readonly prisma: Db;
  readonly sim: StripeSimulator;
  readonly simUrl: string;
  readonly env: Record<string, string>;
  /** Every log line the app wrote (JSON), for "no secret in any log line" checks. */
  readonly logs: string[];
  /** `inject` with a bearer token (`admin` for the admin token). */
  call(token: string | undefined, opts: InjectOptions): Promise<LightMyRequestResponse>;
  /** Creates a workspace through the API; returns its id and one-time key. */
  createWorkspace(name?: string): Promise<{ id: string; apiKey: string; apiKeyId: string }>;
  close(): Promise<void>;
}

/**
 * The api service built through its composition root against a fresh database clone, the real
 * Kafka (unique topic prefix) and a Stripe simulator on loopback.
 */
export async function startApiHarness(
  opts: { env?: Record<string, string>; seed?: SeedCounts } = {},
): Promise<ApiHarness> {
  const db = await createTestDatabase();
  const sim = new StripeSimulator({ seed: opts.seed ?? { customers: 5, products: 2, prices: 3 } });
  const simUrl = await sim.start();
  const env: Record<string, string> = {
    DATABASE_URL: db.appUrl, // the services' login role: under row-level security
    KAFKA_BROKERS: stackEnv().kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: uniqueId('api-'),
    ENCRYPTION_KEYS: `t1:${KeyRing.generateKey()}`,
    ADMIN_API_TOKEN: ADMIN_TOKEN,
    API_ALLOWED_PROVIDER_BASE_URLS: simUrl,
    LOG_LEVEL: 'debug',
    // Route tests make hundreds of 401/403/404 calls from 127.0.0.1 (the tenant-isolation table
    // alone: every route twice); the failed-authentication limit has its own test that lowers it.
    API_AUTH_FAILURES_PER_MINUTE: '100000',
    ...opts.env,
  };
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const config = testConfig(env);
  const app = await buildApp(config, {}, createLogger({ level: 'debug', name: 'api' }, sink));
  await app.ready();
  // Topics exist before a test subscribes a probe to them.
  await app.diContainer.cradle.topicBootstrap.whenReady();
  const prisma = createPrismaClient({ url: db.url, poolMax: 2, statementTimeoutMs: 30_000 });

  const call: ApiHarness['call'] = (token, injectOpts) =>
    app.inject({
      ...injectOpts,
      headers: {
        ...injectOpts.headers,
        ...(token !== undefined && {
          authorization: `Bearer ${token === 'admin' ? ADMIN_TOKEN : token}`,
        }),
      },
    });

  return {
    app,
    db,
    prisma,
    sim,
    simUrl,
    env,
    logs,
    call,
    async createWorkspace(name = 'acme') {
      const res = await call('admin', {
        method: 'POST',
        url: '/api/v1/workspaces',
        payload: { name },
      });
      if (res.statusCode !== 201) throw new Error(`createWorkspace: ${res.statusCode} ${res.body}`);
      return res.json<{ id: string; apiKey: string; apiKeyId: string }>();
    },
    async close() {
      await app.close();
      await prisma.$disconnect();
      await sim.stop();
      await db.drop();
    },
  };
}
