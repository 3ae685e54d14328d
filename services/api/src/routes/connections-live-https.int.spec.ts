import {
  expectProblem,
  startWithWorkspace,
  type TestWorkspace,
} from '../testing/management-api.js';

import type { ApiHarness } from '../testing/api-harness.js';

// Issue 15 item 9: an http (not https) provider base URL was accepted for a live key, which would
// then travel in clear. (The simulator's URL is http and in the allowlist, so only the mode
// decides here.)

const LIVE_KEY = 'sk_live_51LiveKeyOverHttp0001';
let h: ApiHarness;
let ws: TestWorkspace;
let base: string;

beforeAll(async () => {
  ({ h, ws, base } = await startWithWorkspace('live-https'));
}, 60_000);
afterAll(async () => h?.close());

it('refuses a live connection with an http apiBaseUrl (400 naming the field)', async () => {
  const res = await h.call(ws.apiKey, {
    method: 'POST',
    url: `${base}/sync/config`,
    payload: { provider: 'stripe', apiKey: LIVE_KEY, settings: { apiBaseUrl: h.simUrl } },
  });
  const body = expectProblem(res, 400, 'VALIDATION_FAILED');
  expect(body.errors?.map((e) => e.path)).toEqual(['body/settings/apiBaseUrl']);
});

it('refuses switching an http connection to a live key', async () => {
  const created = await h.call(ws.apiKey, {
    method: 'POST',
    url: `${base}/sync/config`,
    payload: {
      provider: 'stripe',
      apiKey: 'sk_test_51TestKeyOverHttp0001',
      settings: { apiBaseUrl: h.simUrl },
    },
  });
  expect(created.statusCode).toBe(201);
  const id = created.json<{ id: string }>().id;
  const res = await h.call(ws.apiKey, {
    method: 'PUT',
    url: `${base}/sync/config/${id}`,
    payload: { apiKey: LIVE_KEY, mode: 'live' },
  });
  const body = expectProblem(res, 400, 'VALIDATION_FAILED');
  expect(body.errors?.map((e) => e.path)).toContain('body/mode');
});
