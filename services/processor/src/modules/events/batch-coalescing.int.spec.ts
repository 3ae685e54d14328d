import { type WebhookReceived } from '@paysync/contracts';
import { stripeFixture } from '@paysync/providers/testing';
import { eventually, uniqueId } from '@paysync/testkit';

import { startProcessor, type ProcessorHarness } from '../../testing/processor-harness.js';
import { aStripeWebhook } from '../../testing/webhooks.js';

// Issue 18: kafkajs hands the processor one partition's batch at a time; the batches of the
// partitions fetched together share one transaction (BatchCoalescer). Two processors on real Kafka
// and PostgreSQL: one with the default (six partitions at a time), one that takes them one by one.
let merged: ProcessorHarness;
let alone: ProcessorHarness;

beforeAll(async () => {
  [merged, alone] = await Promise.all([
    startProcessor(),
    startProcessor({ PROCESSOR_PARTITIONS_CONCURRENTLY: '1' }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([merged?.close(), alone?.close()]);
});

/** Transactions so far (`paysync_processor_batch_size` count) and the events in them (its sum). */
async function transactions(h: ProcessorHarness): Promise<{ count: number; events: number }> {
  const { values } = await h.app.diContainer.cradle.processorMetrics.batchSize.get();
  const value = (suffix: string) =>
    values.find((v) => (v as { metricName?: string }).metricName?.endsWith(suffix))?.value ?? 0;
  return { count: value('_count'), events: value('_sum') };
}

async function counted(h: ProcessorHarness, outcome: string): Promise<number> {
  const { values } = await h.app.diContainer.cradle.processorMetrics.events.get();
  return values.filter((v) => v.labels.outcome === outcome).reduce((n, v) => n + v.value, 0);
}

const processed = (h: ProcessorHarness, ids: readonly string[]) =>
  h.prisma.paymentSyncEvent.count({
    where: {
      workspaceId: h.tenant.workspaceId,
      providerEventId: { in: [...ids] },
      status: 'processed',
    },
  });

/** `n` updates of distinct customers: their keys spread over all six partitions. */
function burst(h: ProcessorHarness, n: number): WebhookReceived[] {
  const run = uniqueId('co');
  return Array.from({ length: n }, (_, i) =>
    aStripeWebhook(
      h.tenant,
      'customer.updated',
      stripeFixture('customer', { id: `cus_${run}_${i}`, name: `n${i}` }),
    ),
  );
}

it('a burst over the six partitions is applied in fewer transactions than partitions; one partition at a time takes one each', async () => {
  const before = await Promise.all([transactions(merged), transactions(alone)]);
  const sent = await Promise.all(
    [merged, alone].map(async (h) => {
      const webhooks = burst(h, 120);
      await h.publish(...webhooks); // one produce request: every partition gets its share at once
      return webhooks.map((w) => w.event.id);
    }),
  );
  await eventually(
    async () =>
      (await processed(merged, sent[0] ?? [])) === 120 &&
      (await processed(alone, sent[1] ?? [])) === 120,
    { what: 'all 240 events processed', timeoutMs: 60_000 },
  );
  const after = await Promise.all([transactions(merged), transactions(alone)]);
  const delta = after.map((a, i) => ({
    count: a.count - (before[i]?.count ?? 0),
    events: a.events - (before[i]?.events ?? 0),
  }));
  expect(delta.map((d) => d.events)).toEqual([120, 120]);
  // 120 random keys leave no partition empty; the lone-partition processor commits each apart.
  expect(delta[1]?.count).toBeGreaterThanOrEqual(6);
  expect(delta[0]?.count).toBeLessThan(6);
  expect(delta[0]?.count).toBeLessThan(delta[1]?.count ?? 0);
}, 90_000);

it("a poison in one partition's batch fails alone: the rest of the merged transaction is applied once, nothing else is retried", async () => {
  const duplicatesBefore = await counted(merged, 'skipped_duplicate');
  const good = burst(merged, 60);
  const poison = aStripeWebhook(
    merged.tenant,
    'customer.updated',
    stripeFixture('customer', { id: 'cus_coalesce_poison\u0000', name: 'bad id' }),
  );
  await merged.publish(...good.slice(0, 30), poison, ...good.slice(30));
  const ids = good.map((w) => w.event.id);
  await eventually(async () => (await processed(merged, ids)) === 60, {
    what: 'the 60 good events processed',
    timeoutMs: 60_000,
  });
  await eventually(
    () =>
      merged.deadLetters.messages.find(
        (m) => (m.envelope.payload as WebhookReceived).event?.id === poison.event.id,
      ),
    { what: 'the poison in the DLQ', timeoutMs: 60_000 },
  );
  // The poison's failure went back to its own partition's batch: no good event was retried or
  // dead-lettered in its place, and none was delivered a second time.
  const deadIds = merged.deadLetters.messages.map(
    (m) => (m.envelope.payload as WebhookReceived).event?.id,
  );
  expect(deadIds.filter((id) => ids.includes(id as string))).toEqual([]);
  expect(await counted(merged, 'skipped_duplicate')).toBe(duplicatesBefore);
  const rows = await merged.prisma.paymentSyncEvent.findMany({
    where: { workspaceId: merged.tenant.workspaceId, providerEventId: { in: ids } },
    select: { attempts: true },
  });
  expect(rows.every((r) => r.attempts <= 1)).toBe(true);
}, 90_000);
