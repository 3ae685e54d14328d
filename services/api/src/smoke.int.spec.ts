import { startApiHarness, type ApiHarness } from './testing/api-harness.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
}, 60_000);
afterAll(async () => h?.close());

it('smoke', async () => {
  const ws = await h.createWorkspace();
  const res = await h.call(ws.apiKey, {
    method: 'POST',
    url: `/api/v1/workspaces/${ws.id}/sync/config`,
    payload: {
      provider: 'stripe',
      apiKey: 'sk_test_abcdefgh1234',
      webhookSecret: 'whsec_abcdefgh12345',
      settings: { apiBaseUrl: h.simUrl },
    },
  });
  console.log(res.statusCode, res.body);
  const id = res.json<{ id: string }>().id;
  const t = await h.call(ws.apiKey, {
    method: 'POST',
    url: `/api/v1/workspaces/${ws.id}/sync/config/${id}/test`,
  });
  console.log(t.statusCode, t.body);
  const s = await h.call(ws.apiKey, {
    method: 'POST',
    url: `/api/v1/workspaces/${ws.id}/sync/stripe/initial`,
    payload: {},
  });
  console.log(s.statusCode, s.body);
  const l = await h.call(ws.apiKey, {
    method: 'GET',
    url: `/api/v1/workspaces/${ws.id}/sync/sessions`,
  });
  console.log(l.statusCode, l.body);
  const o = await h.call(undefined, { method: 'GET', url: `/api/v1/openapi.json` });
  console.log(o.statusCode, o.body.slice(0, 300));
  const c = await h.call(ws.apiKey, {
    method: 'GET',
    url: `/api/v1/workspaces/${ws.id}/customers?limit=2`,
  });
  console.log(c.statusCode, c.body.slice(0, 300));
  const bad = await h.call(ws.apiKey, {
    method: 'POST',
    url: `/api/v1/workspaces/${ws.id}/sync/config`,
    payload: { provider: 'stripe', apiKey: 'nope', extra: 1 },
  });
  console.log(bad.statusCode, bad.body);
  expect(res.statusCode).toBe(201);
}, 60_000);
