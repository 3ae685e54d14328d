import { expectProblem, workspaceHarness } from '../testing/management-api.js';

// Issue 15 item 9: an http (not https) provider base URL was accepted for a live key, which would
// then travel in clear. (The simulator's URL is http and in the allowlist, so only the mode
// decides here.)

const LIVE_KEY = 'sk_live_51LiveKeyOverHttp0001';
const t = workspaceHarness('live-https');

/** POST /sync/config of the test workspace with `payload`, the answer unchecked. */
const postConfig = (payload: Record<string, unknown>) =>
  t.h.call(t.ws.apiKey, { method: 'POST', url: `${t.base}/sync/config`, payload });

it('refuses a live connection with an http apiBaseUrl (400 naming the field)', async () => {
  const res = await postConfig({
    provider: 'stripe',
    apiKey: LIVE_KEY,
    settings: { apiBaseUrl: t.h.simUrl },
  });
  const body = expectProblem(res, 400, 'VALIDATION_FAILED');
  expect(body.errors?.map((e) => e.path)).toEqual(['body/settings/apiBaseUrl']);
});

it('refuses switching an http connection to a live key', async () => {
  const created = await postConfig({
    provider: 'stripe',
    apiKey: 'sk_test_51TestKeyOverHttp0001',
    settings: { apiBaseUrl: t.h.simUrl },
  });
  expect(created.statusCode).toBe(201);
  const id = created.json<{ id: string }>().id;
  const res = await t.h.call(t.ws.apiKey, {
    method: 'PUT',
    url: `${t.base}/sync/config/${id}`,
    payload: { apiKey: LIVE_KEY, mode: 'live' },
  });
  const body = expectProblem(res, 400, 'VALIDATION_FAILED');
  expect(body.errors?.map((e) => e.path)).toContain('body/mode');
});
