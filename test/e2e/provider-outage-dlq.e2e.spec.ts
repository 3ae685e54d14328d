import type { FastifyInstance } from 'fastify';

import { SyncedEntityReader } from '@paysync/db';
import { eventually, uniqueId } from '@paysync/testkit';

import { startProviderPipeline, type ProviderPipeline } from '../support/pipeline.js';
import { PROVIDER_CASES } from '../support/providers.js';
import { startRecovery } from '../support/services.js';

// A real transient fault end to end: two same-second updates make a tie, the processor must
// re-fetch the customer from the provider, and the provider (the simulator) answers 500 for
// longer than the processor's retry tiers last. The event lands in the DLQ, the recovery service
// classifies it retryable and re-drives it with backoff; once the provider is back the re-drive
// applies it. Nothing is faked between our services. For each provider (issue 17): a Stripe
// account (a tie is two changes in one second) and a Chargebee site (one resource_version).
describe.each(PROVIDER_CASES)('$provider', (providerCase) => {
  const { provider } = providerCase;
  let p: ProviderPipeline;
  let recovery: FastifyInstance;

  beforeAll(async () => {
    p = await startProviderPipeline(providerCase.newSim({ customer: 20, product: 5, price: 10 }), {
      env: {
        PROCESSOR_RETRY_DELAYS_MS: '200,400',
        STRIPE_MAX_ATTEMPTS: '2',
        RECOVERY_GROUP_ID: uniqueId('recovery-'),
        RECOVERY_REDRIVE_BASE_MS: '1000',
        RECOVERY_REDRIVE_INTERVAL_MS: '200',
        RECOVERY_REDRIVE_MAX_ATTEMPTS: '5',
        RECOVERY_EVENTS_POLL_INTERVAL_MS: '0',
      },
    });
    recovery = await startRecovery(p.env);
  }, 60_000);

  afterAll(async () => {
    await recovery?.close();
    await p?.close();
  });

  it('a provider outage that outlasts the retry tiers ends in the DLQ and is applied once it clears', async () => {
    const id = p.sim.id('customer', 7);
    p.sim.faults = { ...p.sim.faults, rate500: 1 };
    p.sim.freezeVersions(Math.floor(Date.now() / 1000));
    p.sim.update('customer', id, p.sim.customerName('first'));
    p.sim.update('customer', id, p.sim.customerName('second'));
    p.sim.freezeVersions(undefined);

    // The tied event went through both retry tiers and died: recorded, retryable, waiting.
    const letter = await eventually(
      async () =>
        (await p.prisma.deadLetter.findFirst({
          where: { workspaceId: p.workspaceId, status: { in: ['waiting', 'redriven'] } },
        })) ?? undefined,
      { what: 'the tied event dead-lettered and scheduled for a re-drive', timeoutMs: 60_000 },
    );
    expect(letter).toMatchObject({ retryable: true, errorCode: 'PROVIDER_UNAVAILABLE' });
    const event = await p.prisma.paymentSyncEvent.findFirstOrThrow({
      where: { workspaceId: p.workspaceId, providerEventId: letter.providerEventId as string },
    });
    expect(['dead', 'failed', 'received']).toContain(event.status);

    // The provider comes back; the next re-drive applies the event.
    p.sim.faults = { ...p.sim.faults, rate500: 0 };
    const resolved = await eventually(
      async () => {
        const d = await p.prisma.deadLetter.findUnique({ where: { id: letter.id } });
        return d?.status === 'resolved' ? d : undefined;
      },
      { what: 'the dead letter resolved by a re-drive', timeoutMs: 60_000 },
    );
    expect(resolved.redrives).toBeGreaterThanOrEqual(1);
    const events = await p.prisma.paymentSyncEvent.findMany({
      where: { workspaceId: p.workspaceId, objectId: id },
    });
    expect(events.map((e) => e.status)).toEqual(['processed', 'processed']);
    const row = await new SyncedEntityReader({ prisma: p.prisma }).findByExternalId(
      p.workspaceId,
      'customer',
      provider,
      id,
    );
    expect(row).toMatchObject({ name: 'second' });
  }, 120_000);
});
