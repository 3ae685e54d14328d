import { TOPICS } from '@paysync/contracts';
import { SyncWriteRepository } from '@paysync/db';
import { anEvent } from '@paysync/db/testing';
import { topicName } from '@paysync/kafka';
import { TopicProbe } from '@paysync/kafka/testing';
import { stripeObjectToChange } from '@paysync/providers';
import { stripeFixture } from '@paysync/providers/testing';
import { eventually } from '@paysync/testkit';

import { startApiHarness, type ApiHarness } from '../testing/api-harness.js';

const API_KEY = 'sk_test_51MgmtApiSecretKey0001';
const WHSEC = 'whsec_mgmtApiSigningSecret0001';

let h: ApiHarness;
let ws: { id: string; apiKey: string; apiKeyId: string };
let base: string;

beforeAll(async () => {
  h = await startApiHarness();
  ws = await h.createWorkspace('acme');
  base = `/api/v1/workspaces/${ws.id}`;
}, 60_000);
afterAll(async () => h?.close());

async function createConnection(overrides: Record<string, unknown> = {}) {
  const res = await h.call(ws.apiKey, {
    method: 'POST',
    url: `${base}/sync/config`,
    payload: {
      provider: 'stripe',
      apiKey: API_KEY,
      webhookSecret: WHSEC,
      settings: { apiBaseUrl: h.simUrl },
      ...overrides,
    },
  });
  expect(res.statusCode).toBe(201);
  return res.json<{ id: string; webhookPath: string }>();
}

function expectProblem(
  res: { statusCode: number; headers: Record<string, unknown>; json: <T>() => T },
  status: number,
  code: string,
) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toContain('application/problem+json');
  const body = res.json<{ code: string; status: number; requestId: string }>();
  expect(body).toMatchObject({ code, status });
  expect(body.requestId).toBe(res.headers['x-request-id']);
  return body;
}

describe('authentication', () => {
  it('401 without a credential, with a malformed one and with an unknown key', async () => {
    for (const authorization of [undefined, 'Basic abc', 'Bearer psk_AAAAAAAA_nope', 'Bearer x']) {
      const res = await h.app.inject({
        method: 'GET',
        url: `${base}/sync/config`,
        headers: authorization ? { authorization } : {},
      });
      expectProblem(res, 401, 'UNAUTHORIZED');
    }
  });

  it('a workspace key may not create workspaces (403), the admin token may', async () => {
    const res = await h.call(ws.apiKey, {
      method: 'POST',
      url: '/api/v1/workspaces',
      payload: { name: 'x' },
    });
    expectProblem(res, 403, 'FORBIDDEN');
  });

  it('API keys: created (shown once), listed without the key, revoked → 401', async () => {
    const created = await h.call(ws.apiKey, {
      method: 'POST',
      url: `${base}/api-keys`,
      payload: { name: 'ci' },
    });
    expect(created.statusCode).toBe(201);
    const key = created.json<{ id: string; apiKey: string; prefix: string }>();
    expect(key.apiKey).toMatch(/^psk_/);
    expect(key.apiKey.startsWith(key.prefix.replace('…', ''))).toBe(true);

    const ok = await h.call(key.apiKey, { method: 'GET', url: `${base}` });
    expect(ok.statusCode).toBe(200);

    const list = await h.call(ws.apiKey, { method: 'GET', url: `${base}/api-keys` });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(key.apiKey);
    expect(list.json<{ data: { id: string }[] }>().data.map((k) => k.id)).toContain(key.id);

    const revoked = await h.call(ws.apiKey, {
      method: 'DELETE',
      url: `${base}/api-keys/${key.id}`,
    });
    expect(revoked.statusCode).toBe(204);
    expectProblem(await h.call(key.apiKey, { method: 'GET', url: base }), 401, 'UNAUTHORIZED');
    // Idempotent.
    expect(
      (await h.call(ws.apiKey, { method: 'DELETE', url: `${base}/api-keys/${key.id}` })).statusCode,
    ).toBe(204);
  });

  it('the admin token sees every workspace; a key only its own', async () => {
    const other = await h.createWorkspace('other');
    const asAdmin = await h.call('admin', { method: 'GET', url: '/api/v1/workspaces?limit=1000' });
    const ids = asAdmin.json<{ data: { id: string }[] }>().data.map((w) => w.id);
    expect(ids).toEqual(expect.arrayContaining([ws.id, other.id]));
    const asKey = await h.call(ws.apiKey, { method: 'GET', url: '/api/v1/workspaces' });
    expect(asKey.json<{ data: { id: string }[] }>().data.map((w) => w.id)).toEqual([ws.id]);
    // The admin acts on any workspace; an unknown one is 404.
    expect((await h.call('admin', { method: 'GET', url: base })).statusCode).toBe(200);
    expectProblem(
      await h.call('admin', {
        method: 'GET',
        url: '/api/v1/workspaces/00000000-0000-4000-8000-000000000000',
      }),
      404,
      'NOT_FOUND',
    );
  });

  it('rate limits per credential with 429 and retry-after', async () => {
    const limited = await startApiHarness({ env: { API_RATE_LIMIT_PER_MINUTE: '3' } });
    try {
      const w = await limited.createWorkspace();
      const statuses: number[] = [];
      let last;
      for (let i = 0; i < 4; i++) {
        last = await limited.call(w.apiKey, { method: 'GET', url: `/api/v1/workspaces/${w.id}` });
        statuses.push(last.statusCode);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expectProblem(last!, 429, 'RATE_LIMITED');
      expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
      // Another credential has its own budget.
      expect(
        (await limited.call('admin', { method: 'GET', url: `/api/v1/workspaces/${w.id}` }))
          .statusCode,
      ).toBe(200);
    } finally {
      await limited.close();
    }
  }, 60_000);
});

describe('provider connections', () => {
  it('creates, lists, reads, updates and deletes without ever returning a secret', async () => {
    const created = await createConnection();
    const res = await h.call(ws.apiKey, {
      method: 'GET',
      url: `${base}/sync/config/${created.id}`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: created.id,
      provider: 'stripe',
      mode: 'test',
      apiKeyHint: '0001',
      webhookSecretCount: 1,
      isActive: true,
      webhookPath: `/webhooks/stripe/${created.id}`,
    });
    const list = await h.call(ws.apiKey, { method: 'GET', url: `${base}/sync/config` });
    expect(list.json<{ data: { id: string }[] }>().data.map((c) => c.id)).toContain(created.id);

    // Rotation: add a second secret, then retire the first.
    const rotated = await h.call(ws.apiKey, {
      method: 'PUT',
      url: `${base}/sync/config/${created.id}`,
      payload: { addWebhookSecret: 'whsec_mgmtApiSigningSecret0002' },
    });
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json()).toMatchObject({ webhookSecretCount: 2 });
    const retired = await h.call(ws.apiKey, {
      method: 'PUT',
      url: `${base}/sync/config/${created.id}`,
      payload: { retireOldWebhookSecrets: true, isActive: false },
    });
    expect(retired.json()).toMatchObject({ webhookSecretCount: 1, isActive: false });
    // The stored secrets are ciphertexts, and the newest one survived.
    const row = await h.prisma.workspacePaymentConfiguration.findUniqueOrThrow({
      where: { id: created.id },
    });
    expect(row.apiKeyCiphertext).not.toContain(API_KEY);
    expect(JSON.stringify(row)).not.toContain('whsec_');
    const decrypted = await h.app.diContainer.cradle.connectionRepository.getDecrypted(
      ws.id,
      created.id,
    );
    expect(decrypted.webhookSecrets).toEqual(['whsec_mgmtApiSigningSecret0002']);

    for (const r of [res, list, rotated, retired]) {
      expect(r.body).not.toContain(API_KEY);
      expect(r.body).not.toContain('whsec_');
    }

    const deleted = await h.call(ws.apiKey, {
      method: 'DELETE',
      url: `${base}/sync/config/${created.id}`,
    });
    expect(deleted.statusCode).toBe(204);
    expectProblem(
      await h.call(ws.apiKey, { method: 'GET', url: `${base}/sync/config/${created.id}` }),
      404,
      'NOT_FOUND',
    );
  });

  it.each([
    [{ apiKey: 'pk_test_publishable0001' }, 'body/apiKey'],
    [{ apiKey: 'sk_live_abcdefgh12345', mode: 'test' }, 'body/apiKey'],
    [{ webhookSecret: 'whsec_has space inside' }, 'body/webhookSecrets/0'],
    [{ webhookSecret: 'nothook_abcdefgh12345' }, 'body/webhookSecrets/0'],
    [{ unknownField: 1 }, 'body/unknownField'],
    [{ provider: 'paypal' }, 'body/provider'],
    [{ settings: { apiBaseUrl: 'http://169.254.169.254' } }, 'body/settings/apiBaseUrl'],
    [{ settings: { pageSize: 5 } }, 'body/settings/pageSize'],
  ])('rejects %j with a field error at %s', async (overrides, path) => {
    const res = await h.call(ws.apiKey, {
      method: 'POST',
      url: `${base}/sync/config`,
      payload: {
        provider: 'stripe',
        apiKey: API_KEY,
        settings: { apiBaseUrl: h.simUrl },
        ...overrides,
      },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ errors: { path: string }[] }>();
    expect(body.errors.map((e) => e.path)).toContain(path);
    expect(res.body).not.toContain('whsec_has space');
  });

  it('chargebee is known but not supported yet', async () => {
    const res = await h.call(ws.apiKey, {
      method: 'POST',
      url: `${base}/sync/config`,
      payload: { provider: 'chargebee', apiKey: 'cb_test_key' },
    });
    expectProblem(res, 400, 'PROVIDER_NOT_SUPPORTED');
  });

  it('test: calls the simulator, records the account and its health', async () => {
    const c = await createConnection();
    const res = await h.call(ws.apiKey, {
      method: 'POST',
      url: `${base}/sync/config/${c.id}/test`,
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ ok: boolean; accountId: string; mode: string; latencyMs: number }>();
    expect(body).toMatchObject({ ok: true, accountId: h.sim.accountId, mode: 'test' });
    expect(body.latencyMs).toBeGreaterThanOrEqual(0);
    const link = await h.prisma.workspaceProviderAccount.findFirstOrThrow({
      where: { providerAccountId: h.sim.accountId },
    });
    expect(link).toMatchObject({ workspaceId: ws.id, configurationId: c.id });
    const after = await h.call(ws.apiKey, { method: 'GET', url: `${base}/sync/config/${c.id}` });
    expect(after.json()).toMatchObject({
      accountId: h.sim.accountId,
      health: { lastTestOk: true, lastTestError: null },
    });
  });

  it('test: a rejected key is a problem with the provider error, recorded on the connection', async () => {
    const revokedKey = 'sk_test_51RevokedSecretKey0009';
    h.sim.revokeKey(revokedKey);
    const c = await createConnection({ apiKey: revokedKey });
    const res = await h.call(ws.apiKey, {
      method: 'POST',
      url: `${base}/sync/config/${c.id}/test`,
    });
    expectProblem(res, 502, 'PROVIDER_ERROR');
    const after = await h.call(ws.apiKey, { method: 'GET', url: `${base}/sync/config/${c.id}` });
    expect(after.json<{ health: { lastTestOk: boolean } }>().health.lastTestOk).toBe(false);
  });

  it('webhook endpoint: registered at the simulator, secret stored, idempotent', async () => {
    const c = await createConnection({ webhookSecret: undefined });
    const url = `https://hooks.example.com${c.webhookPath}`;
    const first = await h.call(ws.apiKey, {
      method: 'POST',
      url: `${base}/sync/config/${c.id}/webhook-endpoint`,
      payload: { url },
    });
    expect(first.statusCode).toBe(200);
    const one = first.json<{ endpointId: string; created: boolean; secretStored: boolean }>();
    expect(one).toMatchObject({ created: true, secretStored: true, url });
    expect(first.body).not.toContain('whsec_');

    const second = await h.call(ws.apiKey, {
      method: 'POST',
      url: `${base}/sync/config/${c.id}/webhook-endpoint`,
      payload: { url },
    });
    expect(second.json()).toMatchObject({
      endpointId: one.endpointId,
      created: false,
      secretStored: false,
    });
    const endpoints = h.sim.webhookEndpoints().filter((e) => e.url === url);
    expect(endpoints).toHaveLength(1);
    const stored = await h.app.diContainer.cradle.connectionRepository.getDecrypted(ws.id, c.id);
    expect(stored.webhookSecrets).toEqual([endpoints[0]?.secret]);
    expect(stored.webhookEndpointId).toBe(one.endpointId);
  });
});

describe('sync control', () => {
  it('starts a session (202), publishes the command, refuses a second (409), cancels', async () => {
    const probe = await TopicProbe.start(
      h.app.diContainer.cradle.kafka,
      topicName(TOPICS.syncCommand, h.env.KAFKA_TOPIC_PREFIX ?? ''),
    );
    try {
      const w = await h.createWorkspace('sync');
      const wBase = `/api/v1/workspaces/${w.id}`;
      const conn = await h.call(w.apiKey, {
        method: 'POST',
        url: `${wBase}/sync/config`,
        payload: { provider: 'stripe', apiKey: API_KEY, settings: { apiBaseUrl: h.simUrl } },
      });
      const connectionId = conn.json<{ id: string }>().id;
      const start = await h.call(w.apiKey, {
        method: 'POST',
        url: `${wBase}/sync/stripe/initial`,
        payload: { entityTypes: ['price', 'customer', 'product'] },
      });
      expect(start.statusCode).toBe(202);
      const { sessionId, entityTypes } = start.json<{ sessionId: string; entityTypes: string[] }>();
      expect(entityTypes).toEqual(['customer', 'product', 'price']);
      expect(start.headers.location).toBe(`${wBase}/sync/sessions/${sessionId}`);

      await eventually(() => {
        const m = probe.messages.find(
          (x) => (x.envelope.payload as { sessionId?: string }).sessionId === sessionId,
        );
        expect(m?.envelope.payload).toEqual({
          kind: 'start',
          sessionId,
          workspaceId: w.id,
          configurationId: connectionId,
          provider: 'stripe',
          entityTypes: ['customer', 'product', 'price'],
          requestedBy: `api_key:${w.apiKeyId}`,
        });
        expect(m?.key).toBe(connectionId);
        return true;
      });

      const again = await h.call(w.apiKey, {
        method: 'POST',
        url: `${wBase}/sync/stripe/initial`,
        payload: {},
      });
      const problem = expectProblem(again, 409, 'SYNC_SESSION_ACTIVE');
      expect(problem).not.toHaveProperty('details');

      const session = await h.call(w.apiKey, {
        method: 'GET',
        url: `${wBase}/sync/sessions/${sessionId}`,
      });
      expect(session.json()).toMatchObject({
        id: sessionId,
        status: 'pending',
        configurationId: connectionId,
        progress: { customer: { fetched: 0, written: 0 } },
      });

      // A connection with a session cannot be deleted.
      expectProblem(
        await h.call(w.apiKey, { method: 'DELETE', url: `${wBase}/sync/config/${connectionId}` }),
        409,
        'SYNC_SESSION_ACTIVE',
      );

      const cancel = await h.call(w.apiKey, {
        method: 'POST',
        url: `${wBase}/sync/sessions/${sessionId}/cancel`,
      });
      expect(cancel.statusCode).toBe(202);
      expect(cancel.json()).toMatchObject({ status: 'cancelled' });
      expectProblem(
        await h.call(w.apiKey, {
          method: 'POST',
          url: `${wBase}/sync/sessions/${sessionId}/cancel`,
        }),
        409,
        'SYNC_SESSION_FINISHED',
      );
      await eventually(() =>
        probe.messages.some(
          (x) =>
            (x.envelope.payload as { kind?: string; sessionId?: string }).kind === 'cancel' &&
            (x.envelope.payload as { sessionId?: string }).sessionId === sessionId,
        ),
      );
    } finally {
      await probe.stop();
    }
  }, 60_000);

  it('concurrent starts create exactly one session', async () => {
    const w = await h.createWorkspace('race');
    const wBase = `/api/v1/workspaces/${w.id}`;
    await h.call(w.apiKey, {
      method: 'POST',
      url: `${wBase}/sync/config`,
      payload: { provider: 'stripe', apiKey: API_KEY },
    });
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        h.call(w.apiKey, { method: 'POST', url: `${wBase}/sync/stripe/initial` }),
      ),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([202, 409, 409, 409, 409]);
    expect(await h.prisma.paymentSyncSession.count({ where: { workspaceId: w.id } })).toBe(1);
  }, 30_000);

  it('without a connection: 404; with two: 409 until one is named', async () => {
    const w = await h.createWorkspace('two');
    const wBase = `/api/v1/workspaces/${w.id}`;
    expectProblem(
      await h.call(w.apiKey, { method: 'POST', url: `${wBase}/sync/stripe/initial` }),
      404,
      'NOT_FOUND',
    );
    const ids: string[] = [];
    for (const mode of ['test', 'live'] as const) {
      const r = await h.call(w.apiKey, {
        method: 'POST',
        url: `${wBase}/sync/config`,
        payload: { provider: 'stripe', apiKey: `sk_${mode}_abcdefgh12345`, mode },
      });
      ids.push(r.json<{ id: string }>().id);
    }
    expectProblem(
      await h.call(w.apiKey, { method: 'POST', url: `${wBase}/sync/stripe/initial` }),
      409,
      'CONNECTION_AMBIGUOUS',
    );
    const named = await h.call(w.apiKey, {
      method: 'POST',
      url: `${wBase}/sync/stripe/initial`,
      payload: { configurationId: ids[1] },
    });
    expect(named.statusCode).toBe(202);
  });

  it('lists sessions newest first with cursor paging and filters', async () => {
    const w = await h.createWorkspace('paging');
    const wBase = `/api/v1/workspaces/${w.id}`;
    const conn = await h.call(w.apiKey, {
      method: 'POST',
      url: `${wBase}/sync/config`,
      payload: { provider: 'stripe', apiKey: API_KEY },
    });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const s = await h.call(w.apiKey, { method: 'POST', url: `${wBase}/sync/stripe/initial` });
      const { sessionId } = s.json<{ sessionId: string }>();
      ids.push(sessionId);
      await h.call(w.apiKey, { method: 'POST', url: `${wBase}/sync/sessions/${sessionId}/cancel` });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await h.call(w.apiKey, {
        method: 'GET',
        url: `${wBase}/sync/sessions?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      });
      const body = page.json<{ data: { id: string }[]; nextCursor: string | null }>();
      seen.push(...body.data.map((s) => s.id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const filtered = await h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/sync/sessions?status=completed&configurationId=${conn.json<{ id: string }>().id}`,
    });
    expect(filtered.json<{ data: unknown[] }>().data).toEqual([]);
    expectProblem(
      await h.call(w.apiKey, { method: 'GET', url: `${wBase}/sync/sessions?cursor=garbage` }),
      400,
      'VALIDATION_FAILED',
    );
  }, 30_000);

  it('lists providers with capabilities', async () => {
    const res = await h.call(ws.apiKey, { method: 'GET', url: `${base}/sync/providers` });
    const providers = res.json<{ data: { name: string; supported: boolean }[] }>().data;
    expect(providers).toEqual([
      expect.objectContaining({ name: 'stripe', supported: true }),
      expect.objectContaining({ name: 'chargebee', supported: false, capabilities: null }),
    ]);
  });
});

describe('sync recovery', () => {
  it('lists failed sessions as recoverable; resume publishes a command, restart links a new session', async () => {
    const probe = await TopicProbe.start(
      h.app.diContainer.cradle.kafka,
      topicName(TOPICS.syncCommand, h.env.KAFKA_TOPIC_PREFIX ?? ''),
    );
    try {
      const w = await h.createWorkspace('recover');
      const wBase = `/api/v1/workspaces/${w.id}`;
      await h.call(w.apiKey, {
        method: 'POST',
        url: `${wBase}/sync/config`,
        payload: { provider: 'stripe', apiKey: API_KEY },
      });
      const start = await h.call(w.apiKey, {
        method: 'POST',
        url: `${wBase}/sync/stripe/initial`,
        payload: { entityTypes: ['customer', 'invoice'] },
      });
      const { sessionId } = start.json<{ sessionId: string }>();
      // Still pending and fresh: not recoverable.
      expectProblem(
        await h.call(w.apiKey, {
          method: 'POST',
          url: `${wBase}/sync/recover`,
          payload: { sessionId, mode: 'resume' },
        }),
        409,
        'CONFLICT',
      );
      // What the sync-runner records when a provider error ends a session.
      await h.prisma.paymentSyncSession.update({
        where: { id: sessionId },
        data: { status: 'failed', error: { code: 'PROVIDER_ERROR', message: 'boom' } },
      });
      const listed = await h.call(w.apiKey, { method: 'GET', url: `${wBase}/sync/recoverable` });
      expect(listed.json<{ data: { id: string; reason: string }[] }>().data).toEqual([
        expect.objectContaining({ id: sessionId, reason: 'failed', status: 'failed' }),
      ]);

      const resume = await h.call(w.apiKey, {
        method: 'POST',
        url: `${wBase}/sync/recover`,
        payload: { sessionId, mode: 'resume', reason: 'provider fixed' },
      });
      expect(resume.statusCode).toBe(202);
      expect(resume.json()).toEqual({ sessionId, parentSessionId: null, mode: 'resume' });
      await eventually(() =>
        probe.messages.some(
          (m) =>
            (m.envelope.payload as { kind?: string; sessionId?: string }).kind === 'resume' &&
            (m.envelope.payload as { sessionId?: string }).sessionId === sessionId,
        ),
      );

      const restart = await h.call(w.apiKey, {
        method: 'POST',
        url: `${wBase}/sync/recover`,
        payload: { sessionId, mode: 'restart', entityTypes: ['invoice'] },
      });
      expect(restart.statusCode).toBe(202);
      const child = restart.json<{ sessionId: string; parentSessionId: string }>();
      expect(child.parentSessionId).toBe(sessionId);
      const childSession = await h.call(w.apiKey, {
        method: 'GET',
        url: `${wBase}/sync/sessions/${child.sessionId}`,
      });
      expect(childSession.json()).toMatchObject({
        parentSessionId: sessionId,
        status: 'pending',
        entityTypes: ['invoice'],
      });
      // Restarted: no longer listed, and not restartable twice.
      const after = await h.call(w.apiKey, { method: 'GET', url: `${wBase}/sync/recoverable` });
      expect(after.json<{ data: unknown[] }>().data).toEqual([]);
      const audit = await h.prisma.auditLog.findFirst({
        where: { workspaceId: w.id, action: { endsWith: '/sync/recover' }, statusCode: 202 },
      });
      expect(audit?.details).toMatchObject({ mode: 'resume', reason: 'provider fixed' });
    } finally {
      await probe.stop();
    }
  }, 60_000);

  it('a completed session is not recoverable', async () => {
    const w = await h.createWorkspace('recover-done');
    const wBase = `/api/v1/workspaces/${w.id}`;
    await h.call(w.apiKey, {
      method: 'POST',
      url: `${wBase}/sync/config`,
      payload: { provider: 'stripe', apiKey: API_KEY },
    });
    const { sessionId } = (
      await h.call(w.apiKey, { method: 'POST', url: `${wBase}/sync/stripe/initial` })
    ).json<{ sessionId: string }>();
    await h.prisma.paymentSyncSession.update({
      where: { id: sessionId },
      data: { status: 'completed' },
    });
    expectProblem(
      await h.call(w.apiKey, {
        method: 'POST',
        url: `${wBase}/sync/recover`,
        payload: { sessionId, mode: 'restart' },
      }),
      409,
      'SYNC_SESSION_FINISHED',
    );
  });
});

describe('input PostgreSQL cannot store', () => {
  it('a NUL character in a body, query or path string is a 400 naming the field', async () => {
    const w = await h.createWorkspace('nul');
    const body = expectProblem(
      await h.call(w.apiKey, {
        method: 'POST',
        url: `/api/v1/workspaces/${w.id}/api-keys`,
        payload: { name: 'a\u0000b' },
      }),
      400,
      'VALIDATION_FAILED',
    ) as unknown as { errors: { path: string }[] };
    expect(body.errors.map((e) => e.path)).toEqual(['body/name']);
    const query = expectProblem(
      await h.call(w.apiKey, {
        method: 'GET',
        url: `/api/v1/workspaces/${w.id}/webhooks/events?type=a%00b`,
      }),
      400,
      'VALIDATION_FAILED',
    ) as unknown as { errors: { path: string }[] };
    expect(query.errors.map((e) => e.path)).toEqual(['querystring/type']);
    const keys = await h.call(w.apiKey, {
      method: 'GET',
      url: `/api/v1/workspaces/${w.id}/api-keys`,
    });
    expect(keys.json<{ data: unknown[] }>().data).toHaveLength(1); // only the first key
  });
});

describe('reconciliation and recovery health', () => {
  it('queues one reconciliation per connection, audits it, and reports it; bad input is a 400', async () => {
    const w = await h.createWorkspace('reconcile');
    const wBase = `/api/v1/workspaces/${w.id}`;
    expectProblem(
      await h.call(w.apiKey, {
        method: 'POST',
        url: `${wBase}/sync/reconcile`,
        payload: { provider: 'stripe' },
      }),
      404,
      'NOT_FOUND',
    ); // no connection yet
    await h.call(w.apiKey, {
      method: 'POST',
      url: `${wBase}/sync/config`,
      payload: { provider: 'stripe', apiKey: API_KEY, settings: { reconcileIntervalMinutes: 60 } },
    });
    const bad = expectProblem(
      await h.call(w.apiKey, {
        method: 'POST',
        url: `${wBase}/sync/reconcile`,
        payload: { provider: 'stripe', entityTypes: ['coupon'], repair: 'yes' },
      }),
      400,
      'VALIDATION_FAILED',
    ) as unknown as { errors: { path: string }[] };
    expect([...new Set(bad.errors.map((e) => e.path))].sort()).toEqual([
      'body/entityTypes/0',
      'body/repair',
    ]);

    const res = await h.call(w.apiKey, {
      method: 'POST',
      url: `${wBase}/sync/reconcile`,
      payload: { provider: 'stripe', entityTypes: ['price', 'customer'], repair: true },
    });
    expect(res.statusCode).toBe(202);
    const { reconciliationId } = res.json<{ reconciliationId: string }>();
    expect(res.headers.location).toBe(`${wBase}/sync/reconciliations/${reconciliationId}`);
    expectProblem(
      await h.call(w.apiKey, {
        method: 'POST',
        url: `${wBase}/sync/reconcile`,
        payload: { provider: 'stripe' },
      }),
      409,
      'RECONCILIATION_ACTIVE',
    );
    const run = await h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/sync/reconciliations/${reconciliationId}`,
    });
    expect(run.json()).toMatchObject({
      id: reconciliationId,
      status: 'pending',
      repair: true,
      trigger: 'manual',
      entityTypes: ['customer', 'price'], // dependency order
      report: {},
      totals: { missing: 0, stale: 0, deleted: 0, repaired: 0 },
    });
    const audit = await h.prisma.auditLog.findFirst({
      where: { workspaceId: w.id, action: { endsWith: '/sync/reconcile' }, statusCode: 202 },
    });
    expect(audit?.details).toMatchObject({ repair: true });
    // The connection's schedule does not add a second one while this one is pending.
    const { ReconciliationRepository } = await import('@paysync/db');
    await new ReconciliationRepository({ prisma: h.prisma }).scheduleDue();
    expect(await h.prisma.reconciliationRun.count({ where: { workspaceId: w.id } })).toBe(1);
  });

  it('a connection’s schedule creates a reconciliation when one is due, once', async () => {
    const w = await h.createWorkspace('reconcile-schedule');
    const conn = (
      await h.call(w.apiKey, {
        method: 'POST',
        url: `/api/v1/workspaces/${w.id}/sync/config`,
        payload: {
          provider: 'stripe',
          apiKey: API_KEY,
          settings: { reconcileIntervalMinutes: 15, reconcileRepair: true },
        },
      })
    ).json<{ id: string }>();
    const { ReconciliationRepository } = await import('@paysync/db');
    const repo = new ReconciliationRepository({ prisma: h.prisma });
    await repo.scheduleDue();
    await repo.scheduleDue();
    const runs = await h.prisma.reconciliationRun.findMany({ where: { workspaceId: w.id } });
    expect(runs).toEqual([
      expect.objectContaining({
        configurationId: conn.id,
        trigger: 'schedule',
        repair: true,
        status: 'pending',
        requestedBy: 'recovery',
      }),
    ]);
    // Finished 20 minutes ago: due again.
    await h.prisma.reconciliationRun.updateMany({
      where: { workspaceId: w.id },
      data: { status: 'completed', createdAt: new Date(Date.now() - 20 * 60_000) },
    });
    await repo.scheduleDue();
    expect(await h.prisma.reconciliationRun.count({ where: { workspaceId: w.id } })).toBe(2);
  });

  it('reports the recovery loops and the DLQ consumer lag', async () => {
    const w = await h.createWorkspace('recovery-health');
    await h.prisma.recoveryHeartbeat.upsert({
      where: { component: 'redrive' },
      create: { component: 'redrive', lastSuccessAt: new Date(), details: { redriven: 2 } },
      update: { lastSuccessAt: new Date(), lastFailureAt: null, details: { redriven: 2 } },
    });
    const res = await h.call(w.apiKey, {
      method: 'GET',
      url: `/api/v1/workspaces/${w.id}/error-recovery/health`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      dlqConsumer: {
        lag: 0,
        error: null,
        topic: expect.stringMatching(/billing\.webhook\.dlq\.v1$/),
      },
      components: expect.arrayContaining([
        expect.objectContaining({ name: 'redrive', healthy: true, details: { redriven: 2 } }),
      ]),
      redrives: { waiting: 0, redriven: 0, resolved: 0, dead: 0 },
    });
  });
});

describe('event log and read API', () => {
  let w: { id: string; apiKey: string };
  let wBase: string;
  beforeAll(async () => {
    w = await h.createWorkspace('data');
    wBase = `/api/v1/workspaces/${w.id}`;
    const ctx = { workspaceId: w.id, source: 'webhook' as const };
    const objects = [
      stripeFixture('customer', { id: 'cus_read1', email: 'read@example.com', name: 'Reader' }),
      stripeFixture('product', { id: 'prod_read1', name: 'Gold', active: true }),
      stripeFixture('price', { id: 'price_read1', product: 'prod_read1' }),
      stripeFixture('subscription', { id: 'sub_read1', customer: 'cus_read1' }),
      stripeFixture('invoice', { id: 'in_read1', customer: 'cus_read1' }),
      stripeFixture('payment_intent', { id: 'pi_read1', customer: 'cus_read1' }),
    ];
    const changes = objects.map((o, i) => {
      const c = stripeObjectToChange(o, { version: 1_764_000_000_000 + i, ctx });
      if (!c) throw new Error('unmapped fixture');
      return c;
    });
    const deleted = stripeObjectToChange(
      { id: 'cus_gone', object: 'customer', deleted: true },
      { version: 1_764_000_000_000, ctx },
    );
    const events = Array.from({ length: 7 }, (_, i) =>
      anEvent({
        workspaceId: w.id,
        eventType: i % 2 ? 'customer.updated' : 'invoice.paid',
        objectId: `obj_${i}`,
        payload: { id: `evt_${i}`, object: 'event', secretish: 'payload-marker' },
      }),
    );
    await new SyncWriteRepository({ prisma: h.prisma }).applyChanges([...changes, deleted!], {
      events,
    });
  });

  it.each([
    ['customers', { externalId: 'cus_read1', email: 'read@example.com', name: 'Reader' }],
    ['products', { externalId: 'prod_read1', name: 'Gold', active: true }],
    ['prices', { externalId: 'price_read1', productExternalId: 'prod_read1' }],
    ['subscriptions', { externalId: 'sub_read1', customerExternalId: 'cus_read1' }],
    ['invoices', { externalId: 'in_read1', customerExternalId: 'cus_read1' }],
    ['payment-transactions', { externalId: 'pi_read1', kind: 'payment_intent' }],
  ])('%s: list, filter, get', async (collection, expected) => {
    const list = await h.call(w.apiKey, { method: 'GET', url: `${wBase}/${collection}` });
    expect(list.statusCode).toBe(200);
    const items = list.json<{ data: Record<string, unknown>[] }>().data;
    expect(items).toHaveLength(1);
    const item = items[0]!;
    expect(item).toMatchObject({
      provider: 'stripe',
      livemode: false,
      deletedAt: null,
      syncedVia: 'webhook',
      ...expected,
    });
    for (const field of ['id', 'createdAt', 'updatedAt', 'sourceVersion']) {
      expect(item[field]).toBeDefined();
    }
    const one = await h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/${collection}/${String(item.id)}`,
    });
    expect(one.json()).toEqual(item);
    const none = await h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/${collection}?externalId=nope&provider=stripe`,
    });
    expect(none.json<{ data: unknown[] }>().data).toEqual([]);
    const later = await h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/${collection}?updatedSince=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
    });
    expect(later.json<{ data: unknown[] }>().data).toEqual([]);
  });

  it('subscription items and payment amounts have their canonical shape', async () => {
    const sub = (await h.call(w.apiKey, { method: 'GET', url: `${wBase}/subscriptions` })).json<{
      data: { items: { priceExternalId: string; quantity: number }[]; status: string }[];
    }>().data[0]!;
    expect(sub.items.length).toBeGreaterThan(0);
    expect(sub.items[0]).toEqual(
      expect.objectContaining({
        priceExternalId: expect.any(String),
        quantity: expect.any(Number),
      }),
    );
    const pi = (
      await h.call(w.apiKey, { method: 'GET', url: `${wBase}/payment-transactions` })
    ).json<{ data: { amount: number; currency: string }[] }>().data[0]!;
    expect(typeof pi.amount).toBe('number');
    expect(pi.currency).toMatch(/^[a-z]{3}$/);
  });

  it('deleted rows only with includeDeleted', async () => {
    const without = await h.call(w.apiKey, { method: 'GET', url: `${wBase}/customers` });
    expect(without.body).not.toContain('cus_gone');
    const withDeleted = await h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/customers?includeDeleted=true`,
    });
    const gone = withDeleted
      .json<{ data: { externalId: string; deletedAt: string | null }[] }>()
      .data.find((c) => c.externalId === 'cus_gone');
    expect(gone?.deletedAt).toEqual(expect.any(String));
  });

  it('events: filters, cursor paging, payload only on request', async () => {
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await h.call(w.apiKey, {
        method: 'GET',
        url: `${wBase}/webhooks/events?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      });
      const body = page.json<{ data: { id: string }[]; nextCursor: string | null }>();
      all.push(...body.data.map((e) => e.id));
      cursor = body.nextCursor;
      expect(page.body).not.toContain('payload-marker');
    } while (cursor);
    expect(all).toHaveLength(7);
    expect(new Set(all).size).toBe(7);

    const paid = await h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/webhooks/events?type=invoice.paid&provider=stripe`,
    });
    const paidEvents = paid.json<{ data: { type: string; status: string }[] }>().data;
    expect(paidEvents).toHaveLength(4);
    expect(paidEvents.every((e) => e.type === 'invoice.paid')).toBe(true);
    const status = paidEvents[0]!.status;
    const byStatus = await h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/webhooks/events?status=${status}&type=invoice.paid`,
    });
    expect(byStatus.json<{ data: { status: string }[] }>().data.map((e) => e.status)).toEqual(
      paidEvents.filter((e) => e.status === status).map(() => status),
    );
    const otherStatus = status === 'dead' ? 'processed' : 'dead';
    const noneByStatus = await h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/webhooks/events?status=${otherStatus}`,
    });
    expect(noneByStatus.json<{ data: unknown[] }>().data).toEqual([]);

    const byObject = await h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/webhooks/events?objectId=obj_3`,
    });
    expect(byObject.json<{ data: unknown[] }>().data).toHaveLength(1);

    const future = new Date(Date.now() + 60_000).toISOString();
    const none = await h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/webhooks/events?receivedFrom=${encodeURIComponent(future)}`,
    });
    expect(none.json<{ data: unknown[] }>().data).toEqual([]);
    expectProblem(
      await h.call(w.apiKey, {
        method: 'GET',
        url: `${wBase}/webhooks/events?receivedFrom=${encodeURIComponent(future)}&receivedTo=2020-01-01T00:00:00Z`,
      }),
      400,
      'VALIDATION_FAILED',
    );

    const id = all[0]!;
    const plain = await h.call(w.apiKey, { method: 'GET', url: `${wBase}/webhooks/events/${id}` });
    expect(plain.json()).toMatchObject({ id, attempts: 1, lastError: null });
    expect(plain.json()).not.toHaveProperty('payload');
    const withPayload = await h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/webhooks/events/${id}?includePayload=true`,
    });
    expect(withPayload.json<{ payload: { secretish: string } }>().payload.secretish).toBe(
      'payload-marker',
    );
  });

  it('failed view and dead-letter stats come from the event log', async () => {
    const writes = new SyncWriteRepository({ prisma: h.prisma });
    const failure = (status: 'failed' | 'dead', errorClass: string, eventType: string) => ({
      event: anEvent({ workspaceId: w.id, eventType }),
      status,
      attempt: status === 'dead' ? 3 : 1,
      errorClass,
      message: `${errorClass} happened`,
    });
    await writes.recordFailures([
      failure('dead', 'PROVIDER_UNAVAILABLE', 'invoice.paid'),
      failure('dead', 'PROVIDER_UNAVAILABLE', 'customer.updated'),
      failure('dead', 'MESSAGE_INVALID', 'invoice.paid'),
      failure('failed', 'DB_UNAVAILABLE', 'invoice.paid'),
    ]);
    const failed = await h.call(w.apiKey, { method: 'GET', url: `${wBase}/webhooks/failed` });
    const rows = failed.json<{ data: { status: string; errorClass: string; attempts: number }[] }>()
      .data;
    expect(rows.map((r) => r.status).sort()).toEqual(['dead', 'dead', 'dead', 'failed']);
    const dead = await h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/webhooks/failed?status=dead&errorClass=PROVIDER_UNAVAILABLE`,
    });
    expect(dead.json<{ data: { attempts: number; lastError: string }[] }>().data).toEqual([
      expect.objectContaining({ attempts: 3, lastError: 'PROVIDER_UNAVAILABLE happened' }),
      expect.objectContaining({ attempts: 3 }),
    ]);
    const stats = await h.call(w.apiKey, { method: 'GET', url: `${wBase}/dlq/stats` });
    expect(stats.json()).toEqual({
      dead: 3,
      failed: 1,
      oldestDeadAgeSeconds: expect.any(Number),
      byErrorClass: [
        { errorClass: 'PROVIDER_UNAVAILABLE', count: 2 },
        { errorClass: 'MESSAGE_INVALID', count: 1 },
      ],
      byEventType: [
        { type: 'invoice.paid', count: 2 },
        { type: 'customer.updated', count: 1 },
      ],
      autoRetry: { waiting: 0, redriven: 0, resolved: 0, exhausted: 0 },
    });
  });

  it('limits are capped and validated', async () => {
    const tooBig = await h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/customers?limit=100000`,
    });
    expectProblem(tooBig, 400, 'VALIDATION_FAILED');
    const capped = await h.call(w.apiKey, { method: 'GET', url: `${wBase}/customers?limit=1000` });
    expect(capped.statusCode).toBe(200);
    const wrongCursor = await h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/customers?cursor=${Buffer.from('["events","2020-01-01T00:00:00.000Z","x"]').toString('base64url')}`,
    });
    expectProblem(wrongCursor, 400, 'VALIDATION_FAILED');
    const forged = await h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/customers?cursor=${Buffer.from('["customers","2020-01-01T00:00:00.000Z","not-a-uuid"]').toString('base64url')}`,
    });
    expectProblem(forged, 400, 'VALIDATION_FAILED');
  });
});

describe('audit trail and secrets', () => {
  it('every mutating call is audited with actor, action and status, without secrets', async () => {
    const c = await createConnection();
    await h.call(ws.apiKey, {
      method: 'PUT',
      url: `${base}/sync/config/${c.id}`,
      payload: { apiKey: 'sk_test_51RotatedSecretKey0002' },
    });
    const rows = await h.prisma.auditLog.findMany({
      where: { workspaceId: ws.id },
      orderBy: { id: 'asc' },
    });
    const create = rows.find(
      (r) =>
        r.resourceId === c.id && r.action === 'POST /api/v1/workspaces/:workspaceId/sync/config',
    );
    expect(create).toMatchObject({
      actor: `api_key:${ws.apiKeyId}`,
      resourceType: 'connection',
      statusCode: 201,
    });
    const update = rows.find((r) => r.resourceId === c.id && r.action.startsWith('PUT '));
    expect(update).toMatchObject({ statusCode: 200, details: { fields: ['apiKey'] } });
    const workspaceCreate = rows.find((r) => r.action === 'POST /api/v1/workspaces');
    expect(workspaceCreate).toMatchObject({ actor: 'admin', resourceId: ws.id, statusCode: 201 });
    // Rejected mutations are audited too.
    await h.call(ws.apiKey, {
      method: 'POST',
      url: `${base}/sync/config`,
      payload: { provider: 'stripe', apiKey: 'sk_test_x' },
    });
    const rejected = await h.prisma.auditLog.findFirst({
      where: { workspaceId: ws.id, statusCode: 400 },
    });
    expect(rejected).not.toBeNull();

    const all = JSON.stringify(await h.prisma.auditLog.findMany(), (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v,
    );
    expect(all).not.toMatch(/sk_test_|whsec_|psk_/);

    const viaApi = await h.call(ws.apiKey, { method: 'GET', url: `${base}/audit-log?limit=5` });
    expect(viaApi.statusCode).toBe(200);
    expect(viaApi.json<{ data: unknown[]; nextCursor: string }>().data).toHaveLength(5);
  });

  it('no secret appears in any log line', async () => {
    const secrets = [
      API_KEY,
      WHSEC,
      'sk_test_51RotatedSecretKey0002',
      'whsec_mgmtApiSigningSecret0002',
      ws.apiKey,
      h.env.ADMIN_API_TOKEN!,
    ];
    expect(h.logs.length).toBeGreaterThan(20);
    for (const line of h.logs) {
      for (const secret of secrets) expect(line).not.toContain(secret);
    }
    // The authorization header never reaches the log, even at debug level.
    expect(h.logs.some((l) => l.includes('"authorization"'))).toBe(false);
  });
});

describe('documentation', () => {
  it('serves the OpenAPI document and a docs page without authentication', async () => {
    const doc = await h.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(doc.statusCode).toBe(200);
    const page = await h.app.inject({ method: 'GET', url: '/api/v1/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('/api/v1/workspaces/{workspaceId}/sync/config');
  });
});
