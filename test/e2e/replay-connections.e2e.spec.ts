// Issue 16, item 2: replay must not delete live objects. Two connections in one workspace (two
// simulators = two Stripe accounts, or two Chargebee sites: issue 17): a refetch replay asks the
// event's own connection, and a 404 from a connection that is not the event's own never becomes a
// tombstone.
import type { FastifyInstance } from 'fastify';

import { SyncedEntityReader } from '@paysync/db';
import type { ProviderName } from '@paysync/contracts';
import { eventually } from '@paysync/testkit';

import {
  recordDeadEvent,
  startProviderPipeline,
  type ProviderPipeline,
} from '../support/pipeline.js';
import { PROVIDER_CASES, type ProviderSim } from '../support/providers.js';
import { adminCaller, startApi } from '../support/services.js';

const ADMIN = `admin-${'c'.repeat(40)}`;
/** The second account: a Stripe account (`acct_simsecond000002`) with its own key, or a site. */
const SECOND: Record<ProviderName, { tag: string; apiKey?: string }> = {
  stripe: { tag: 'second000002', apiKey: 'sk_test_second_account_0002' },
  chargebee: { tag: 'second' },
};

describe.each(PROVIDER_CASES)('$provider', (providerCase) => {
  const { provider } = providerCase;
  let p: ProviderPipeline;
  let api: FastifyInstance;
  /** The second account: created after the pipeline's, so it is not the workspace's first. */
  let simB: ProviderSim;
  let connectionB: string;
  let reader: SyncedEntityReader;

  beforeAll(async () => {
    p = await startProviderPipeline(providerCase.newSim({ customer: 5 }));
    // Seeded beyond the first account's ids: an object created here is a 404 there.
    simB = providerCase.newSim({ customer: 40 }, SECOND[provider]);
    connectionB = (await p.addAccount(simB, { workspaceId: p.workspaceId })).connection.id;
    api = await startApi(p.env, ADMIN);
    reader = new SyncedEntityReader({ prisma: p.prisma });
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await p?.close();
  });

  const replay = (payload: Record<string, unknown>) =>
    adminCaller(api, ADMIN, p.workspaceId)('POST', '/webhooks/replay', payload);

  const customer = (id: string) => reader.findByExternalId(p.workspaceId, 'customer', provider, id);

  it('every event row records the connection it came through', async () => {
    const a = p.sim.update(
      'customer',
      p.sim.id('customer', 1),
      p.sim.customerName('from account A'),
    );
    const b = simB.create('customer', simB.customerName('from account B'));
    const events = await eventually(
      async () => {
        const rows = await p.prisma.paymentSyncEvent.findMany({
          where: { workspaceId: p.workspaceId, objectId: { in: [a.id as string, b.id as string] } },
        });
        return rows.length === 2 && rows.every((r) => r.status === 'processed') ? rows : undefined;
      },
      { what: 'both webhooks applied' },
    );
    const byObject = new Map(events.map((e) => [`${e.objectId}`, e.connectionId]));
    expect(byObject.get(a.id as string)).toBe(p.connection.id);
    expect(byObject.get(b.id as string)).toBe(connectionB);
  });

  it('a refetch replay asks the event’s own connection, not the workspace’s first', async () => {
    const created = simB.create('customer', simB.customerName('lives in B'));
    const id = created.id as string;
    expect(p.sim.getObject('customer', id)).toBeUndefined();
    const [event] = await eventually(
      async () => {
        const rows = await p.prisma.paymentSyncEvent.findMany({
          where: { workspaceId: p.workspaceId, objectId: id, status: 'processed' },
        });
        return rows.length > 0 ? rows : undefined;
      },
      { what: 'the webhook from account B applied' },
    );
    simB.update('customer', id, simB.customerName('changed in B, silently'), { silent: true });

    const res = await replay({ eventIds: [event!.id], mode: 'refetch', reason: 'drift' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ matched: 1, replayed: 1 });
    const row = await eventually(
      async () => {
        const r = await customer(id);
        return r?.name === 'changed in B, silently' ? r : undefined;
      },
      { what: 'account B’s current state applied' },
    );
    expect(row.deleted_at).toBeNull();
  });

  it('a 404 from a connection that is not the event’s own never tombstones', async () => {
    // An event stored before connections were recorded (no connection id) for an object that
    // lives in account B: the replay can only ask the workspace's first connection (account A),
    // which answers 404.
    const created = simB.create('customer', simB.customerName('still alive'));
    const id = created.id as string;
    await eventually(async () => (await customer(id))?.name === 'still alive', {
      what: 'the object synced',
    });
    const legacy = simB.eventsSince(0).find((e) => e.objectId === id)!;
    await recordDeadEvent(p, {
      provider,
      eventType: simB.customerUpdatedType,
      providerEventId: `${legacy.id}_legacy`,
      objectId: id,
      payload: {
        ...legacy.payload,
        id: `${legacy.id}_legacy`,
        [provider === 'stripe' ? 'type' : 'event_type']: simB.customerUpdatedType,
      },
      providerCreatedAt: new Date(),
    });
    const stored = await p.prisma.paymentSyncEvent.findFirstOrThrow({
      where: { workspaceId: p.workspaceId, providerEventId: `${legacy.id}_legacy` },
    });
    expect(stored.connectionId).toBeNull();

    const res = await replay({ eventIds: [stored.id], mode: 'refetch', reason: 'drift' });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ replayed: number; items: { outcome: string; reason: string }[] }>();
    expect(body.replayed).toBe(0);
    expect(body.items[0]).toMatchObject({ outcome: 'skipped' });
    expect(body.items[0]!.reason).toMatch(/not found.*not deleted/);
    // Nothing was sent: the row is untouched, not a tombstone.
    expect((await customer(id))?.deleted_at).toBeNull();
    expect(
      (await p.prisma.paymentSyncEvent.findUniqueOrThrow({ where: { id: stored.id } })).status,
    ).toBe('dead');
  });
});
