import { randomUUID } from 'node:crypto';

import { KeyRing } from '@paysync/crypto';
import { ConnectionRepository, createPrismaClient, type Db } from '@paysync/db';
import { createTestDatabase, type TestDatabase } from '@paysync/db/testing';

import { ConnectionCache } from './connection-cache.js';

// Issue 15 item 9: a flood of random connection ids used to clear the whole cache (past 10,000
// entries), evicting the real connections with it. Misses now live in their own LRU. Observed
// against the real database: a connection deleted after it was cached is still served from the
// cache within its TTL, unless the flood evicted it.

const MAX = 50;
let db: TestDatabase;
let prisma: Db;
let repo: ConnectionRepository;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient({ url: db.url, poolMax: 8, statementTimeoutMs: 30_000 });
  repo = new ConnectionRepository({
    prisma,
    keyRing: KeyRing.fromString(`t1:${KeyRing.generateKey()}`),
  });
}, 60_000);
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

async function aConnection() {
  const ws = await prisma.workspace.create({ data: { name: 'cache' } });
  return repo.create({
    workspaceId: ws.id,
    provider: 'stripe',
    mode: 'test',
    apiKey: 'sk_test_connection_cache_0001',
    webhookSecrets: ['whsec_connection_cache'],
    providerAccountId: `acct_${randomUUID().slice(0, 8)}`,
  });
}

const newCache = () =>
  new ConnectionCache({
    connectionRepository: repo,
    config: { ingress: { connectionCacheTtlMs: 60_000, connectionCacheMaxEntries: MAX } },
  });

it('keeps real connections through a flood of unknown ids (misses have their own LRU)', async () => {
  // The default bound, as deployed: the flood must pass it (it used to clear everything there).
  const limit = 10_000;
  const cache = new ConnectionCache({
    connectionRepository: repo,
    config: { ingress: { connectionCacheTtlMs: 60_000, connectionCacheMaxEntries: limit } },
  });
  const known = await aConnection();
  expect((await cache.byId(known.id))?.id).toBe(known.id);
  const flood = limit + 100;
  const inFlight = 16;
  let misses = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async (_, w) => {
      for (let i = w; i < flood; i += inFlight) {
        if ((await cache.byId(randomUUID())) === undefined) misses += 1;
      }
    }),
  );
  expect(misses).toBe(flood);
  await prisma.workspacePaymentConfiguration.delete({ where: { id: known.id } });
  // Still cached (within its TTL): the flood evicted misses only.
  expect((await cache.byId(known.id))?.id).toBe(known.id);
}, 120_000);

it('is bounded: past the limit the least recently used connection goes first', async () => {
  const cache = newCache();
  const conns = [];
  for (let i = 0; i < MAX + 1; i++) conns.push(await aConnection());
  const [first, second] = conns;
  for (const c of conns.slice(0, MAX)) await cache.byId(c.id);
  await cache.byId(first!.id); // used again: now the most recent
  await cache.byId(conns[MAX]!.id); // one over the limit: evicts the least recently used (second)
  await prisma.workspacePaymentConfiguration.deleteMany({
    where: { id: { in: [first!.id, second!.id] } },
  });
  expect((await cache.byId(first!.id))?.id).toBe(first!.id);
  expect(await cache.byId(second!.id)).toBeUndefined();
});
