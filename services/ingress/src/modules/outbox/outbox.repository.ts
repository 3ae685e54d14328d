import { webhookReceivedSchema } from '@paysync/contracts';
import { actForTenantInTransaction, type Db, type SyncWriteRepository, type Tx } from '@paysync/db';
import type { Envelope } from '@paysync/kafka';

export interface OutboxRow {
  readonly id: bigint;
  readonly topic: string;
  readonly messageKey: string;
  readonly envelope: Envelope;
  /** Failed hand-offs so far. */
  readonly attempts: number;
}

/** What `publish` did with the rows it was given, in id order. */
export interface PublishOutcome {
  /** Rows Kafka acknowledged (deleted). */
  readonly sent: readonly bigint[];
  /** The first row Kafka refused for good; the rows after it wait for the next drain. */
  readonly rejected?: { readonly id: bigint; readonly reason: string; readonly message: string };
  /** A transient failure: the rows not sent stay, their attempts counted. */
  readonly error?: unknown;
}

interface QuarantinedRow {
  readonly id: bigint;
  readonly reason: string;
  readonly workspaceId: string | undefined;
  readonly eventId: string | undefined;
  readonly bytes: number;
}

export interface DrainResult {
  readonly moved: number;
  readonly quarantined: readonly QuarantinedRow[];
  /** A row Kafka refused that has not failed `maxAttempts` times yet. */
  readonly held: boolean;
  readonly error?: unknown;
}

export interface DrainLimits {
  readonly rows: number;
  /** Bound on the rows' envelope bytes (the first row is always taken). */
  readonly bytes: number;
  /** A row Kafka refuses is quarantined once it has failed this many times. */
  readonly maxAttempts: number;
}

export interface OutboxRepositoryDeps {
  readonly prisma: Db;
  /** The event log's one writer: a quarantined row becomes a `dead` event through it. */
  readonly syncWriteRepository: SyncWriteRepository;
}

/** The ingress outbox (`webhook_outbox`): verified events waiting for Kafka, in id order. */
export class OutboxRepository {
  readonly #prisma: Db;
  readonly #eventLog: SyncWriteRepository;

  constructor({ prisma, syncWriteRepository }: OutboxRepositoryDeps) {
    this.#prisma = prisma;
    this.#eventLog = syncWriteRepository;
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
   * Hands the oldest rows (at most `limits.rows`, and `limits.bytes` of envelopes) to `publish`
   * and, in one transaction under an advisory lock (one relay at a time across replicas, so the
   * order holds): deletes the rows it sent; counts a failed attempt (with its error) on the rows
   * it did not; and quarantines a row Kafka refused for good once it has failed
   * `limits.maxAttempts` times: the event goes to the event log as `dead` with error class
   * `KAFKA_MESSAGE_REJECTED` and the broker's reason (so `/webhooks/failed` lists it and a replay
   * can take it up) and leaves the outbox, so the rows behind it move on.
   */
  async drain(
    limits: DrainLimits,
    publish: (rows: readonly OutboxRow[]) => Promise<PublishOutcome>,
  ): Promise<DrainResult> {
    return this.#prisma.$transaction(
      async (tx) => {
        const [lock] = await tx.$queryRaw<
          { locked: boolean }[]
        >`SELECT pg_try_advisory_xact_lock(72707369002) AS locked`;
        if (!lock?.locked) return { moved: 0, quarantined: [], held: false };
        const rows = await tx.$queryRaw<
          {
            id: bigint;
            topic: string;
            message_key: string;
            envelope: Envelope;
            attempts: number;
            bytes: number;
          }[]
        >`
          SELECT id, topic, message_key, envelope, attempts, bytes FROM (
            SELECT id, topic, message_key, envelope, attempts,
                   octet_length(envelope::text) AS bytes,
                   sum(octet_length(envelope::text)) OVER (ORDER BY id) AS running
              FROM webhook_outbox ORDER BY id LIMIT ${limits.rows}) r
           WHERE running - bytes < ${limits.bytes} ORDER BY id`;
        if (rows.length === 0) return { moved: 0, quarantined: [], held: false };
        let outcome: PublishOutcome;
        try {
          outcome = await publish(
            rows.map((r) => ({
              id: r.id,
              topic: r.topic,
              messageKey: r.message_key,
              envelope: r.envelope,
              attempts: r.attempts,
            })),
          );
        } catch (error) {
          outcome = { sent: [], error };
        }
        const sent = new Set(outcome.sent);
        if (sent.size > 0) {
          await tx.$executeRaw`DELETE FROM webhook_outbox WHERE id = ANY(${[...sent]})`;
        }
        const quarantined: QuarantinedRow[] = [];
        let held = false;
        const { rejected } = outcome;
        const row = rejected && rows.find((r) => r.id === rejected.id);
        if (rejected && row) {
          if (row.attempts + 1 >= limits.maxAttempts) {
            quarantined.push(
              await quarantine(tx, this.#eventLog, row, rejected.reason, rejected.message),
            );
          } else {
            held = true;
            await tx.$executeRaw`UPDATE webhook_outbox SET attempts = attempts + 1,
              last_error = ${`${rejected.reason}: ${rejected.message}`.slice(0, 500)} WHERE id = ${row.id}`;
          }
        } else if (outcome.error !== undefined) {
          const failed = rows.filter((r) => !sent.has(r.id)).map((r) => r.id);
          await tx.$executeRaw`UPDATE webhook_outbox SET attempts = attempts + 1, last_error = ${String(
            (outcome.error as Error).message,
          ).slice(0, 500)} WHERE id = ANY(${failed})`;
        }
        return {
          moved: sent.size,
          quarantined,
          held,
          ...(outcome.error !== undefined && { error: outcome.error }),
        };
      },
      { timeout: 60_000 },
    );
  }
}

/** Moves one outbox row to the event log as a dead event (or, unreadable, keeps it as is). */
async function quarantine(
  tx: Tx,
  eventLog: SyncWriteRepository,
  row: { id: bigint; envelope: Envelope; bytes: number },
  reason: string,
  message: string,
): Promise<QuarantinedRow> {
  const parsed = webhookReceivedSchema.safeParse(row.envelope.payload);
  const lastError = `${reason}: ${message} (${row.bytes} bytes)`.slice(0, 2000);
  if (parsed.success) {
    const m = parsed.data;
    // The outbox has no tenant (its rows carry theirs in the envelope); the event log row is
    // written on behalf of the event's workspace (row-level security).
    await actForTenantInTransaction(tx, m.workspaceId);
    await eventLog.recordRejected(
      tx,
      {
        workspaceId: m.workspaceId,
        provider: m.provider,
        providerEventId: m.event.id,
        eventType: m.event.type,
        source: m.source,
        objectType: m.event.objectType,
        objectId: m.event.objectId,
        payload: m.event.payload,
        providerCreatedAt: new Date(m.event.createdMs),
        receivedAt: new Date(m.receivedAt),
        connectionId: m.connectionId,
      },
      { lastError, errorClass: 'KAFKA_MESSAGE_REJECTED' },
    );
  }
  await tx.$executeRaw`DELETE FROM webhook_outbox WHERE id = ${row.id}`;
  return {
    id: row.id,
    reason,
    workspaceId: parsed.data?.workspaceId,
    eventId: parsed.data?.event.id,
    bytes: row.bytes,
  };
}
