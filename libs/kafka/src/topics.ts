import type { Kafka } from 'kafkajs';

import type { TopicSpec } from '@paysync/contracts';

/** Topic name as used on the cluster: the catalogue name behind the environment's prefix. */
export function topicName(spec: Pick<TopicSpec, 'name'>, prefix: string): string {
  return prefix ? `${prefix}.${spec.name}` : spec.name;
}

/**
 * Creates missing topics from the catalogue and grows partitions that are below the catalogue's
 * count. Never shrinks or deletes anything; safe to call from every service at start-up.
 */
export async function ensureTopics(
  kafka: Kafka,
  specs: readonly TopicSpec[],
  prefix: string,
): Promise<{ created: string[] }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(topicName(s, prefix)));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: topicName(s, prefix),
          numPartitions: s.partitions,
          // One replica per broker we have, at most three.
          replicationFactor: -1,
          configEntries: [
            { name: 'retention.ms', value: String(s.retentionMs) },
            { name: 'cleanup.policy', value: s.cleanupPolicy },
            ...(s.maxMessageBytes === undefined
              ? []
              : [{ name: 'max.message.bytes', value: String(s.maxMessageBytes) }]),
          ],
        })),
      });
    }
    const present = specs.filter((s) => existing.has(topicName(s, prefix)));
    if (present.length > 0) {
      const metadata = await admin.fetchTopicMetadata({
        topics: present.map((s) => topicName(s, prefix)),
      });
      const grow = present
        .map((s) => ({
          spec: s,
          current: metadata.topics.find((t) => t.name === topicName(s, prefix)),
        }))
        .filter(
          ({ spec, current }) =>
            current !== undefined && current.partitions.length < spec.partitions,
        );
      if (grow.length > 0) {
        await admin.createPartitions({
          topicPartitions: grow.map(({ spec }) => ({
            topic: topicName(spec, prefix),
            count: spec.partitions,
          })),
        });
      }
    }
    return { created: missing.map((s) => topicName(s, prefix)) };
  } catch (err) {
    // Two services racing to create the same topic is fine.
    if ((err as { type?: string }).type === 'TOPIC_ALREADY_EXISTS') return { created: [] };
    throw err;
  } finally {
    await admin.disconnect();
  }
}
