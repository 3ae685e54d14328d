import type { LightMyRequestResponse } from 'fastify';

import type { ApiHarness } from '../testing/api-harness.js';
import {
  expectProblem,
  startWithWorkspace,
  type TestWorkspace,
} from '../testing/management-api.js';

let h: ApiHarness;
let ws: TestWorkspace;
let base: string;

beforeAll(async () => {
  ({ h, ws, base } = await startWithWorkspace('acme'));
}, 60_000);
afterAll(async () => h?.close());

describe('API keys', () => {
  let created: LightMyRequestResponse;
  let key: { id: string; apiKey: string; prefix: string };
  beforeAll(async () => {
    created = await h.call(ws.apiKey, {
      method: 'POST',
      url: `${base}/api-keys`,
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
    const ok = await h.call(key.apiKey, { method: 'GET', url: `${base}` });
    expect(ok.statusCode).toBe(200);
  });

  it('keys are listed without the key itself', async () => {
    const list = await h.call(ws.apiKey, { method: 'GET', url: `${base}/api-keys` });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(key.apiKey);
    expect(list.json<{ data: { id: string }[] }>().data.map((k) => k.id)).toContain(key.id);
  });

  it('a revoked key answers 401', async () => {
    const revoked = await h.call(ws.apiKey, {
      method: 'DELETE',
      url: `${base}/api-keys/${key.id}`,
    });
    expect(revoked.statusCode).toBe(204);
    expectProblem(await h.call(key.apiKey, { method: 'GET', url: base }), 401, 'UNAUTHORIZED');
  });

  it('revoking is idempotent', async () => {
    expect(
      (await h.call(ws.apiKey, { method: 'DELETE', url: `${base}/api-keys/${key.id}` })).statusCode,
    ).toBe(204);
  });
});

describe('visibility', () => {
  let other: TestWorkspace;
  beforeAll(async () => {
    other = await h.createWorkspace('other');
  });

  it('the admin token lists every workspace', async () => {
    const asAdmin = await h.call('admin', { method: 'GET', url: '/api/v1/workspaces?limit=1000' });
    const ids = asAdmin.json<{ data: { id: string }[] }>().data.map((w) => w.id);
    expect(ids).toEqual(expect.arrayContaining([ws.id, other.id]));
  });

  it('a key lists only its own workspace', async () => {
    const asKey = await h.call(ws.apiKey, { method: 'GET', url: '/api/v1/workspaces' });
    expect(asKey.json<{ data: { id: string }[] }>().data.map((w) => w.id)).toEqual([ws.id]);
  });

  it('the admin token acts on any workspace', async () => {
    expect((await h.call('admin', { method: 'GET', url: base })).statusCode).toBe(200);
  });

  it('an unknown workspace is 404 even for the admin token', async () => {
    expectProblem(
      await h.call('admin', {
        method: 'GET',
        url: '/api/v1/workspaces/00000000-0000-4000-8000-000000000000',
      }),
      404,
      'NOT_FOUND',
    );
  });
});
