import type { LightMyRequestResponse } from 'fastify';

import { expectProblem, workspaceHarness, type TestWorkspace } from '../testing/management-api.js';

const t = workspaceHarness('acme');

describe('API keys', () => {
  let created: LightMyRequestResponse;
  let key: { id: string; apiKey: string; prefix: string };
  beforeAll(async () => {
    created = await t.h.call(t.ws.apiKey, {
      method: 'POST',
      url: `${t.base}/api-keys`,
      payload: { name: 'ci' },
    });
    key = created.json();
  });

  it('a new key is shown once, and starts with its listed prefix', () => {
    expect(created.statusCode).toBe(201);
    expect(key.apiKey).toMatch(/^psk_/);
    expect(key.apiKey.startsWith(key.prefix.replace('…', ''))).toBe(true);
  });

  it('a new key authenticates', async () => {
    const ok = await t.h.call(key.apiKey, { method: 'GET', url: `${t.base}` });
    expect(ok.statusCode).toBe(200);
  });

  it('keys are listed without the key itself', async () => {
    const list = await t.h.call(t.ws.apiKey, { method: 'GET', url: `${t.base}/api-keys` });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(key.apiKey);
    expect(list.json<{ data: { id: string }[] }>().data.map((k) => k.id)).toContain(key.id);
  });

  it('a revoked key answers 401', async () => {
    const revoked = await t.h.call(t.ws.apiKey, {
      method: 'DELETE',
      url: `${t.base}/api-keys/${key.id}`,
    });
    expect(revoked.statusCode).toBe(204);
    expectProblem(await t.h.call(key.apiKey, { method: 'GET', url: t.base }), 401, 'UNAUTHORIZED');
  });

  it('revoking is idempotent', async () => {
    expect(
      (await t.h.call(t.ws.apiKey, { method: 'DELETE', url: `${t.base}/api-keys/${key.id}` }))
        .statusCode,
    ).toBe(204);
  });
});

describe('visibility', () => {
  let other: TestWorkspace;
  beforeAll(async () => {
    other = await t.h.createWorkspace('other');
  });

  it('the admin token lists every workspace', async () => {
    const asAdmin = await t.h.call('admin', {
      method: 'GET',
      url: '/api/v1/workspaces?limit=1000',
    });
    const ids = asAdmin.json<{ data: { id: string }[] }>().data.map((w) => w.id);
    expect(ids).toEqual(expect.arrayContaining([t.ws.id, other.id]));
  });

  it('a key lists only its own workspace', async () => {
    const asKey = await t.h.call(t.ws.apiKey, { method: 'GET', url: '/api/v1/workspaces' });
    expect(asKey.json<{ data: { id: string }[] }>().data.map((w) => w.id)).toEqual([t.ws.id]);
  });

  it('the admin token acts on any workspace', async () => {
    expect((await t.h.call('admin', { method: 'GET', url: t.base })).statusCode).toBe(200);
  });

  it('an unknown workspace is 404 even for the admin token', async () => {
    expectProblem(
      await t.h.call('admin', {
        method: 'GET',
        url: '/api/v1/workspaces/00000000-0000-4000-8000-000000000000',
      }),
      404,
      'NOT_FOUND',
    );
  });
});
