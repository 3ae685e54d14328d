// Tenant isolation through the webhook pipeline, for each provider (issue 17): two workspaces,
// each connected to its own account (Stripe) or site (Chargebee) whose objects carry the SAME ids
// (both simulators are seeded alike). Every change lands in its own workspace only, one tenant's
// webhook credentials open no other tenant's endpoint, and a replay re-fetches from the event's own
// connection. Real ingress, processor, api, Kafka and PostgreSQL; only the providers are simulated.
import type { FastifyInstance } from 'fastify';

import { SyncedEntityReader } from '@paysync/db';
import { eventually } from '@paysync/testkit';

import {
  startProviderPipeline,
  type PipelineAccount,
  type ProviderPipeline,
} from '../support/pipeline.js';
import { PROVIDER_CASES, type ProviderSim } from '../support/providers.js';
import { adminCaller, startApi } from '../support/services.js';

const ADMIN = `admin-${'t'.repeat(40)}`;

describe.each(PROVIDER_CASES)('$provider', (providerCase) => {
  const { provider } = providerCase;
  let p: ProviderPipeline;
  let simB: ProviderSim;
  let workspaceB: string;
  let b: PipelineAccount;
  let api: FastifyInstance;
  let reader: SyncedEntityReader;

  beforeAll(async () => {
    p = await startProviderPipeline(providerCase.newSim({ customer: 10 }));
    simB = providerCase.newSim({ customer: 10 }, { tag: 'tenantb' });
    workspaceB = (await p.prisma.workspace.create({ data: { name: 'tenant-b' } })).id;
    b = await p.addAccount(simB, { workspaceId: workspaceB });
    api = await startApi(p.env, ADMIN);
    reader = new SyncedEntityReader({ prisma: p.prisma });
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await p?.close();
  });

  const customerOf = (workspaceId: string, id: string) =>
    reader.findByExternalId(workspaceId, 'customer', provider, id);

  it('the same object id in two tenants: each change lands in its own workspace only', async () => {
    const id = p.sim.id('customer', 3);
    expect(simB.id('customer', 3)).toBe(id);
    p.sim.update('customer', id, p.sim.customerName('tenant A three'));
    simB.update('customer', id, simB.customerName('tenant B three'));
    const [rowA, rowB] = await eventually(
      async () => {
        const rows = [await customerOf(p.workspaceId, id), await customerOf(workspaceB, id)];
        return rows[0]?.name === 'tenant A three' && rows[1]?.name === 'tenant B three'
          ? rows
          : undefined;
      },
      { what: 'each tenant’s change in its own workspace' },
    );
    expect(rowA?.id).not.toBe(rowB?.id);
    // A change only tenant B made stays in B.
    const onlyB = simB.create('customer', simB.customerName('only in B'));
    await eventually(
      async () => (await customerOf(workspaceB, onlyB.id as string))?.name === 'only in B',
      {
        what: 'B’s new customer synced',
      },
    );
    expect(await customerOf(p.workspaceId, onlyB.id as string)).toBeUndefined();
    expect(await reader.count(p.workspaceId, 'customer')).toBe(1);
    expect(await reader.count(workspaceB, 'customer')).toBe(2);
    // Every event row is recorded in the workspace of the connection it came through.
    const events = await p.prisma.paymentSyncEvent.findMany({ where: { objectId: id } });
    expect(events.map((e) => [e.workspaceId, e.connectionId]).sort()).toEqual(
      [
        [p.workspaceId, p.connection.id],
        [workspaceB, b.connection.id],
      ].sort(),
    );
  });

  it('one tenant’s webhook credentials open no other tenant’s endpoint', async () => {
    const id = p.sim.id('customer', 4);
    const event = p.sim.event('updated', 'customer', {
      ...p.sim.getObject('customer', id),
      ...p.sim.customerName('posted with A’s secret to B'),
    });
    const body = JSON.stringify(event);
    const res = await fetch(b.webhookUrl, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...p.sim.authHeaders(body, p.webhookSecret) },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('WEBHOOK_SIGNATURE_INVALID');
    // With B's own credentials the same body is accepted, and lands in B.
    const ok = await fetch(b.webhookUrl, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...simB.authHeaders(body, b.webhookSecret) },
    });
    expect(ok.status).toBe(200);
    await eventually(
      async () => (await customerOf(workspaceB, id))?.name === 'posted with A’s secret to B',
      { what: 'the event applied in B' },
    );
    expect(await customerOf(p.workspaceId, id)).toBeUndefined();
    expect(
      await p.prisma.paymentSyncEvent.count({
        where: { workspaceId: p.workspaceId, providerEventId: event.id as string },
      }),
    ).toBe(0);
  });

  it('a refetch replay in one tenant asks its own account and changes nothing in the other', async () => {
    const id = p.sim.id('customer', 5);
    simB.update('customer', id, simB.customerName('B before'));
    p.sim.update('customer', id, p.sim.customerName('A before'));
    const [eventB] = await eventually(
      async () => {
        const rows = await p.prisma.paymentSyncEvent.findMany({
          where: { workspaceId: workspaceB, objectId: id, status: 'processed' },
        });
        return rows.length > 0 ? rows : undefined;
      },
      { what: 'B’s webhook applied' },
    );
    await eventually(async () => (await customerOf(p.workspaceId, id))?.name === 'A before', {
      what: 'A’s webhook applied',
    });
    // Both accounts change silently; only B replays.
    simB.update('customer', id, simB.customerName('B silently'), { silent: true });
    p.sim.update('customer', id, p.sim.customerName('A silently'), { silent: true });
    const res = await adminCaller(api, ADMIN, workspaceB)('POST', '/webhooks/replay', {
      eventIds: [eventB!.id],
      mode: 'refetch',
      reason: 'drift in B',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ matched: 1, replayed: 1 });
    await eventually(async () => (await customerOf(workspaceB, id))?.name === 'B silently', {
      what: 'B’s current state applied in B',
    });
    // A replay of B's event from A's workspace matches nothing.
    const cross = await adminCaller(api, ADMIN, p.workspaceId)('POST', '/webhooks/replay', {
      eventIds: [eventB!.id],
      mode: 'refetch',
      reason: 'not ours',
    });
    expect(cross.json()).toMatchObject({ matched: 0, replayed: 0 });
    expect((await customerOf(p.workspaceId, id))?.name).toBe('A before');
  });
});
