// Issue 16, item 5: the events poller must not skip what it did not list. More events than one
// pass reads were created while no webhook was delivered: pass after pass, the poller pages
// through all of them (bounded per pass, resuming where it stopped), and only then moves its
// cursor. Real recovery service (its composition root), Kafka and PostgreSQL; the simulator as
// Stripe, and as a Chargebee site (issue 17). The processor is off: what the poller hands to the
// pipeline is read from the topic.
import { TOPICS } from '@paysync/contracts';
import { withTenant } from '@paysync/db';
import { createKafka, topicName } from '@paysync/kafka';
import { TopicProbe } from '@paysync/kafka/testing';
import { createLogger } from '@paysync/observability';
import { eventually, stackEnv, uniqueId } from '@paysync/testkit';

import { buildApp as buildRecovery } from '../../services/recovery/src/app.js';
import { MAX_EVENTS_PER_PASS } from '../../services/recovery/src/modules/events/events-poller.js';
import { testConfig as recoveryConfig } from '../../services/recovery/src/testing/test-config.js';
import { startProviderPipeline, type ProviderPipeline } from '../support/pipeline.js';
import { PROVIDER_CASES } from '../support/providers.js';

import type { WebhookReceived } from '@paysync/contracts';

describe.each(PROVIDER_CASES)('$provider', (providerCase) => {
  let p: ProviderPipeline;
  let recovery: Awaited<ReturnType<typeof buildRecovery>>;
  let probe: TopicProbe;

  beforeAll(async () => {
    p = await startProviderPipeline(providerCase.newSim({ customer: 50 }), { processor: false });
    recovery = await buildRecovery(
      recoveryConfig({
        ...p.env,
        RECOVERY_GROUP_ID: uniqueId('recovery-'),
        RECOVERY_EVENTS_POLL_INTERVAL_MS: '0', // passes are run by the test
        RECOVERY_EVENTS_GRACE_MS: '0',
      }),
    );
    await recovery.ready();
    const kafka = createKafka(
      {
        brokers: stackEnv().kafkaBrokers,
        clientId: 'poller-paging-e2e',
        connectionTimeoutMs: 5000,
      },
      createLogger({ level: 'warn', name: 'test' }),
      'probe',
    );
    probe = await TopicProbe.start(
      kafka,
      topicName(TOPICS.webhookReceived, p.env.KAFKA_TOPIC_PREFIX!),
    );
  }, 60_000);

  afterAll(async () => {
    await probe?.stop();
    await recovery?.close();
    await p?.close();
  });

  it('pages through more events than one pass reads, resuming pass after pass, skipping none', async () => {
    const { eventsPoller, connectionRepository } = recovery.diContainer.cradle;
    // On behalf of the workspace, as a tenant's request would read it (row-level security).
    const view = (
      await withTenant(p.workspaceId, () => connectionRepository.list(p.workspaceId))
    )[0]!;
    // A first pass sets the cursor (nothing to find yet).
    expect(await eventsPoller.pollConnection(view)).toMatchObject({ recovered: 0 });

    // Older events created first, so the newest MAX_EVENTS_PER_PASS are not all of them.
    p.sim.setDelivery({ dropRate: 1 });
    const before = p.sim.eventCount;
    const total = MAX_EVENTS_PER_PASS + 700;
    for (let i = 0; i < total; i++) {
      p.sim.update('customer', p.sim.id('customer', i % 50), p.sim.customerName(`n${i}`));
    }
    const dropped = p.sim.eventsSince(before).map((e) => e.id);
    expect(dropped).toHaveLength(total);

    const passes: { checked: number; recovered: number; more?: boolean }[] = [];
    do {
      passes.push(await eventsPoller.pollConnection(view));
    } while (passes.at(-1)!.more !== false && passes.length < 5);

    // Every dropped event was found (the oldest included), in passes bounded by the per-pass limit.
    expect(passes.reduce((n, x) => n + x.recovered, 0)).toBe(total);
    expect(passes.length).toBeGreaterThan(1);
    expect(passes[0]!.checked).toBeLessThanOrEqual(MAX_EVENTS_PER_PASS);
    expect(passes.at(-1)!.more).toBe(false);

    // Every dropped event went to the pipeline, the oldest included, each once.
    const published = await eventually(
      async () => {
        const ids = probe.messages.map((m) => (m.envelope.payload as WebhookReceived).event.id);
        return ids.length >= total ? ids : undefined;
      },
      { what: `${total} recovered events on the topic`, timeoutMs: 60_000 },
    );
    expect(new Set(published).size).toBe(published.length);
    expect(new Set(published)).toEqual(new Set(dropped));
    expect(
      probe.messages.every((m) => (m.envelope.payload as WebhookReceived).source === 'reconcile'),
    ).toBe(true);

    // The listing ended: the cursor moved, the resume point is gone, and the next pass is quiet.
    const cursor = await p.prisma.providerEventCursor.findUniqueOrThrow({
      where: { configurationId: view.id },
    });
    expect(cursor.resumeAfter).toBeNull();
    expect(Number(cursor.lastCreated)).toBeGreaterThanOrEqual(
      Math.max(...p.sim.eventsSince(before).map((e) => e.at)),
    );
    // Later passes re-read the overlap before the cursor (60 s: here all of the events, so again
    // more than one pass) and find nothing new.
    const again: { recovered: number; more: boolean }[] = [];
    do {
      again.push(await eventsPoller.pollConnection(view));
    } while (again.at(-1)!.more && again.length < 5);
    expect(again.at(-1)!.more).toBe(false);
    expect(again.every((x) => x.recovered === 0)).toBe(true);
  }, 180_000);
});
