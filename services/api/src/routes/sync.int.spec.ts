import type { LightMyRequestResponse } from 'fastify';

import { TOPICS } from '@paysync/contracts';
import { topicName } from '@paysync/kafka';
import { TopicProbe } from '@paysync/kafka/testing';
import { eventually } from '@paysync/testkit';

import {
  API_KEY,
  apiHarness,
  expectProblem,
  pageThrough,
  type TestWorkspace,
} from '../testing/management-api.js';

const t = apiHarness();

/** A new workspace with one Stripe connection; returns it, its URL base and the connection id. */
async function workspaceWithConnection(name: string, settings?: Record<string, unknown>) {
  const w = await t.h.createWorkspace(name);
  const wBase = `/api/v1/workspaces/${w.id}`;
  const conn = await t.h.call(w.apiKey, {
    method: 'POST',
    url: `${wBase}/sync/config`,
    payload: { provider: 'stripe', apiKey: API_KEY, ...(settings && { settings }) },
  });
  return { w, wBase, connectionId: conn.json<{ id: string }>().id };
}

/** Reads the sync command topic from now on. */
function syncCommandProbe() {
  return TopicProbe.start(
    t.h.app.diContainer.cradle.kafka,
    topicName(TOPICS.syncCommand, t.h.env.KAFKA_TOPIC_PREFIX ?? ''),
  );
}

type Command = { kind?: string; sessionId?: string };

/** Whether `probe` has read a `kind` command for the session. */
function commandSeen(probe: TopicProbe, kind: string, sessionId: string): boolean {
  return probe.messages.some((message) => {
    const command = message.envelope.payload as Command;
    return command.kind === kind && command.sessionId === sessionId;
  });
}

describe('a session: start, read, cancel', () => {
  let probe: TopicProbe;
  let w: TestWorkspace;
  let wBase: string;
  let connectionId: string;
  let start: LightMyRequestResponse;
  let sessionId: string;

  beforeAll(async () => {
    probe = await syncCommandProbe();
    ({ w, wBase, connectionId } = await workspaceWithConnection('sync', {
      apiBaseUrl: t.h.simUrl,
    }));
    start = await t.h.call(w.apiKey, {
      method: 'POST',
      url: `${wBase}/sync/stripe/initial`,
      payload: { entityTypes: ['price', 'customer', 'product'] },
    });
    sessionId = start.json<{ sessionId: string }>().sessionId;
  }, 60_000);
  afterAll(async () => probe?.stop());

  it('start is 202 with the entity types in dependency order and the session’s location', () => {
    expect(start.statusCode).toBe(202);
    const { entityTypes } = start.json<{ sessionId: string; entityTypes: string[] }>();
    expect(entityTypes).toEqual(['customer', 'product', 'price']);
    expect(start.headers.location).toBe(`${wBase}/sync/sessions/${sessionId}`);
  });

  it('start publishes a start command keyed by the connection', async () => {
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
  });

  it('a second start while one is pending is 409 SYNC_SESSION_ACTIVE, without details', async () => {
    const again = await t.h.call(w.apiKey, {
      method: 'POST',
      url: `${wBase}/sync/stripe/initial`,
      payload: {},
    });
    const problem = expectProblem(again, 409, 'SYNC_SESSION_ACTIVE');
    expect(problem).not.toHaveProperty('details');
  });

  it('the session reads as pending, with zeroed progress per entity type', async () => {
    const session = await t.h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/sync/sessions/${sessionId}`,
    });
    expect(session.json()).toMatchObject({
      id: sessionId,
      status: 'pending',
      configurationId: connectionId,
      progress: { customer: { fetched: 0, written: 0 } },
    });
  });

  it('a connection with a session cannot be deleted (409)', async () => {
    expectProblem(
      await t.h.call(w.apiKey, { method: 'DELETE', url: `${wBase}/sync/config/${connectionId}` }),
      409,
      'SYNC_SESSION_ACTIVE',
    );
  });

  it('cancel is 202 with the cancelled session', async () => {
    const cancel = await t.h.call(w.apiKey, {
      method: 'POST',
      url: `${wBase}/sync/sessions/${sessionId}/cancel`,
    });
    expect(cancel.statusCode).toBe(202);
    expect(cancel.json()).toMatchObject({ status: 'cancelled' });
  });

  it('cancelling a finished session is 409 SYNC_SESSION_FINISHED', async () => {
    expectProblem(
      await t.h.call(w.apiKey, {
        method: 'POST',
        url: `${wBase}/sync/sessions/${sessionId}/cancel`,
      }),
      409,
      'SYNC_SESSION_FINISHED',
    );
  });

  it('cancel publishes a cancel command', async () => {
    await eventually(() => commandSeen(probe, 'cancel', sessionId));
  });
});

it('concurrent starts create exactly one session', async () => {
  const { w, wBase } = await workspaceWithConnection('race');
  const results = await Promise.all(
    Array.from({ length: 5 }, () =>
      t.h.call(w.apiKey, { method: 'POST', url: `${wBase}/sync/stripe/initial` }),
    ),
  );
  expect(results.map((r) => r.statusCode).sort()).toEqual([202, 409, 409, 409, 409]);
  expect(await t.h.prisma.paymentSyncSession.count({ where: { workspaceId: w.id } })).toBe(1);
}, 30_000);

describe('which connection a start uses', () => {
  let w: TestWorkspace;
  let wBase: string;
  const ids: string[] = [];
  const startSync = (payload?: Record<string, unknown>) =>
    t.h.call(w.apiKey, { method: 'POST', url: `${wBase}/sync/stripe/initial`, payload });
  beforeAll(async () => {
    w = await t.h.createWorkspace('two');
    wBase = `/api/v1/workspaces/${w.id}`;
  });

  it('without a connection, start is 404', async () => {
    expectProblem(await startSync(), 404, 'NOT_FOUND');
  });

  it('with two connections, start is 409 CONNECTION_AMBIGUOUS', async () => {
    for (const mode of ['test', 'live'] as const) {
      const r = await t.h.call(w.apiKey, {
        method: 'POST',
        url: `${wBase}/sync/config`,
        payload: { provider: 'stripe', apiKey: `sk_${mode}_abcdefgh12345`, mode },
      });
      ids.push(r.json<{ id: string }>().id);
    }
    expectProblem(await startSync(), 409, 'CONNECTION_AMBIGUOUS');
  });

  it('with two connections, naming one starts (202)', async () => {
    const named = await startSync({ configurationId: ids[1] });
    expect(named.statusCode).toBe(202);
  });
});

describe('session listing', () => {
  let w: TestWorkspace;
  let wBase: string;
  let connectionId: string;
  const ids: string[] = [];
  beforeAll(async () => {
    ({ w, wBase, connectionId } = await workspaceWithConnection('paging'));
    for (let i = 0; i < 5; i++) {
      const s = await t.h.call(w.apiKey, { method: 'POST', url: `${wBase}/sync/stripe/initial` });
      const { sessionId } = s.json<{ sessionId: string }>();
      ids.push(sessionId);
      await t.h.call(w.apiKey, {
        method: 'POST',
        url: `${wBase}/sync/sessions/${sessionId}/cancel`,
      });
    }
  }, 30_000);

  it('pages newest first with a cursor', async () => {
    const { ids: seen } = await pageThrough(t.h, w.apiKey, `${wBase}/sync/sessions?limit=2`);
    expect(seen).toEqual([...ids].reverse());
  });

  it('filters by status and connection', async () => {
    const filtered = await t.h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/sync/sessions?status=completed&configurationId=${connectionId}`,
    });
    expect(filtered.json<{ data: unknown[] }>().data).toEqual([]);
  });

  it('a garbage cursor is 400', async () => {
    expectProblem(
      await t.h.call(w.apiKey, { method: 'GET', url: `${wBase}/sync/sessions?cursor=garbage` }),
      400,
      'VALIDATION_FAILED',
    );
  });
});

it('lists providers with capabilities', async () => {
  const w = await t.h.createWorkspace('providers');
  const res = await t.h.call(w.apiKey, {
    method: 'GET',
    url: `/api/v1/workspaces/${w.id}/sync/providers`,
  });
  const providers = res.json<{ data: { name: string; supported: boolean }[] }>().data;
  // Chargebee is offered now (issue 17, "turn it on"); it was listed unsupported, without capabilities.
  expect(providers).toEqual([
    expect.objectContaining({ name: 'stripe', supported: true }),
    expect.objectContaining({
      name: 'chargebee',
      supported: true,
      capabilities: expect.objectContaining({
        webhookSetup: 'manual',
        defaultRateLimitPerSecond: { test: 2.5, live: 2.5 },
        rateBudget: {
          test: { requests: 150, perMs: 60_000, burst: 1 },
          live: { requests: 150, perMs: 60_000, burst: 1 },
        },
      }),
    }),
  ]);
});

describe('recovery: resume and restart', () => {
  let probe: TopicProbe;
  let w: TestWorkspace;
  let wBase: string;
  let sessionId: string;
  let child: { sessionId: string; parentSessionId: string };
  const recover = (payload: Record<string, unknown>) =>
    t.h.call(w.apiKey, { method: 'POST', url: `${wBase}/sync/recover`, payload });

  beforeAll(async () => {
    probe = await syncCommandProbe();
    ({ w, wBase } = await workspaceWithConnection('recover'));
    const start = await t.h.call(w.apiKey, {
      method: 'POST',
      url: `${wBase}/sync/stripe/initial`,
      payload: { entityTypes: ['customer', 'invoice'] },
    });
    sessionId = start.json<{ sessionId: string }>().sessionId;
  }, 60_000);
  afterAll(async () => probe?.stop());

  it('a pending, fresh session is not recoverable (409)', async () => {
    expectProblem(await recover({ sessionId, mode: 'resume' }), 409, 'CONFLICT');
  });

  it('a failed session is listed as recoverable', async () => {
    // What the sync-runner records when a provider error ends a session.
    await t.h.prisma.paymentSyncSession.update({
      where: { id: sessionId },
      data: { status: 'failed', error: { code: 'PROVIDER_ERROR', message: 'boom' } },
    });
    const listed = await t.h.call(w.apiKey, { method: 'GET', url: `${wBase}/sync/recoverable` });
    expect(listed.json<{ data: { id: string; reason: string }[] }>().data).toEqual([
      expect.objectContaining({ id: sessionId, reason: 'failed', status: 'failed' }),
    ]);
  });

  it('resume is 202 and publishes a resume command for the same session', async () => {
    const resume = await recover({ sessionId, mode: 'resume', reason: 'provider fixed' });
    expect(resume.statusCode).toBe(202);
    expect(resume.json()).toEqual({ sessionId, parentSessionId: null, mode: 'resume' });
    await eventually(() => commandSeen(probe, 'resume', sessionId));
  });

  it('restart is 202 with a new session linked to its parent', async () => {
    const restart = await recover({ sessionId, mode: 'restart', entityTypes: ['invoice'] });
    expect(restart.statusCode).toBe(202);
    child = restart.json();
    expect(child.parentSessionId).toBe(sessionId);
  });

  it('the restarted session is pending, with the entity types asked for', async () => {
    const childSession = await t.h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/sync/sessions/${child.sessionId}`,
    });
    expect(childSession.json()).toMatchObject({
      parentSessionId: sessionId,
      status: 'pending',
      entityTypes: ['invoice'],
    });
  });

  it('a restarted session is no longer listed as recoverable', async () => {
    const after = await t.h.call(w.apiKey, { method: 'GET', url: `${wBase}/sync/recoverable` });
    expect(after.json<{ data: unknown[] }>().data).toEqual([]);
  });

  it('recover is audited with its mode and reason', async () => {
    const audit = await t.h.prisma.auditLog.findFirst({
      where: { workspaceId: w.id, action: { endsWith: '/sync/recover' }, statusCode: 202 },
    });
    expect(audit?.details).toMatchObject({ mode: 'resume', reason: 'provider fixed' });
  });
});

it('a completed session is not recoverable', async () => {
  const { w, wBase } = await workspaceWithConnection('recover-done');
  const { sessionId } = (
    await t.h.call(w.apiKey, { method: 'POST', url: `${wBase}/sync/stripe/initial` })
  ).json<{ sessionId: string }>();
  await t.h.prisma.paymentSyncSession.update({
    where: { id: sessionId },
    data: { status: 'completed' },
  });
  expectProblem(
    await t.h.call(w.apiKey, {
      method: 'POST',
      url: `${wBase}/sync/recover`,
      payload: { sessionId, mode: 'restart' },
    }),
    409,
    'SYNC_SESSION_FINISHED',
  );
});
