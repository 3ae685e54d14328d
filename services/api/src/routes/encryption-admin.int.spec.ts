import { KeyRing } from '@paysync/crypto';
import { ConnectionRepository } from '@paysync/db';
import { createLogger } from '@paysync/observability';

import { buildApp } from '../app.js';
import { startApiHarness, type ApiHarness } from '../testing/api-harness.js';
import {
  API_KEY,
  WHSEC,
  createConnection,
  expectProblem,
  type TestWorkspace,
} from '../testing/management-api.js';
import { testConfig } from '../testing/test-config.js';

// Issue 15 item 8 through the api: ENCRYPTION_ACTIVE_KEY_ID decides what the service writes, and
// POST /api/v1/admin/encryption/rotate (admin token only, audited) re-encrypts what is stored, so
// the old key can leave ENCRYPTION_KEYS. Full rotation and resumption: libs/runtime
// key-rotation.int.spec.ts.

const A = KeyRing.generateKey();
const B = KeyRing.generateKey();
let h: ApiHarness;
let ws: TestWorkspace;
const ids: string[] = [];

beforeAll(async () => {
  // Staged: B is in the ring on this replica, A still encrypts.
  h = await startApiHarness({
    env: { ENCRYPTION_KEYS: `A:${A},B:${B}`, ENCRYPTION_ACTIVE_KEY_ID: 'A' },
  });
  ws = await h.createWorkspace('rotation');
  for (let i = 0; i < 3; i++) ids.push((await createConnection(h, ws)).id);
}, 60_000);
afterAll(async () => h?.close());

/** Another api replica on the same database with other encryption settings. */
async function replica(env: Record<string, string>) {
  const app = await buildApp(
    testConfig({ ...h.env, ...env }),
    {},
    createLogger({ level: 'silent', name: 'api' }),
  );
  await app.ready();
  return app;
}

const keyIdsOf = async () =>
  (
    await h.prisma.workspacePaymentConfiguration.findMany({ where: { workspaceId: ws.id } })
  ).flatMap((c) =>
    [c.apiKeyCiphertext, ...c.webhookSecretsCiphertext].map((v) => KeyRing.keyIdOf(v)),
  );

it('a staged key is not used to encrypt: the replica writes with ENCRYPTION_ACTIVE_KEY_ID', async () => {
  expect(await keyIdsOf()).toEqual(['A', 'A', 'A', 'A', 'A', 'A']);
});

it('only the admin token may rotate', async () => {
  const rotate = (token: string) =>
    h.call(token, { method: 'POST', url: '/api/v1/admin/encryption/rotate', payload: {} });
  expectProblem(await rotate(ws.apiKey), 403, 'FORBIDDEN');
  expectProblem(await rotate('psk_nope'), 401, 'UNAUTHORIZED');
  expect(await keyIdsOf()).not.toContain('B');
});

it('activate B, rotate, remove A: every connection still decrypts, and the run is audited', async () => {
  const activated = await replica({ ENCRYPTION_ACTIVE_KEY_ID: 'B' });
  try {
    const res = await activated.inject({
      method: 'POST',
      url: '/api/v1/admin/encryption/rotate',
      headers: { authorization: `Bearer ${h.env.ADMIN_API_TOKEN}` },
      payload: { batchSize: 2 },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      activeKeyId: 'B',
      connections: 3,
      reEncrypted: 6,
      alreadyCurrent: 0,
      failed: 0,
      failures: [],
      batches: 2,
      valuesByKeyId: { A: 0, B: 6 },
    });
    const again = await activated.inject({
      method: 'POST',
      url: '/api/v1/admin/encryption/rotate',
      headers: { authorization: `Bearer ${h.env.ADMIN_API_TOKEN}` },
    });
    expect(again.json()).toMatchObject({ reEncrypted: 0, alreadyCurrent: 6, failed: 0 });
  } finally {
    await activated.close();
  }
  expect(await keyIdsOf()).toEqual(['B', 'B', 'B', 'B', 'B', 'B']);

  const audit = await h.prisma.auditLog.findMany({
    where: { action: 'POST /api/v1/admin/encryption/rotate' },
    orderBy: { id: 'asc' },
  });
  expect(audit).toEqual([
    // The workspace key's refused attempt is on the trail too.
    expect.objectContaining({
      actor: `api_key:${ws.apiKeyId}`,
      statusCode: 403,
      workspaceId: null,
    }),
    expect.objectContaining({
      workspaceId: null,
      actor: 'admin',
      resourceType: 'encryption_key',
      resourceId: 'B',
      statusCode: 200,
      details: expect.objectContaining({ reEncrypted: 6, alreadyCurrent: 0, failed: 0 }),
    }),
    expect.objectContaining({ details: expect.objectContaining({ reEncrypted: 0 }) }),
  ]);
  expect(JSON.stringify(audit.map((r) => r.details))).not.toMatch(/sk_test_|whsec_/);

  // A removed: the secrets decrypt with B alone, and a replica without A uses them.
  const onlyB = new ConnectionRepository({
    prisma: h.prisma,
    keyRing: KeyRing.fromString(`B:${B}`),
  });
  for (const id of ids) {
    expect(await onlyB.getDecryptedById(id)).toMatchObject({
      apiKey: API_KEY,
      webhookSecrets: [WHSEC],
    });
  }
  const retired = await replica({ ENCRYPTION_KEYS: `B:${B}`, ENCRYPTION_ACTIVE_KEY_ID: '' });
  try {
    const test = await retired.inject({
      method: 'POST',
      url: `/api/v1/workspaces/${ws.id}/sync/config/${ids[0]}/test`,
      headers: { authorization: `Bearer ${ws.apiKey}` },
    });
    expect(test.json()).toMatchObject({ ok: true });
  } finally {
    await retired.close();
  }
});

it('a replica whose ENCRYPTION_ACTIVE_KEY_ID is not in its ring does not start', async () => {
  await expect(replica({ ENCRYPTION_ACTIVE_KEY_ID: 'C' })).rejects.toThrow(
    /"C" is not in the ring/,
  );
});
