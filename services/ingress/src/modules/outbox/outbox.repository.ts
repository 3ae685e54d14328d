import type { Db } from '@paysync/db';
import type { Envelope } from '@paysync/kafka';

export interface OutboxRow {
  readonly id: bigint;
  readonly topic: string;
  readonly messageKey: string;
  readonly envelope: Envelope;
}

export interface OutboxRepositoryDeps {
  readonly prisma: Db;
}

/** The ingress outbox (`webhook_outbox`): verified events waiting for Kafka, in id order. */
export class OutboxRepository {
  readonly #prisma: Db;

  constructor({ prisma }: OutboxRepositoryDeps) {
    this.#prisma = prisma;
  }

  async insert(topic: string, messageKey: string, envelope: Envelope): Promise<void> {
    await this.#prisma.webhookOutbox.create({
      data: { topic, messageKey, envelope: envelope as unknown as object },
    });
  }

  async depth(): Promise<number> {
    return this.#prisma.webhookOutbox.count();
  }

  /**
   * Hands the oldest rows to `publish` and deletes them when it resolves, in one transaction
   * under an advisory lock: one relay at a time across replicas, so the order holds. If publish
   * fails the rows stay (attempts counted) for the next round.
   */
  async drain(
    limit: number,
    publish: (rows: readonly OutboxRow[]) => Promise<void>,
  ): Promise<number> {
    return this.#prisma.$transaction(
      async (tx) => {
        const [lock] = await tx.$queryRaw<
          { locked: boolean }[]
        >`SELECT pg_try_advisory_xact_lock(72707369002) AS locked`;
        if (!lock?.locked) return 0;
        const rows = await tx.$queryRaw<
          { id: bigint; topic: string; message_key: string; envelope: Envelope }[]
        >`
          SELECT id, topic, message_key, envelope FROM webhook_outbox ORDER BY id LIMIT ${limit}`;
        if (rows.length === 0) return 0;
        try {
          await publish(
            rows.map((r) => ({
              id: r.id,
              topic: r.topic,
              messageKey: r.message_key,
              envelope: r.envelope,
            })),
          );
        } catch (err) {
          const ids = rows.map((r) => r.id);
          await tx.$executeRaw`UPDATE webhook_outbox SET attempts = attempts + 1, last_error = ${String(
            (err as Error).message,
          ).slice(0, 500)} WHERE id = ANY(${ids})`;
          throw err;
        }
        const ids = rows.map((r) => r.id);
        await tx.$executeRaw`DELETE FROM webhook_outbox WHERE id = ANY(${ids})`;
        return rows.length;
      },
      { timeout: 60_000 },
    );
  }
}
