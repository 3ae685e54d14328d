import type { Db, Tx } from '@paysync/db';

/** Error codes whose cause may go away by itself: these dead letters are re-driven automatically. */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'PROVIDER_UNAVAILABLE',
  'DB_UNAVAILABLE',
  'KAFKA_UNAVAILABLE',
  'SERVICE_UNAVAILABLE',
]);

/** Where a dead letter is: re-drive scheduled, re-driven (outcome pending), needs a human, applied. */
export type DeadLetterStatus = 'waiting' | 'redriven' | 'dead' | 'resolved';
const DEAD_LETTER_STATUSES: readonly DeadLetterStatus[] = [
  'waiting',
  'redriven',
  'dead',
  'resolved',
];

export interface DeadLetterInput {
  readonly workspaceId: string | null;
  readonly provider: string | null;
  readonly providerEventId: string | null;
  readonly eventType: string | null;
  readonly errorClass: string;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly retryable: boolean;
  readonly originalTopic: string | null;
  readonly originalPartition: number | null;
  readonly originalOffset: string | null;
  readonly dlqPartition: number;
  readonly dlqOffset: string;
  readonly messageKey: string | null;
  readonly envelope: unknown;
}

export interface DueDeadLetter {
  readonly id: bigint;
  readonly messageKey: string | null;
  readonly envelope: unknown;
  readonly redrives: number;
  readonly providerEventId: string | null;
}

export interface RedrivePolicy {
  readonly maxAttempts: number;
  readonly baseMs: number;
  readonly maxDelayMs: number;
}

export interface DeadLetterRepositoryDeps {
  readonly prisma: Db;
}

/** `dead_letters`: what the recovery service knows about each dead-lettered event. */
export class DeadLetterRepository {
  readonly #prisma: Db;

  constructor({ prisma }: DeadLetterRepositoryDeps) {
    this.#prisma = prisma;
  }

  /**
   * Records a dead letter (idempotent per event: a re-dead-lettered event updates its row). A
   * retryable one is scheduled for re-drive `baseMs × 2^redrives` (±20 % jitter, capped) from now
   * while re-drives remain; anything else is `dead`.
   */
  async record(input: DeadLetterInput, policy: RedrivePolicy): Promise<void> {
    await this.#prisma.$executeRaw`
      INSERT INTO dead_letters AS d (workspace_id, provider, provider_event_id, event_type, error_class,
        error_code, error_message, retryable, status, redrives, next_attempt_at, original_topic,
        original_partition, original_offset, dlq_partition, dlq_offset, message_key, envelope)
      VALUES (${input.workspaceId}::uuid, ${input.provider}, ${input.providerEventId}, ${input.eventType},
        ${input.errorClass}, ${input.errorCode}, ${input.errorMessage}, ${input.retryable},
        CASE WHEN ${input.retryable} AND ${policy.maxAttempts} > 0 THEN 'waiting' ELSE 'dead' END, 0,
        CASE WHEN ${input.retryable} AND ${policy.maxAttempts} > 0
          THEN now() + (LEAST(${policy.maxDelayMs}::float8, ${policy.baseMs}::float8) * (0.8 + random() * 0.4)) * interval '1 millisecond' END,
        ${input.originalTopic}, ${input.originalPartition}, ${input.originalOffset},
        ${input.dlqPartition}, ${input.dlqOffset}, ${input.messageKey}, ${JSON.stringify(input.envelope ?? null)}::jsonb)
      ON CONFLICT (workspace_id, provider, provider_event_id) DO UPDATE SET
        error_class = EXCLUDED.error_class, error_code = EXCLUDED.error_code,
        error_message = EXCLUDED.error_message, retryable = EXCLUDED.retryable,
        dlq_partition = EXCLUDED.dlq_partition, dlq_offset = EXCLUDED.dlq_offset,
        envelope = EXCLUDED.envelope, message_key = EXCLUDED.message_key,
        status = CASE WHEN EXCLUDED.retryable AND d.redrives < ${policy.maxAttempts} THEN 'waiting' ELSE 'dead' END,
        next_attempt_at = CASE WHEN EXCLUDED.retryable AND d.redrives < ${policy.maxAttempts}
          THEN now() + (LEAST(${policy.maxDelayMs}::float8, ${policy.baseMs}::float8 * power(2, d.redrives))
                        * (0.8 + random() * 0.4)) * interval '1 millisecond' END,
        updated_at = now()`;
  }

  /**
   * Claims due re-drives and runs `send` for them inside the claiming transaction: if Kafka does
   * not take them, nothing is marked and they stay due.
   */
  async redriveDue(limit: number, send: (due: DueDeadLetter[]) => Promise<void>): Promise<number> {
    return this.#prisma.$transaction(async (tx: Tx) => {
      const due = await tx.$queryRaw<
        {
          id: bigint;
          message_key: string | null;
          envelope: unknown;
          redrives: number;
          provider_event_id: string | null;
        }[]
      >`
        SELECT id, message_key, envelope, redrives, provider_event_id FROM dead_letters
        WHERE status = 'waiting' AND next_attempt_at <= now()
        ORDER BY next_attempt_at LIMIT ${limit}
        FOR UPDATE SKIP LOCKED`;
      if (due.length === 0) return 0;
      await send(
        due.map((d) => ({
          id: d.id,
          messageKey: d.message_key,
          envelope: d.envelope,
          redrives: d.redrives,
          providerEventId: d.provider_event_id,
        })),
      );
      await tx.$executeRaw`
        UPDATE dead_letters SET status = 'redriven', redrives = redrives + 1, next_attempt_at = NULL,
          updated_at = now()
        WHERE id = ANY(${due.map((d) => d.id)}::bigint[])`;
      return due.length;
    });
  }

  /** Dead letters per status (waiting, redriven, dead, resolved; absent ones are 0). */
  async countByStatus(): Promise<Record<DeadLetterStatus, number>> {
    const rows = await this.#prisma.$queryRaw<{ status: DeadLetterStatus; n: number }[]>`
      SELECT status, count(*)::int AS n FROM dead_letters GROUP BY status`;
    const counts = Object.fromEntries(DEAD_LETTER_STATUSES.map((s) => [s, 0])) as Record<
      DeadLetterStatus,
      number
    >;
    for (const r of rows) if (r.status in counts) counts[r.status] = r.n;
    return counts;
  }

  /** Re-driven dead letters whose event the processor has since applied (or skipped) are resolved. */
  async resolveApplied(): Promise<number> {
    return this.#prisma.$executeRaw`
      UPDATE dead_letters d SET status = 'resolved', updated_at = now()
      FROM payment_sync_events e
      WHERE d.status = 'redriven' AND e.workspace_id = d.workspace_id
        AND e.provider::text = d.provider AND e.provider_event_id = d.provider_event_id
        AND e.status IN ('processed', 'skipped_duplicate', 'skipped_stale', 'ignored')`;
  }
}
