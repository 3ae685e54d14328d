import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';

/**
 * Hands `topics` over from one consumer group to another without re-reading them: when `toGroupId`
 * has no committed offset on any of them yet, it starts where `fromGroupId` committed (a consumer
 * that moves some of its topics to a group of its own, such as the retry tiers, would otherwise
 * read their whole retention again). Best effort: a group that already has offsets, or members
 * (another replica took over first), is left alone; a failure is logged and the new group starts
 * as any new group does.
 */
export async function adoptCommittedOffsets(
  kafka: Kafka,
  {
    fromGroupId,
    toGroupId,
    topics,
    logger,
  }: {
    readonly fromGroupId: string;
    readonly toGroupId: string;
    readonly topics: readonly string[];
    readonly logger: Logger;
  },
): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const committed = (offsets: Awaited<ReturnType<typeof admin.fetchOffsets>>) =>
      offsets.flatMap((t) =>
        t.partitions
          .filter((p) => Number(p.offset) >= 0)
          .map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset })),
      );
    const own = committed(await admin.fetchOffsets({ groupId: toGroupId, topics: [...topics] }));
    if (own.length > 0) return;
    const previous = committed(
      await admin.fetchOffsets({ groupId: fromGroupId, topics: [...topics] }),
    );
    if (previous.length === 0) return;
    for (const topic of topics) {
      const partitions = previous
        .filter((p) => p.topic === topic)
        .map(({ partition, offset }) => ({ partition, offset }));
      if (partitions.length > 0) await admin.setOffsets({ groupId: toGroupId, topic, partitions });
    }
    logger.info(
      { fromGroupId, toGroupId, partitions: previous.length },
      'Consumer group takes over the committed offsets of its topics',
    );
  } catch (err) {
    logger.warn(
      { err, fromGroupId, toGroupId },
      'Could not take over committed offsets; the group starts as a new one',
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
