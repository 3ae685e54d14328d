import { SyncWriteRepository } from '@paysync/db';
import { anEvent } from '@paysync/db/testing';

import {
  apiHarness,
  expectProblem,
  pageThrough,
  seedReadData,
  type TestWorkspace,
} from '../testing/management-api.js';

const t = apiHarness();

describe('the event log', () => {
  let w: TestWorkspace;
  let wBase: string;
  const list = async (query: string) =>
    (await t.h.call(w.apiKey, { method: 'GET', url: `${wBase}/webhooks/events?${query}` })).json<{
      data: { id: string; type: string; status: string }[];
    }>().data;

  beforeAll(async () => {
    w = await t.h.createWorkspace('data');
    wBase = `/api/v1/workspaces/${w.id}`;
    await seedReadData(t.h, w.id);
  });

  it('pages through every event with a cursor, without payloads', async () => {
    const { ids: all, pages } = await pageThrough(
      t.h,
      w.apiKey,
      `${wBase}/webhooks/events?limit=3`,
    );
    for (const page of pages) expect(page.body).not.toContain('payload-marker');
    expect(all).toHaveLength(7);
    expect(new Set(all).size).toBe(7);
  });

  it('filters by type and provider', async () => {
    const paidEvents = await list('type=invoice.paid&provider=stripe');
    expect(paidEvents).toHaveLength(4);
    expect(paidEvents.every((e) => e.type === 'invoice.paid')).toBe(true);
  });

  it('filters by status', async () => {
    const paidEvents = await list('type=invoice.paid&provider=stripe');
    const status = paidEvents[0]!.status;
    expect((await list(`status=${status}&type=invoice.paid`)).map((e) => e.status)).toEqual(
      paidEvents.filter((e) => e.status === status).map(() => status),
    );
    const otherStatus = status === 'dead' ? 'processed' : 'dead';
    expect(await list(`status=${otherStatus}`)).toEqual([]);
  });

  it('filters by object id', async () => {
    expect(await list('objectId=obj_3')).toHaveLength(1);
  });

  it('a received range in the future matches nothing', async () => {
    const future = new Date(Date.now() + 60_000).toISOString();
    expect(await list(`receivedFrom=${encodeURIComponent(future)}`)).toEqual([]);
  });

  it('an inverted received range is a 400', async () => {
    const future = new Date(Date.now() + 60_000).toISOString();
    expectProblem(
      await t.h.call(w.apiKey, {
        method: 'GET',
        url: `${wBase}/webhooks/events?receivedFrom=${encodeURIComponent(future)}&receivedTo=2020-01-01T00:00:00Z`,
      }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('reads one event with its attempts and last error, without its payload', async () => {
    const id = (await list('limit=1'))[0]!.id;
    const plain = await t.h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/webhooks/events/${id}`,
    });
    expect(plain.json()).toMatchObject({ id, attempts: 1, lastError: null });
    expect(plain.json()).not.toHaveProperty('payload');
  });

  it('includes the payload on request', async () => {
    const id = (await list('limit=1'))[0]!.id;
    const withPayload = await t.h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/webhooks/events/${id}?includePayload=true`,
    });
    expect(withPayload.json<{ payload: { secretish: string } }>().payload.secretish).toBe(
      'payload-marker',
    );
  });
});

describe('failures: the failed view and dead-letter stats come from the event log', () => {
  let w: TestWorkspace;
  let wBase: string;
  beforeAll(async () => {
    w = await t.h.createWorkspace('failures');
    wBase = `/api/v1/workspaces/${w.id}`;
    const failure = (status: 'failed' | 'dead', errorClass: string, eventType: string) => ({
      event: anEvent({ workspaceId: w.id, eventType }),
      status,
      attempt: status === 'dead' ? 3 : 1,
      errorClass,
      message: `${errorClass} happened`,
    });
    await new SyncWriteRepository({ prisma: t.h.prisma }).recordFailures([
      failure('dead', 'PROVIDER_UNAVAILABLE', 'invoice.paid'),
      failure('dead', 'PROVIDER_UNAVAILABLE', 'customer.updated'),
      failure('dead', 'MESSAGE_INVALID', 'invoice.paid'),
      failure('failed', 'DB_UNAVAILABLE', 'invoice.paid'),
    ]);
  });

  it('the failed view lists failed and dead events', async () => {
    const failed = await t.h.call(w.apiKey, { method: 'GET', url: `${wBase}/webhooks/failed` });
    const rows = failed.json<{ data: { status: string; errorClass: string; attempts: number }[] }>()
      .data;
    expect(rows.map((r) => r.status).sort()).toEqual(['dead', 'dead', 'dead', 'failed']);
  });

  it('the failed view filters by status and error class', async () => {
    const dead = await t.h.call(w.apiKey, {
      method: 'GET',
      url: `${wBase}/webhooks/failed?status=dead&errorClass=PROVIDER_UNAVAILABLE`,
    });
    expect(dead.json<{ data: { attempts: number; lastError: string }[] }>().data).toEqual([
      expect.objectContaining({ attempts: 3, lastError: 'PROVIDER_UNAVAILABLE happened' }),
      expect.objectContaining({ attempts: 3 }),
    ]);
  });

  it('dead-letter stats count them by error class and event type', async () => {
    const stats = await t.h.call(w.apiKey, { method: 'GET', url: `${wBase}/dlq/stats` });
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
});
