// A Chargebee connection through the management API (issue 17, "turn it on"): created with its
// site and API key, tested against the Chargebee simulator (site + mode), and its webhook set up
// by hand — Chargebee has no API for that, so "register webhook" answers the URL and generated
// HTTP Basic credentials once; they are stored encrypted and never readable again.
import { withTenant } from '@paysync/db';
import { verifyProviderWebhook } from '@paysync/providers';
import { ChargebeeSimulator } from '@paysync/simulator';

import {
  expectProblem,
  startWithWorkspace,
  type TestWorkspace,
} from '../testing/management-api.js';

import type { ApiHarness } from '../testing/api-harness.js';

const SITE = 'acme-conn-test';
const CB_KEY = 'test_cbConnectionsIntKey01';

let cb: ChargebeeSimulator;
let h: ApiHarness;
let ws: TestWorkspace;
let base: string;

beforeAll(async () => {
  cb = new ChargebeeSimulator({ site: SITE, apiKeys: [CB_KEY], seed: { customer: 2 } });
  const cbUrl = await cb.start();
  ({ h, ws, base } = await startWithWorkspace('chargebee-conn', {
    env: { API_ALLOWED_PROVIDER_BASE_URLS: cbUrl },
  }));
}, 60_000);

afterAll(async () => {
  await h?.close();
  await cb?.stop();
});

describe('a Chargebee connection: create, test, set up its webhook by hand', () => {
  let c: { id: string; webhookPath: string };
  let hookUrl: string;
  let first: {
    endpointId: string;
    url: string;
    created: boolean;
    secretStored: boolean;
    setup: string;
    credentials: { username: string; password: string } | null;
    instructions: string | null;
  };
  const register = () =>
    h.call(ws.apiKey, {
      method: 'POST',
      url: `${base}/sync/config/${c.id}/webhook-endpoint`,
      payload: { url: hookUrl },
    });
  const get = () => h.call(ws.apiKey, { method: 'GET', url: `${base}/sync/config/${c.id}` });
  const stored = () =>
    withTenant(ws.id, () =>
      h.app.diContainer.cradle.connectionRepository.getDecrypted(ws.id, c.id),
    );

  beforeAll(async () => {
    const res = await h.call(ws.apiKey, {
      method: 'POST',
      url: `${base}/sync/config`,
      payload: {
        provider: 'chargebee',
        mode: 'test',
        apiKey: CB_KEY,
        settings: { site: SITE, apiBaseUrl: cb.url },
      },
    });
    expect([res.statusCode, res.body]).toEqual([201, expect.any(String)]);
    c = res.json();
    hookUrl = `https://hooks.example.com${c.webhookPath}`;
  });

  it('is created with its site, no webhook credentials yet, and the Chargebee webhook path', async () => {
    const res = await get();
    expect(res.json()).toMatchObject({
      provider: 'chargebee',
      mode: 'test',
      webhookSecretCount: 0,
      settings: { site: SITE },
      webhookPath: `/webhooks/chargebee/${c.id}`,
    });
    expect(res.body).not.toContain(CB_KEY);
  });

  it('tests the connection at the site: the account is the site, in the connection’s mode', async () => {
    const res = await h.call(ws.apiKey, {
      method: 'POST',
      url: `${base}/sync/config/${c.id}/test`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ok: true, accountId: SITE, mode: 'test' });
    // Its rate-limit bucket is the site's from now on (chargebee:<site>:test).
    expect((await stored()).verifiedProviderAccountId).toBe(SITE);
    // The test's call took its token from the connection's shared bucket (the sync-runner's
    // before the site was verified), not from a private limiter of its own.
    expect(
      await h.prisma.providerRateLimit.findUnique({
        where: { key: `chargebee:connection:${c.id}:test` },
      }),
    ).toMatchObject({ burst: 1 });
  });

  it('register webhook answers the URL, generated Basic credentials and where to paste them', async () => {
    const res = await register();
    expect(res.statusCode).toBe(200);
    first = res.json();
    expect(first).toMatchObject({
      url: hookUrl,
      created: false,
      secretStored: true,
      setup: 'manual',
      credentials: { username: expect.any(String), password: expect.any(String) },
    });
    expect(first.credentials?.password.length).toBeGreaterThanOrEqual(16);
    expect(first.instructions).toContain('Settings → Configure Chargebee → Webhooks');
  });

  it('stores them encrypted as the connection’s webhook credential', async () => {
    const { username, password } = first.credentials!;
    expect((await stored()).webhookSecrets).toEqual([`${username}:${password}`]);
    const row = await h.prisma.workspacePaymentConfiguration.findUniqueOrThrow({
      where: { id: c.id },
    });
    expect(JSON.stringify(row)).not.toContain(password);
  });

  it('never answers them again: not in GET, not in the list, not on a second register', async () => {
    const { password } = first.credentials!;
    const read = await get();
    expect(read.json()).toMatchObject({
      webhookSecretCount: 1,
      webhookEndpointId: first.endpointId,
    });
    const list = await h.call(ws.apiKey, { method: 'GET', url: `${base}/sync/config` });
    const again = await register();
    expect(again.json()).toMatchObject({
      endpointId: first.endpointId,
      setup: 'manual',
      secretStored: false,
      credentials: null,
    });
    for (const r of [read, list, again]) expect(r.body).not.toContain(password);
    expect((await stored()).webhookSecrets).toHaveLength(1);
  });

  it('the answered credentials verify a Chargebee webhook the way ingress does; others do not', async () => {
    const { username, password } = first.credentials!;
    const body = Buffer.from(
      JSON.stringify({
        id: 'ev_conn_int_1',
        occurred_at: 1_764_000_000,
        event_type: 'customer_changed',
        api_version: 'v2',
        content: { customer: { id: 'cus_conn_int', resource_version: 1 } },
      }),
    );
    const secrets = (await stored()).webhookSecrets;
    const auth = (u: string, p: string) => ({
      authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`,
    });
    expect(
      verifyProviderWebhook('chargebee', body, auth(username, password), secrets, {
        livemode: false,
      }),
    ).toMatchObject({ id: 'ev_conn_int_1', objectId: 'cus_conn_int', livemode: false });
    expect(() =>
      verifyProviderWebhook('chargebee', body, auth(username, `${password}x`), secrets, {
        livemode: false,
      }),
    ).toThrow(expect.objectContaining({ code: 'WEBHOOK_SIGNATURE_INVALID' }));
  });

  it('rotates: a second credential beside the first, then only the newest', async () => {
    const added = await h.call(ws.apiKey, {
      method: 'PUT',
      url: `${base}/sync/config/${c.id}`,
      payload: {
        addWebhookCredential: { username: 'paysync2', password: 'rotated-password-0002' },
      },
    });
    expect(added.json()).toMatchObject({ webhookSecretCount: 2 });
    const retired = await h.call(ws.apiKey, {
      method: 'PUT',
      url: `${base}/sync/config/${c.id}`,
      payload: { retireOldWebhookSecrets: true },
    });
    expect(retired.json()).toMatchObject({ webhookSecretCount: 1 });
    expect((await stored()).webhookSecrets).toEqual(['paysync2:rotated-password-0002']);
  });

  it('refuses settings without the site, and a short Basic password', async () => {
    const noSite = await h.call(ws.apiKey, {
      method: 'PUT',
      url: `${base}/sync/config/${c.id}`,
      payload: { settings: { apiBaseUrl: cb.url } },
    });
    expect(expectProblem(noSite, 400, 'VALIDATION_FAILED').errors?.map((e) => e.path)).toEqual([
      'body/settings/site',
    ]);
    const short = await h.call(ws.apiKey, {
      method: 'PUT',
      url: `${base}/sync/config/${c.id}`,
      payload: { addWebhookSecret: 'paysync:short' },
    });
    expect(expectProblem(short, 400, 'VALIDATION_FAILED').errors?.map((e) => e.path)).toEqual([
      'body/addWebhookSecret',
    ]);
  });

  it('keeps the credentials out of the audit trail and every log line', async () => {
    const secrets = [CB_KEY, first.credentials!.password, 'rotated-password-0002'];
    const audit = JSON.stringify(
      await h.prisma.auditLog.findMany({ where: { workspaceId: ws.id } }),
      (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
    );
    expect(audit).toContain('credentialsIssued');
    expect(h.logs.length).toBeGreaterThan(5);
    for (const secret of secrets) {
      expect(audit).not.toContain(secret);
      for (const line of h.logs) expect(line).not.toContain(secret);
    }
  });
});
