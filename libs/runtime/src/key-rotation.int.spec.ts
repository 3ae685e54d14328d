// Issue 15 item 8: rotation of the encryption key on a real PostgreSQL database with several
// connections — stage B, activate B, `keys rotate`, remove A: every connection still decrypts;
// an interrupted rotation finishes when run again; a value that does not decrypt is reported and
// left alone; the command (`paysync keys rotate`) audits its run.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { KeyRing } from '@paysync/crypto';
import { ConnectionRepository, SecretRotationRepository, type Db } from '@paysync/db';
import { createTestPrisma, type TestDatabase, type TestPrisma } from '@paysync/db/testing';
import { createLogger } from '@paysync/observability';

import { runAdminCommand } from './cli/admin.js';
import { EncryptionKeyRotation } from './key-rotation.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const A = KeyRing.generateKey();
const B = KeyRing.generateKey();
const logger = createLogger({ level: 'silent', name: 'key-rotation-test' });

let t: TestPrisma;
let prisma: Db;
let db: TestDatabase;
beforeEach(async () => {
  t = await createTestPrisma({ poolMax: 2, statementTimeoutMs: 30_000 });
  ({ prisma, db } = t);
});
afterEach(() => t.close());

const ring = (spec: string, active?: string) => KeyRing.fromString(spec, active);
const connections = (keyRing: KeyRing) => new ConnectionRepository({ prisma, keyRing });
const rotation = (keyRing: KeyRing, repo = new SecretRotationRepository({ prisma })) =>
  new EncryptionKeyRotation({ secretRotationRepository: repo, keyRing, logger });

/** `n` connections over two workspaces, 0–2 webhook secrets each; returns their clear secrets. */
async function seed(keyRing: KeyRing, n: number) {
  const workspaces = [
    '11111111-1111-4111-8111-111111111111',
    '22222222-2222-4222-8222-222222222222',
  ];
  for (const id of workspaces) {
    await prisma.workspace.upsert({ where: { id }, create: { id, name: id }, update: {} });
  }
  const clear = new Map<string, { apiKey: string; webhookSecrets: string[] }>();
  for (let i = 0; i < n; i++) {
    const secrets = { apiKey: `sk_test_rotation${i}`, webhookSecrets: [] as string[] };
    for (let s = 0; s < i % 3; s++) secrets.webhookSecrets.push(`whsec_rotation${i}_${s}`);
    const c = await connections(keyRing).create({
      workspaceId: workspaces[i % 2]!,
      provider: 'stripe',
      mode: 'test',
      ...secrets,
    });
    clear.set(c.id, secrets);
  }
  return clear;
}

/** Every connection decrypts with `keyRing` to the secrets it was created with. */
async function expectAllDecrypt(
  keyRing: KeyRing,
  clear: Map<string, { apiKey: string; webhookSecrets: string[] }>,
) {
  for (const [id, secrets] of clear) {
    const c = await connections(keyRing).getDecryptedById(id);
    expect({ apiKey: c?.apiKey, webhookSecrets: c?.webhookSecrets }).toEqual(secrets);
  }
}

const valueCount = (clear: Map<string, { webhookSecrets: string[] }>) =>
  [...clear.values()].reduce((n, s) => n + 1 + s.webhookSecrets.length, 0);

it('stage B, activate B, rotate, remove A: every connection still decrypts', async () => {
  const clear = await seed(ring(`A:${A}`), 10);
  const total = valueCount(clear);

  // Staged: B is on the replica but A still encrypts; new values use A, everything decrypts.
  const staged = ring(`A:${A},B:${B}`, 'A');
  for (const [id, s] of await seed(staged, 2)) clear.set(id, s);
  const staging = new SecretRotationRepository({ prisma });
  expect(await staging.countByKeyId()).toEqual({ A: valueCount(clear) });
  await expectAllDecrypt(staged, clear);

  // Activated and rotated in batches of 4 connections.
  const active = ring(`A:${A},B:${B}`, 'B');
  const report = await rotation(active).rotate({ batchSize: 4 });
  expect(report).toMatchObject({
    activeKeyId: 'B',
    connections: 12,
    reEncrypted: valueCount(clear),
    alreadyCurrent: 0,
    failed: 0,
    failures: [],
    batches: 3,
  });
  expect(report.valuesByKeyId).toEqual({ A: 0, B: valueCount(clear) });
  expect(total).toBeLessThan(valueCount(clear));

  // A removed from the ring: everything decrypts with B alone.
  await expectAllDecrypt(ring(`B:${B}`), clear);

  // Idempotent: a second run finds nothing to do.
  expect(await rotation(active).rotate({ batchSize: 4 })).toMatchObject({
    reEncrypted: 0,
    alreadyCurrent: valueCount(clear),
    failed: 0,
  });
});

it('a rotation interrupted mid-way finishes when run again', async () => {
  const clear = await seed(ring(`A:${A}`), 9);
  const active = ring(`A:${A},B:${B}`, 'B');
  // The process "dies" inside the third batch's transaction: it is rolled back, the two before
  // it stay committed.
  class Crashing extends SecretRotationRepository {
    calls = 0;
    override rewriteBatch(...args: Parameters<SecretRotationRepository['rewriteBatch']>) {
      const [afterId, limit, rewrite] = args;
      this.calls += 1;
      const crash = this.calls === 3;
      return super.rewriteBatch(afterId, limit, (rows) => {
        const changes = rewrite(rows);
        if (crash) throw new Error('killed mid-batch');
        return changes;
      });
    }
  }
  await expect(rotation(active, new Crashing({ prisma })).rotate({ batchSize: 3 })).rejects.toThrow(
    'killed mid-batch',
  );
  const repo = new SecretRotationRepository({ prisma });
  const midway = await repo.countByKeyId();
  expect(midway.A).toBeGreaterThan(0);
  expect(midway.B).toBeGreaterThan(0);
  // Old and new ciphertexts both decrypt with the staged ring in the meantime.
  await expectAllDecrypt(active, clear);

  const resumed = await rotation(active).rotate({ batchSize: 3 });
  expect(resumed).toMatchObject({
    reEncrypted: midway.A,
    alreadyCurrent: midway.B,
    failed: 0,
    valuesByKeyId: { B: valueCount(clear) },
  });
  await expectAllDecrypt(ring(`B:${B}`), clear);
});

it('a value that does not decrypt is reported by connection and left alone; the rest rotates', async () => {
  const clear = await seed(ring(`A:${A}`), 4);
  // One connection written with a key the ring no longer has.
  const [lost] = await seed(ring(`C:${KeyRing.generateKey()}`), 1);
  const report = await rotation(ring(`A:${A},B:${B}`, 'B')).rotate();
  expect(report).toMatchObject({
    reEncrypted: valueCount(clear),
    failed: 1,
    failures: [{ connectionId: lost![0], value: 'apiKey', code: 'CRYPTO_UNKNOWN_KEY' }],
    valuesByKeyId: { B: valueCount(clear), C: 1 },
  });
  await expectAllDecrypt(ring(`B:${B}`), clear);
});

it('`paysync keys rotate` re-encrypts, reports counts and writes an audit row', async () => {
  const clear = await seed(ring(`A:${A}`), 5);
  const out: string[] = [];
  const env = {
    DATABASE_URL: db.url,
    ENCRYPTION_KEYS: `A:${A},B:${B}`,
    ENCRYPTION_ACTIVE_KEY_ID: 'B',
    KEYS_ROTATE_BATCH_SIZE: '2',
  };
  const run = () =>
    runAdminCommand(['keys', 'rotate'], {
      env,
      root,
      out: (l) => out.push(l),
      err: (l) => out.push(l),
    });
  expect(await run()).toBe(0);
  expect(out.at(-1)).toBe(
    `[keys rotate] active key B: ${valueCount(clear)} re-encrypted, 0 already current, 0 failed (5 connections, 3 batches)`,
  );
  expect(out).toContain(`key B: ${valueCount(clear)} value(s) (active)`);
  expect(out).toContain('key A: 0 value(s)');
  expect(out.join('\n')).not.toMatch(/sk_test_|whsec_/);
  expect(await run()).toBe(0);
  expect(out.at(-1)).toContain(`0 re-encrypted, ${valueCount(clear)} already current, 0 failed`);
  await expectAllDecrypt(ring(`B:${B}`), clear);

  const audit = await prisma.auditLog.findMany({ orderBy: { id: 'asc' } });
  expect(audit).toEqual([
    expect.objectContaining({
      workspaceId: null,
      actor: 'cli',
      action: 'keys rotate',
      resourceType: 'encryption_key',
      resourceId: 'B',
      statusCode: 200,
      details: expect.objectContaining({ reEncrypted: valueCount(clear), failed: 0 }),
    }),
    expect.objectContaining({ details: expect.objectContaining({ reEncrypted: 0 }) }),
  ]);
});
