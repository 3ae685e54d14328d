import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { migrationsDir } from '@paysync/db/testing';

import { startApiHarness, type ApiHarness } from '../testing/api-harness.js';
import {
  API_KEY,
  createConnection,
  expectProblem,
  type TestWorkspace,
} from '../testing/management-api.js';

// Issue 15 item 6: workspace API keys have scopes (read < write < admin). A leaked read key
// cannot mint keys, revoke others or change provider secrets; keys from before the migration
// keep every right they had. Every route × scope × workspace: tenant-isolation.int.spec.ts.

const FAILURE_LIMIT = 3;
let h: ApiHarness;
let ws: TestWorkspace;
let base: string;

beforeAll(async () => {
  h = await startApiHarness({ env: { API_AUTH_FAILURES_PER_MINUTE: String(FAILURE_LIMIT) } });
  ws = await h.createWorkspace('scopes');
  base = `/api/v1/workspaces/${ws.id}`;
}, 60_000);
afterAll(async () => h?.close());

const mint = async (payload: Record<string, unknown>, token = ws.apiKey) =>
  h.call(token, { method: 'POST', url: `${base}/api-keys`, payload });

it('the first key of a workspace is admin; a key created without scopes is read-only', async () => {
  const keys = (await h.call(ws.apiKey, { method: 'GET', url: `${base}/api-keys` })).json<{
    data: { id: string; scopes: string[] }[];
  }>().data;
  expect(keys).toEqual([expect.objectContaining({ id: ws.apiKeyId, scopes: ['admin'] })]);

  const plain = await mint({ name: 'dashboard' });
  expect(plain.statusCode).toBe(201);
  expect(plain.json()).toMatchObject({ name: 'dashboard', scopes: ['read'] });
  const token = plain.json<{ apiKey: string }>().apiKey;
  expect((await h.call(token, { method: 'GET', url: `${base}/customers` })).statusCode).toBe(200);
  expectProblem(await mint({ name: 'escalate' }, token), 403, 'INSUFFICIENT_SCOPE');
});

it('scopes are validated and stored weakest first; the audit trail records them', async () => {
  expectProblem(await mint({ scopes: ['root'] }), 400, 'VALIDATION_FAILED');
  expectProblem(await mint({ scopes: [] }), 400, 'VALIDATION_FAILED');
  expectProblem(await mint({ scopes: ['read', 'read'] }), 400, 'VALIDATION_FAILED');
  const both = await mint({ name: 'ops', scopes: ['admin', 'read'] });
  expect(both.json()).toMatchObject({ scopes: ['read', 'admin'] });
  const audit = (await h.call(ws.apiKey, { method: 'GET', url: `${base}/audit-log` })).json<{
    data: { action: string; details: { scopes?: string[] } }[];
  }>().data;
  expect(audit[0]).toMatchObject({
    action: 'POST /api/v1/workspaces/:workspaceId/api-keys',
    details: { scopes: ['read', 'admin'] },
  });
});

it('a write key runs syncs but cannot mint, revoke or rotate provider secrets', async () => {
  const conn = await createConnection(h, ws);
  const write = (await mint({ name: 'ci', scopes: ['write'] })).json<{ apiKey: string }>().apiKey;
  const started = await h.call(write, { method: 'POST', url: `${base}/sync/stripe/initial` });
  expect(started.statusCode).toBe(202);
  expectProblem(await mint({ name: 'x' }, write), 403, 'INSUFFICIENT_SCOPE');
  expectProblem(
    await h.call(write, { method: 'DELETE', url: `${base}/api-keys/${ws.apiKeyId}` }),
    403,
    'INSUFFICIENT_SCOPE',
  );
  const rotate = await h.call(write, {
    method: 'PUT',
    url: `${base}/sync/config/${conn.id}`,
    payload: { apiKey: `${API_KEY}x`, addWebhookSecret: 'whsec_attackerSecret0001' },
  });
  const problem = expectProblem(rotate, 403, 'INSUFFICIENT_SCOPE');
  expect(problem).toMatchObject({ detail: expect.stringContaining('"admin"') });
  const after = (
    await h.call(ws.apiKey, { method: 'GET', url: `${base}/sync/config/${conn.id}` })
  ).json<{ webhookSecretCount: number; apiKeyHint: string }>();
  expect(after.webhookSecretCount).toBe(1);
  // The first key (admin) still can.
  expect((await mint({ name: 'next' })).statusCode).toBe(201);
});

it('a refused scope does not count as a failed authentication of the address', async () => {
  const read = (await mint({ name: 'r' })).json<{ apiKey: string }>().apiKey;
  for (let i = 0; i < FAILURE_LIMIT + 2; i++) {
    expectProblem(await mint({ name: 'no' }, read), 403, 'INSUFFICIENT_SCOPE');
  }
  expect((await h.call(read, { method: 'GET', url: base })).statusCode).toBe(200);
});

it('the migration makes every key that existed before it admin', async () => {
  // Replays the migration on a copy of the table as it was before (no scopes column).
  const sql = readFileSync(
    join(migrationsDir, '20261129081000_api_key_scopes', 'migration.sql'),
    'utf8',
  );
  await h.prisma.$transaction(async (tx) => {
    await tx.$executeRawUnsafe(
      'CREATE TEMP TABLE "old_keys" (LIKE "workspace_api_keys" INCLUDING DEFAULTS)',
    );
    await tx.$executeRawUnsafe('ALTER TABLE "old_keys" DROP COLUMN "scopes"');
    await tx.$executeRawUnsafe(
      `INSERT INTO "old_keys" (id, workspace_id, name, lookup, key_hash) VALUES (gen_random_uuid(), $1::uuid, 'legacy', 'legacy01', 'x')`,
      ws.id,
    );
    for (const statement of sql
      .replace(/--.*$/gm, '')
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean)) {
      await tx.$executeRawUnsafe(statement.replaceAll('"workspace_api_keys"', '"old_keys"'));
    }
    const rows = await tx.$queryRawUnsafe<{ scopes: string[] }[]>('SELECT scopes FROM "old_keys"');
    expect(rows).toEqual([{ scopes: ['admin'] }]);
    await tx.$executeRawUnsafe(
      `INSERT INTO "old_keys" (id, workspace_id, name, lookup, key_hash) VALUES (gen_random_uuid(), $1::uuid, 'new', 'newkey01', 'x')`,
      ws.id,
    );
    const fresh = await tx.$queryRawUnsafe<{ scopes: string[] }[]>(
      `SELECT scopes FROM "old_keys" WHERE name = 'new'`,
    );
    expect(fresh).toEqual([{ scopes: ['read'] }]);
    await tx.$executeRawUnsafe('DROP TABLE "old_keys"');
  });
});
