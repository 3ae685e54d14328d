import type { Admin, Kafka } from 'kafkajs';

import { createKafka } from './client.js';

import type { KafkaSettings } from './kafka.config.js';
import type { Logger } from 'pino';

/**
 * Readiness probe for Kafka: one metadata round trip through a dedicated client that never
 * retries (kafkajs retries connections at the client level, whatever the admin's own setting),
 * so an unreachable cluster fails the probe at once instead of hanging it.
 */
export class KafkaHealth {
  readonly #kafka: Kafka;
  #admin: Admin | undefined;

  constructor({ kafkaSettings, logger }: { kafkaSettings: KafkaSettings; logger: Logger }) {
    this.#kafka = createKafka(kafkaSettings, logger, 'health', { retries: 0 });
  }

  async check(): Promise<void> {
    this.#admin ??= this.#kafka.admin({ retry: { retries: 0 } });
    try {
      await this.#admin.connect();
      const cluster = await this.#admin.describeCluster();
      if (cluster.brokers.length === 0) throw new Error('Kafka cluster reports no brokers');
    } catch (err) {
      const admin = this.#admin;
      this.#admin = undefined;
      await admin.disconnect().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Messages of `topic` not yet committed by `groupId` (sum over partitions; a partition the group
   * never committed counts from its low watermark). Fails fast like `check`.
   */
  async consumerLag(groupId: string, topic: string): Promise<number> {
    this.#admin ??= this.#kafka.admin({ retry: { retries: 0 } });
    try {
      await this.#admin.connect();
      // Loads the cluster's brokers and the topic's leaders into this client first.
      await this.#admin.fetchTopicMetadata({ topics: [topic] });
      const [ends, committed] = await Promise.all([
        this.#admin.fetchTopicOffsets(topic),
        this.#admin.fetchOffsets({ groupId, topics: [topic] }),
      ]);
      const byPartition = new Map(
        (committed.find((t) => t.topic === topic)?.partitions ?? []).map((p) => [
          p.partition,
          Number(p.offset),
        ]),
      );
      return ends.reduce((sum, p) => {
        const done = byPartition.get(p.partition) ?? -1;
        const from = done >= 0 ? done : Number(p.low);
        return sum + Math.max(0, Number(p.high) - from);
      }, 0);
    } catch (err) {
      const admin = this.#admin;
      this.#admin = undefined;
      await admin.disconnect().catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.#admin?.disconnect();
    this.#admin = undefined;
  }
}
