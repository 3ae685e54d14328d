// Issue 15 item 3: the client address comes from X-Forwarded-For only when the TCP peer is a
// configured proxy (INGRESS_TRUST_PROXY lists CIDRs), so a caller cannot pick its own address to
// pass the IP allowlist or dodge the per-IP limit; the allowlist takes IPv4 and IPv6 CIDRs.
import type { LightMyRequestResponse } from 'fastify';

import { KeyRing } from '@paysync/crypto';
import { createTestDatabase, type TestDatabase } from '@paysync/db/testing';
import { stackEnv, uniqueId } from '@paysync/testkit';

import { buildApp } from '../app.js';
import { testConfig } from '../testing/test-config.js';

// No connection has this id: a request the allowlist lets through is answered 404.
const URL = '/webhooks/stripe/00000000-0000-4000-8000-000000000000';

let db: TestDatabase;
let app: Awaited<ReturnType<typeof buildApp>>;

beforeAll(async () => {
  db = await createTestDatabase();
  app = await buildApp(
    testConfig({
      DATABASE_URL: db.appUrl,
      KAFKA_BROKERS: stackEnv().kafkaBrokers.join(','),
      KAFKA_TOPIC_PREFIX: uniqueId('ingress-addr-'),
      ENCRYPTION_KEYS: `t1:${KeyRing.generateKey()}`,
      INGRESS_TRUST_PROXY: '10.0.0.0/8, fd00::/8',
      INGRESS_IP_ALLOWLIST: '203.0.113.0/24,2001:db8::/32',
      INGRESS_RATE_LIMIT_PER_IP: '3',
    }),
  );
  await app.diContainer.cradle.topicBootstrap.whenReady();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

function post(remoteAddress: string, forwardedFor?: string): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: URL,
    remoteAddress,
    headers: {
      'content-type': 'application/json',
      ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }),
    },
    payload: '{}',
  });
}

const FORBIDDEN = 403;
const PASSED_ALLOWLIST = 404;

it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
  // A spoofed allowlisted address from outside: refused on its real address.
  expect((await post('198.51.100.9', '203.0.113.5')).statusCode).toBe(FORBIDDEN);
  expect((await post('2001:db9::1', '2001:db8::5')).statusCode).toBe(FORBIDDEN);
});

it('uses X-Forwarded-For from a trusted proxy (IPv4 and IPv6)', async () => {
  expect((await post('10.1.2.3', '203.0.113.5')).statusCode).toBe(PASSED_ALLOWLIST);
  expect((await post('fd00::1', '2001:db8::5')).statusCode).toBe(PASSED_ALLOWLIST);
  // The proxy reports a client outside the allowlist: refused.
  expect((await post('10.1.2.3', '198.51.100.9')).statusCode).toBe(FORBIDDEN);
});

it('takes the nearest untrusted hop: an address the caller prepended does not count', async () => {
  // The caller sent "X-Forwarded-For: 203.0.113.5", the proxy appended the caller's real address.
  expect((await post('10.1.2.3', '203.0.113.5, 198.51.100.9')).statusCode).toBe(FORBIDDEN);
});

it('matches the allowlist for direct IPv4 and IPv6 peers', async () => {
  expect((await post('203.0.113.77')).statusCode).toBe(PASSED_ALLOWLIST);
  expect((await post('2001:db8:ffff::77')).statusCode).toBe(PASSED_ALLOWLIST);
  expect((await post('::ffff:203.0.113.78')).statusCode).toBe(PASSED_ALLOWLIST);
  expect((await post('198.51.100.77')).statusCode).toBe(FORBIDDEN);
});

it('applies the per-IP limit to the real client: rotating the header does not dodge it', async () => {
  // Allowlisted peer, spoofing a new address each time; the header is ignored (untrusted peer).
  // Eight at once with a limit of 3 a second: even straddling two one-second windows, at most six
  // pass, so at least two are refused (with the header trusted, all eight would pass).
  const statuses = (
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => post('203.0.113.200', `203.0.113.${i + 1}`)),
    )
  ).map((r) => r.statusCode);
  expect(statuses.every((s) => s === PASSED_ALLOWLIST || s === 429)).toBe(true);
  expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);
});
