import { startApiHarness, type ApiHarness } from '../testing/api-harness.js';
import { expectProblem, type TestWorkspace } from '../testing/management-api.js';

// Issue 15 item 2: failed authentications (401) and workspace checks (403/404) are counted per
// client address before authentication; past the limit the address gets 429 with Retry-After,
// whatever credential it sends, while other addresses are unaffected.

const LIMIT = 5;
let h: ApiHarness;
let a: TestWorkspace;
let b: TestWorkspace;

beforeAll(async () => {
  h = await startApiHarness({
    env: { API_AUTH_FAILURES_PER_MINUTE: String(LIMIT), API_TRUST_PROXY: '10.0.0.0/8' },
  });
  a = await h.createWorkspace('guess-a');
  b = await h.createWorkspace('guess-b');
}, 60_000);
afterAll(async () => h?.close());

const get = (
  remoteAddress: string,
  authorization: string | undefined,
  workspaceId = a.id,
  forwardedFor?: string,
) =>
  h.app.inject({
    method: 'GET',
    url: `/api/v1/workspaces/${workspaceId}`,
    remoteAddress,
    headers: {
      ...(authorization === undefined ? {} : { authorization }),
      ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }),
    },
  });

async function burst(n: number, send: () => ReturnType<typeof get>) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await send());
  return out;
}

function expectBlocked(res: Awaited<ReturnType<typeof get>>) {
  expectProblem(res, 429, 'RATE_LIMITED');
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

it('a burst of wrong admin tokens gets 401s up to the limit, then 429 with Retry-After', async () => {
  const ip = '198.51.100.1';
  const res = await burst(LIMIT + 3, () => get(ip, `Bearer admin-${'y'.repeat(40)}`));
  for (const r of res.slice(0, LIMIT)) expectProblem(r, 401, 'UNAUTHORIZED');
  for (const r of res.slice(LIMIT)) expectBlocked(r);
  // Checked before authentication: the right token from that address is refused too.
  expectBlocked(
    await h.call('admin', { method: 'GET', url: `/api/v1/workspaces/${a.id}`, remoteAddress: ip }),
  );
});

it('a burst of wrong API keys (and of missing credentials) gets 429s', async () => {
  const ip = '198.51.100.2';
  const wrongKey = a.apiKey.slice(0, -4) + 'zzzz';
  const res = await burst(LIMIT + 2, () => get(ip, `Bearer ${wrongKey}`));
  expect(res.map((r) => r.statusCode)).toEqual([...Array<number>(LIMIT).fill(401), 429, 429]);
  expectBlocked(res[LIMIT]!);

  const ip2 = '198.51.100.3';
  const none = await burst(LIMIT + 1, () => get(ip2, undefined));
  expect(none.map((r) => r.statusCode)).toEqual([...Array<number>(LIMIT).fill(401), 429]);
});

it('failed workspace checks count too: another workspace (404), an admin route (403)', async () => {
  const ip = '198.51.100.4';
  const res = [
    ...(await burst(LIMIT - 1, () => get(ip, `Bearer ${a.apiKey}`, b.id))),
    await h.call(a.apiKey, {
      method: 'POST',
      url: '/api/v1/workspaces',
      payload: { name: 'x' },
      remoteAddress: ip,
    }),
  ];
  for (const r of res.slice(0, LIMIT - 1)) expectProblem(r, 404, 'NOT_FOUND');
  expectProblem(res[LIMIT - 1]!, 403, 'FORBIDDEN');
  // Even its own workspace, with a valid key, is refused from that address now.
  expectBlocked(await get(ip, `Bearer ${a.apiKey}`));
});

it('does not block a correct key from another address, nor successes below the limit', async () => {
  const attacker = '198.51.100.5';
  await burst(LIMIT + 1, () => get(attacker, 'Bearer psk_AAAAAAAA_nope'));
  expectBlocked(await get(attacker, `Bearer ${a.apiKey}`));
  expect((await get('198.51.100.6', `Bearer ${a.apiKey}`)).statusCode).toBe(200);
  // Successes are not failures: many good calls from one address stay 200.
  const ok = await burst(LIMIT + 2, () => get('198.51.100.7', `Bearer ${b.apiKey}`, b.id));
  expect(ok.map((r) => r.statusCode)).toEqual(Array<number>(LIMIT + 2).fill(200));
});

it('counts an IPv6 client by its /64', async () => {
  const res = [
    ...(await burst(LIMIT, () => get('2001:db8:1:2::a', 'Bearer nope'))),
    await get('2001:db8:1:2:ffff::b', `Bearer ${a.apiKey}`),
    await get('2001:db8:1:3::a', `Bearer ${a.apiKey}`),
  ];
  expect(res.map((r) => r.statusCode)).toEqual([...Array<number>(LIMIT).fill(401), 429, 200]);
});

it('behind a trusted proxy (API_TRUST_PROXY) counts the forwarded client, never a spoofed one', async () => {
  const proxy = '10.0.0.9';
  // Clients behind the load balancer are told apart: blocking one leaves the other alone.
  await burst(LIMIT, () => get(proxy, 'Bearer nope', a.id, '192.0.2.10'));
  expectBlocked(await get(proxy, `Bearer ${a.apiKey}`, a.id, '192.0.2.10'));
  expect((await get(proxy, `Bearer ${a.apiKey}`, a.id, '192.0.2.11')).statusCode).toBe(200);
  // A direct caller rotating X-Forwarded-For is still one address.
  const direct = await burst(LIMIT + 1, () =>
    get('192.0.2.50', 'Bearer nope', a.id, `192.0.2.${Math.floor(Math.random() * 200) + 51}`),
  );
  expect(direct.map((r) => r.statusCode)).toEqual([...Array<number>(LIMIT).fill(401), 429]);
});
