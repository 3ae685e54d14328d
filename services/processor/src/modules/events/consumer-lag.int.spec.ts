import { TOPICS } from '@paysync/contracts';
import { createEnvelope, type OutgoingMessage } from '@paysync/kafka';
import { eventually, uniqueId } from '@paysync/testkit';

import { startProcessor, type ProcessorHarness } from '../../testing/processor-harness.js';

// Issue 14 item 2: `paysync_processor_consumer_lag` is this replica's view of the partitions it
// owns. When a second replica joins the group and takes some of them, the first one's gauge must
// no longer have series for the partitions it gave up (a stale series would show a lag nobody is
// updating). Two processors built through their composition root share a group on real Kafka.

const prefix = uniqueId('lag-int-');
const groupId = uniqueId('processor-lag-');
let first: ProcessorHarness;
let second: ProcessorHarness | undefined;

beforeAll(async () => {
  first = await startProcessor({ KAFKA_TOPIC_PREFIX: prefix, PROCESSOR_GROUP_ID: groupId });
}, 60_000);

afterAll(async () => {
  await second?.close();
  await first?.close();
});

// Messages that are not webhooks go straight to the DLQ (no database involved), and each handled
// batch sets the gauge for its partition. The same 40 keys each round spread over the 6 partitions.
const round = (): OutgoingMessage[] =>
  Array.from({ length: 40 }, (_, i) => ({
    key: `lag-key-${i}`,
    envelope: createEnvelope({ type: 'not-a-webhook', payload: { i } }),
  }));

/** The partitions of the webhook topic for which `h`'s lag gauge has a series. */
async function lagPartitions(h: ProcessorHarness): Promise<Set<string>> {
  const topic = h.topic(TOPICS.webhookReceived);
  const { values } = await h.app.diContainer.cradle.processorMetrics.lag.get();
  return new Set(
    values.filter((v) => v.labels.topic === topic).map((v) => String(v.labels.partition)),
  );
}

it('a replica joining the group leaves the first one with lag series only for the partitions it kept', async () => {
  await first.publishRaw(...round());
  const before = await eventually(
    async () => {
      const partitions = await lagPartitions(first);
      return partitions.size === TOPICS.webhookReceived.partitions ? partitions : undefined;
    },
    { timeoutMs: 30_000, what: 'lag series for all partitions of the webhook topic' },
  );
  expect(before.size).toBe(6);

  second = await startProcessor({ KAFKA_TOPIC_PREFIX: prefix, PROCESSOR_GROUP_ID: groupId });
  const joined = second;
  // Once the rebalance is through, each replica handles the next messages on the partitions it
  // owns now: a round per poll, until both report lag and together cover the partitions again.
  let seen = '';
  const after = await eventually(
    async () => {
      await first.publishRaw(...round());
      const [mine, theirs] = await Promise.all([lagPartitions(first), lagPartitions(joined)]);
      seen = `first ${[...mine].join(',')} / second ${[...theirs].join(',')}`;
      return theirs.size > 0 && new Set([...mine, ...theirs]).size === before.size
        ? { mine, theirs }
        : undefined;
    },
    {
      timeoutMs: 60_000,
      intervalMs: 500,
      what: 'both replicas reporting lag for their partitions',
    },
  ).catch((err: unknown) => {
    throw new Error(`${(err as Error).message} (last seen: ${seen})`);
  });
  // The first replica gave partitions up and has no series left for any of them.
  expect(after.mine.size).toBeLessThan(before.size);
  expect([...after.mine].filter((p) => after.theirs.has(p))).toEqual([]);
  expect(new Set([...after.mine, ...after.theirs])).toEqual(before);
}, 120_000);
