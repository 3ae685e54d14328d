import pg from 'pg';

import { KeyRing } from '@paysync/crypto';

import { ConnectionRepository, createPrismaClient, type Db } from '../index.js';
import { createTestDatabase, type TestDatabase } from '../testing/index.js';

let db: TestDatabase;
let prisma: Db;
let repo: ConnectionRepository;
let workspaceId: string;
const keyRing = KeyRing.fromString(`v1:${KeyRing.generateKey()}`);
const API_KEY = 'sk_test_51SuperSecretKey4242';
const WHSEC = 'whsec_verysecretvalue1234';

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient({ url: db.url, poolMax: 4, statementTimeoutMs: 10_000 });
  repo = new ConnectionRepository({ prisma, keyRing });
  workspaceId = (await prisma.workspace.create({ data: { name: 'secrets' } })).id;
});

afterAll(async () => {
  await prisma.$disconnect();
  await db.drop();
});

describe('ConnectionRepository', () => {
  it('stores secrets only as ciphertext and never returns them from ordinary reads', async () => {
    const created = await repo.create({
      workspaceId,
      provider: 'stripe',
      mode: 'test',
      apiKey: API_KEY,
      webhookSecrets: [WHSEC],
    });
    expect(created).toMatchObject({ apiKeyHint: '4242', webhookSecretCount: 1, isActive: true });
    const views = [
      created,
      await repo.get(workspaceId, created.id),
      ...(await repo.list(workspaceId)),
    ];
    for (const view of views) {
      expect(JSON.stringify(view)).not.toContain(API_KEY);
      expect(JSON.stringify(view)).not.toContain(WHSEC);
    }

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query(
      'SELECT * FROM workspace_payment_configurations WHERE id = $1',
      [created.id],
    );
    await client.end();
    const stored = JSON.stringify(rows[0]);
    expect(stored).not.toContain(API_KEY);
    expect(stored).not.toContain(WHSEC);
    expect(rows[0].api_key_ciphertext).toMatch(/^psenc1\.v1\./);
  });

  it('decrypts only when asked, and supports several webhook secrets for rotation', async () => {
    const created = await repo.create({
      workspaceId,
      provider: 'stripe',
      mode: 'live',
      apiKey: API_KEY,
      webhookSecrets: [WHSEC],
    });
    await repo.update(workspaceId, created.id, {
      webhookSecrets: [WHSEC, 'whsec_rotatednewsecret999'],
    });
    const decrypted = await repo.getDecrypted(workspaceId, created.id);
    expect(decrypted.apiKey).toBe(API_KEY);
    expect(decrypted.webhookSecrets).toEqual([WHSEC, 'whsec_rotatednewsecret999']);
    expect((await repo.getDecryptedById(created.id))?.apiKey).toBe(API_KEY);
  });

  it('binds a ciphertext to its connection: copied to another row it does not decrypt', async () => {
    const a = await repo.create({
      workspaceId,
      provider: 'stripe',
      mode: 'test',
      apiKey: 'sk_test_AAAAAAAAAAAA',
    });
    const b = await repo.create({
      workspaceId,
      provider: 'stripe',
      mode: 'test',
      apiKey: 'sk_test_BBBBBBBBBBBB',
    });
    const rowA = await prisma.workspacePaymentConfiguration.findUniqueOrThrow({
      where: { id: a.id },
    });
    await prisma.workspacePaymentConfiguration.update({
      where: { id: b.id },
      data: { apiKeyCiphertext: rowA.apiKeyCiphertext },
    });
    await expect(repo.getDecrypted(workspaceId, b.id)).rejects.toMatchObject({
      code: 'CRYPTO_DECRYPT_FAILED',
    });
  });

  it('answers NOT_FOUND for another workspace’s connection and for garbage ids', async () => {
    const other = (await prisma.workspace.create({ data: { name: 'other' } })).id;
    const created = await repo.create({
      workspaceId,
      provider: 'stripe',
      mode: 'test',
      apiKey: API_KEY,
    });
    await expect(repo.get(other, created.id)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      status: 404,
    });
    await expect(repo.getDecrypted(other, created.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(repo.get(workspaceId, 'not-a-uuid')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await repo.getDecryptedById('not-a-uuid')).toBeUndefined();
  });
});
