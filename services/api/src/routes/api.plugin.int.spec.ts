import { startApiHarness, type ApiHarness } from '../testing/api-harness.js';
import { expectProblem, workspaceHarness, type TestWorkspace } from '../testing/management-api.js';

// What every authenticated route shares: authentication, access, rate limit, input PostgreSQL
// cannot store.

const t = workspaceHarness('acme');

describe('authentication', () => {
  it.each([
    ['no credential', undefined],
    ['a malformed one', 'Basic abc'],
    ['an unknown key', 'Bearer psk_AAAAAAAA_nope'],
    ['a token that is no key', 'Bearer x'],
  ])('401 with %s', async (_what, authorization) => {
    const res = await t.h.app.inject({
      method: 'GET',
      url: `${t.base}/sync/config`,
      headers: authorization ? { authorization } : {},
    });
    expectProblem(res, 401, 'UNAUTHORIZED');
  });

  it('a workspace key may not create workspaces (403)', async () => {
    const res = await t.h.call(t.ws.apiKey, {
      method: 'POST',
      url: '/api/v1/workspaces',
      payload: { name: 'x' },
    });
    expectProblem(res, 403, 'FORBIDDEN');
  });
});

describe('rate limit (3 requests a minute per credential)', () => {
  let limited: ApiHarness;
  let w: TestWorkspace;
  const get = (token: string) =>
    limited.call(token, { method: 'GET', url: `/api/v1/workspaces/${w.id}` });

  beforeAll(async () => {
    limited = await startApiHarness({ env: { API_RATE_LIMIT_PER_MINUTE: '3' } });
    w = await limited.createWorkspace();
  }, 60_000);
  afterAll(async () => limited?.close());

  it('the fourth request of a credential is 429 RATE_LIMITED with retry-after', async () => {
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 4; i++) {
      last = await get(w.apiKey);
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expectProblem(last!, 429, 'RATE_LIMITED');
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('another credential has its own budget', async () => {
    expect((await get('admin')).statusCode).toBe(200);
  });
});

describe('input PostgreSQL cannot store (a NUL character)', () => {
  let w: TestWorkspace;
  beforeAll(async () => {
    w = await t.h.createWorkspace('nul');
  });

  it('in a body string is a 400 naming the field', async () => {
    const body = expectProblem(
      await t.h.call(w.apiKey, {
        method: 'POST',
        url: `/api/v1/workspaces/${w.id}/api-keys`,
        payload: { name: 'a\u0000b' },
      }),
      400,
      'VALIDATION_FAILED',
    );
    expect(body.errors?.map((e) => e.path)).toEqual(['body/name']);
  });

  it('in a query string is a 400 naming the field', async () => {
    const query = expectProblem(
      await t.h.call(w.apiKey, {
        method: 'GET',
        url: `/api/v1/workspaces/${w.id}/webhooks/events?type=a%00b`,
      }),
      400,
      'VALIDATION_FAILED',
    );
    expect(query.errors?.map((e) => e.path)).toEqual(['querystring/type']);
  });

  it('is refused before anything is written', async () => {
    const keys = await t.h.call(w.apiKey, {
      method: 'GET',
      url: `/api/v1/workspaces/${w.id}/api-keys`,
    });
    expect(keys.json<{ data: unknown[] }>().data).toHaveLength(1); // only the first key
  });
});
