// One active connection per workspace for a provider whose object ids are not unique across its
// accounts (capabilities.objectIdsGloballyUnique: false — Chargebee). Synced rows are unique per
// workspace, provider and object id, and a Chargebee test site and live site often share ids
// (they are the merchant's): two sites in one workspace would overwrite each other's rows. So a
// second active Chargebee connection is refused with 409 CONNECTION_CONFLICT; each site goes in
// its own workspace. Stripe ids are global: several Stripe connections stay allowed.
import type { ProviderName } from '@paysync/contracts';

import {
  createConnection,
  expectProblem,
  workspaceHarness,
  type TestWorkspace,
} from '../testing/management-api.js';

const t = workspaceHarness('one-site');

const LIVE = {
  provider: 'chargebee',
  mode: 'live',
  apiKey: 'live_cbOneSiteLiveKey0001',
  settings: { site: 'acme-one' },
};
const TEST = {
  provider: 'chargebee',
  mode: 'test',
  apiKey: 'test_cbOneSiteTestKey0001',
  settings: { site: 'acme-one-test' },
};

const create = (ws: TestWorkspace, payload: object) =>
  t.h.call(ws.apiKey, {
    method: 'POST',
    url: `/api/v1/workspaces/${ws.id}/sync/config`,
    payload,
  });
const setActive = (ws: TestWorkspace, id: string, isActive: boolean) =>
  t.h.call(ws.apiKey, {
    method: 'PUT',
    url: `/api/v1/workspaces/${ws.id}/sync/config/${id}`,
    payload: { isActive },
  });
/** The workspace's connections of a provider as stored: id and whether active, in id order. */
const stored = (ws: TestWorkspace, provider: ProviderName) =>
  t.h.prisma.workspacePaymentConfiguration.findMany({
    where: { workspaceId: ws.id, provider },
    select: { id: true, isActive: true },
    orderBy: { id: 'asc' },
  });
/** Rows as `stored` answers them: in id order. */
const byId = (rows: { id: string; isActive: boolean }[]) =>
  [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

describe('Chargebee: one active connection (site) per workspace', () => {
  let live: { id: string };

  beforeAll(async () => {
    const res = await create(t.ws, LIVE);
    expect([res.statusCode, res.body]).toEqual([201, expect.any(String)]);
    live = res.json();
  });

  it('refuses a second site in the same workspace: 409 CONNECTION_CONFLICT naming the reason and the fix', async () => {
    const res = await create(t.ws, TEST);
    const body = expectProblem(res, 409, 'CONNECTION_CONFLICT');
    const { detail } = res.json<{ detail: string }>();
    expect(body.status).toBe(409);
    expect(detail).toContain(live.id);
    expect(detail).toContain('object ids are not unique');
    expect(detail).toContain('its own workspace');
    expect(res.body).not.toContain(TEST.apiKey);
    // Nothing was stored for the refused connection.
    expect(await stored(t.ws, 'chargebee')).toEqual([{ id: live.id, isActive: true }]);
  });

  it('takes the other site in a workspace of its own', async () => {
    const other = await t.h.createWorkspace('one-site-test-site');
    const res = await create(other, TEST);
    expect([res.statusCode, res.body]).toEqual([201, expect.any(String)]);
    expect(await stored(other, 'chargebee')).toEqual([
      { id: res.json<{ id: string }>().id, isActive: true },
    ]);
  });

  describe('after the first is deactivated', () => {
    let second: { id: string };

    beforeAll(async () => {
      const off = await setActive(t.ws, live.id, false);
      expect([off.statusCode, off.body]).toEqual([200, expect.any(String)]);
      const res = await create(t.ws, TEST);
      expect([res.statusCode, res.body]).toEqual([201, expect.any(String)]);
      second = res.json();
    });

    it('a second connection is allowed', async () => {
      expect(await stored(t.ws, 'chargebee')).toEqual(
        byId([
          { id: live.id, isActive: false },
          { id: second.id, isActive: true },
        ]),
      );
    });

    it('reactivating the first while the second is active is 409 CONNECTION_CONFLICT; it stays inactive', async () => {
      const res = await setActive(t.ws, live.id, true);
      expect(expectProblem(res, 409, 'CONNECTION_CONFLICT')).toMatchObject({ status: 409 });
      expect(res.json<{ detail: string }>().detail).toContain(second.id);
      expect(await stored(t.ws, 'chargebee')).toEqual(
        byId([
          { id: live.id, isActive: false },
          { id: second.id, isActive: true },
        ]),
      );
    });

    it('deactivating the second lets the first be reactivated', async () => {
      expect((await setActive(t.ws, second.id, false)).statusCode).toBe(200);
      const res = await setActive(t.ws, live.id, true);
      expect([res.statusCode, res.body]).toEqual([200, expect.any(String)]);
      expect(await stored(t.ws, 'chargebee')).toEqual(
        byId([
          { id: live.id, isActive: true },
          { id: second.id, isActive: false },
        ]),
      );
    });
  });

  it('of concurrent creates, never two stay active: each one refused is 409 CONNECTION_CONFLICT', async () => {
    const ws = await t.h.createWorkspace('one-site-race');
    const sites = ['race-a', 'race-b', 'race-c', 'race-d'];
    const answers = await Promise.all(
      sites.map((site, i) =>
        create(ws, { ...TEST, apiKey: `test_cbOneSiteRaceKey000${i}`, settings: { site } }),
      ),
    );
    const created = answers.filter((r) => r.statusCode === 201);
    for (const r of answers.filter((a) => a.statusCode !== 201)) {
      expectProblem(r, 409, 'CONNECTION_CONFLICT');
    }
    const rows = await stored(ws, 'chargebee');
    expect(created.length).toBeLessThanOrEqual(1);
    expect(rows).toEqual(created.map((r) => ({ id: r.json<{ id: string }>().id, isActive: true })));
  });
});

describe('Stripe: object ids are global', () => {
  it('still allows several active connections in one workspace', async () => {
    const ws = await t.h.createWorkspace('one-site-stripe');
    const a = await createConnection(t.h, ws);
    const b = await createConnection(t.h, ws, { apiKey: 'sk_test_51MgmtApiSecretKey0002' });
    const rows = await stored(ws, 'stripe');
    expect(rows).toEqual(
      byId([
        { id: a.id, isActive: true },
        { id: b.id, isActive: true },
      ]),
    );
  });
});
