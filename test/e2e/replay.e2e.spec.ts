import type { FastifyInstance } from 'fastify';

import { KeyRing } from '@paysync/crypto';
import { ConnectionRepository, SyncedEntityReader } from '@paysync/db';
import { connectionRateLimit } from '@paysync/providers';
import { aStripeEvent, stripeFixture } from '@paysync/providers/testing';
import { eventually } from '@paysync/testkit';

import {
  TEST_ENCRYPTION_KEYS,
  recordDeadEvent,
  startProviderPipeline,
  type ProviderPipeline,
} from '../support/pipeline.js';
import { PROVIDER_CASES } from '../support/providers.js';
import { adminCaller, startApi } from '../support/services.js';

// Replay through the real pipeline: the api publishes stored events, the processor applies them.
// For each provider (issue 17): stored events are rehydrated and re-fetched through its adapter.
const ADMIN = `admin-${'r'.repeat(40)}`;

describe.each(PROVIDER_CASES)('$provider', (providerCase) => {
  const { provider } = providerCase;
  let p: ProviderPipeline;
  let api: FastifyInstance;

  beforeAll(async () => {
    p = await startProviderPipeline(providerCase.newSim({ customer: 20, product: 5, price: 10 }));
    api = await startApi(p.env, ADMIN);
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await p?.close();
  });

  const replay = (payload: Record<string, unknown>) =>
    adminCaller(api, ADMIN, p.workspaceId)('POST', '/webhooks/replay', payload);

  /** Customer ids of this provider's spelling that no other test uses. */
  const rp = (n: number) => (provider === 'stripe' ? `cus_rp_${n}` : `cbsim_cus_rp_${n}`);

  async function deadEvent(customerId: string, name: string) {
    const at = Math.floor(Date.now() / 1000);
    const event =
      provider === 'stripe'
        ? aStripeEvent('customer.updated', stripeFixture('customer', { id: customerId, name }), {
            created: at,
          })
        : p.sim.event(
            'updated',
            'customer',
            {
              ...p.sim.getObject('customer', p.sim.id('customer', 0)),
              id: customerId,
              ...p.sim.customerName(name),
            },
            { at },
          );
    await recordDeadEvent(p, {
      provider,
      eventType: p.sim.customerUpdatedType,
      providerEventId: event.id as string,
      objectId: customerId,
      payload: event,
      providerCreatedAt: new Date(at * 1000),
    });
    return event.id as string;
  }

  it('dry run lists exactly the matching events; two concurrent replays apply them once', async () => {
    const ids = [await deadEvent(rp(1), 'replayed one'), await deadEvent(rp(2), 'replayed two')];
    const dry = await replay({
      filter: { status: 'dead', type: p.sim.customerUpdatedType },
      dryRun: true,
      reason: 'check',
    });
    expect(dry.statusCode).toBe(200);
    const listed = dry.json<{
      matched: number;
      items: { id: string; providerEventId: string; outcome: string }[];
    }>();
    expect(listed.items.map((i) => i.providerEventId).sort()).toEqual([...ids].sort());
    expect(listed.items.every((i) => i.outcome === 'would_replay')).toBe(true);
    // Nothing happened.
    expect(
      await new SyncedEntityReader({ prisma: p.prisma }).findByExternalId(
        p.workspaceId,
        'customer',
        provider,
        rp(1),
      ),
    ).toBeUndefined();

    const [a, b] = await Promise.all([
      replay({ filter: { status: 'dead' }, reason: 'provider fixed' }),
      replay({ filter: { status: 'dead' }, reason: 'provider fixed' }),
    ]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    const reader = new SyncedEntityReader({ prisma: p.prisma });
    for (const [id, name] of [
      [rp(1), 'replayed one'],
      [rp(2), 'replayed two'],
    ] as const) {
      await eventually(
        async () =>
          (await reader.findByExternalId(p.workspaceId, 'customer', provider, id))?.name === name,
        { timeoutMs: 30_000, what: `${id} applied by the replay` },
      );
    }
    for (const id of ids) {
      await eventually(
        async () =>
          (await p.prisma.paymentSyncEvent.findFirst({ where: { providerEventId: id } }))
            ?.status === 'processed',
        { timeoutMs: 30_000, what: 'the replayed event processed' },
      );
    }
    // Applied once: the second copy of each event was a duplicate.
    const rows = await p.prisma.customer.findMany({
      where: { workspaceId: p.workspaceId, externalId: { in: [rp(1), rp(2)] } },
    });
    expect(rows).toHaveLength(2);
    const audit = await p.prisma.auditLog.findMany({
      where: { workspaceId: p.workspaceId, action: { endsWith: '/webhooks/replay' } },
    });
    expect(audit.map((r) => (r.details as { reason: string }).reason)).toEqual(
      expect.arrayContaining(['check', 'provider fixed', 'provider fixed']),
    );

    // Processed events are left alone unless forced.
    const again = await replay({ eventIds: [listed.items[0]!.id], reason: 'again' });
    expect(again.json<{ matched: number; replayed: number }>()).toMatchObject({ replayed: 0 });
    const forced = await replay({
      eventIds: [listed.items[0]!.id],
      force: true,
      reason: 'force',
    });
    expect(forced.json<{ replayed: number }>().replayed).toBe(1);
    // Forced back to `received`, then settled again by the processor: the same state at the same
    // version is `unchanged`, so the row keeps its value and the event is settled, not applied twice.
    const settled = await eventually(
      async () => {
        const e = await p.prisma.paymentSyncEvent.findFirst({
          where: { providerEventId: listed.items[0]!.providerEventId },
        });
        return e && e.status !== 'received' ? e : undefined;
      },
      { timeoutMs: 30_000, what: 'the forced replay settled' },
    );
    expect(['processed', 'skipped_duplicate', 'skipped_stale']).toContain(settled.status);
    expect((await reader.findByExternalId(p.workspaceId, 'customer', provider, rp(1)))?.name).toBe(
      'replayed one',
    );
  }, 120_000);

  it('refuses a replay without ids or filter, or one larger than its limit', async () => {
    expect((await replay({ reason: 'nothing named' })).statusCode).toBe(400);
    await deadEvent(rp(3), 'x');
    await deadEvent(rp(4), 'y');
    const tooMany = await replay({ filter: { status: 'dead' }, limit: 1, reason: 'bulk' });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json<{ errors: { path: string }[] }>().errors[0]?.path).toBe('body/limit');
  });

  it('mode refetch replays an event with the provider’s current state of its object', async () => {
    const reader = new SyncedEntityReader({ prisma: p.prisma });
    const [changed, deleted] = [p.sim.id('customer', 5), p.sim.id('customer', 6)];
    p.sim.update('customer', changed, p.sim.customerName('via webhook'));
    p.sim.update('customer', deleted, p.sim.customerName('about to go'));
    const delivered = await eventually(
      async () => {
        const events = await p.prisma.paymentSyncEvent.findMany({
          where: { workspaceId: p.workspaceId, objectId: { in: [changed, deleted] } },
        });
        return events.length === 2 && events.every((e) => e.status === 'processed')
          ? events
          : undefined;
      },
      { what: 'the two webhooks applied' },
    );
    // The provider changes without telling us.
    p.sim.update('customer', changed, p.sim.customerName('silently changed'), { silent: true });
    p.sim.delete('customer', deleted, { silent: true });

    const tooMany = await replay({
      eventIds: [delivered[0]!.id],
      mode: 'refetch',
      limit: 101,
      reason: 'x',
    });
    expect(tooMany.statusCode).toBe(400);

    // The account's shared bucket (the sync-runner's; keyed by the account once verified).
    const connections = new ConnectionRepository({
      prisma: p.prisma,
      keyRing: KeyRing.fromString(TEST_ENCRYPTION_KEYS),
    });
    const bucketUpdatedAt = async () =>
      (
        await p.prisma.providerRateLimit.findUnique({
          where: {
            key: connectionRateLimit(await connections.get(p.workspaceId, p.connection.id)).key,
          },
        })
      )?.updatedAt.getTime() ?? 0;
    const bucketBefore = await bucketUpdatedAt();
    const res = await replay({
      eventIds: delivered.map((e) => e.id),
      mode: 'refetch',
      reason: 'provider state drifted',
    });
    expect(res.statusCode).toBe(200);
    // Its re-fetches took their tokens from that bucket, not from a private limiter of their own.
    expect(await bucketUpdatedAt()).toBeGreaterThan(bucketBefore);
    // Processed events are re-fetched without `force`: the point is their new state.
    expect(res.json()).toMatchObject({ matched: 2, replayed: 2 });
    await eventually(
      async () =>
        (await reader.findByExternalId(p.workspaceId, 'customer', provider, changed))?.name ===
        'silently changed',
      { what: 'the re-fetched state applied' },
    );
    await eventually(
      async () =>
        (
          await p.prisma.customer.findFirst({
            where: { workspaceId: p.workspaceId, externalId: deleted },
          })
        )?.deletedAt != null,
      { what: 'the deletion found by the re-fetch applied' },
    );
    const after = await p.prisma.paymentSyncEvent.findMany({
      where: { id: { in: delivered.map((e) => e.id) } },
    });
    expect(after.map((e) => [e.status, e.source])).toEqual([
      ['processed', 'replay'],
      ['processed', 'replay'],
    ]);
    const audit = await p.prisma.auditLog.findFirst({
      where: {
        workspaceId: p.workspaceId,
        action: { endsWith: '/webhooks/replay' },
        statusCode: 200,
      },
      orderBy: { createdAt: 'desc' },
    });
    expect(audit?.details).toMatchObject({ mode: 'refetch', reason: 'provider state drifted' });
  }, 60_000);
});
