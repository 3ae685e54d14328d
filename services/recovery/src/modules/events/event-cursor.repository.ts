import type { ProviderName } from '@paysync/contracts';
import type { Db } from '@paysync/db';

export interface EventCursorRepositoryDeps {
  readonly prisma: Db;
}

/** One poll of a connection's provider events, added to its cursor row. */
export interface EventPollOutcome {
  readonly configurationId: string;
  readonly workspaceId: string;
  /**
   * The newest event time (provider seconds) the poll may move the cursor to; unset while a
   * listing is unfinished (the cursor stays where the listing started).
   */
  readonly lastCreated?: number | undefined;
  /** Where the next pass resumes an unfinished listing; null: the listing ended. */
  readonly resume: EventListingResume | null;
  readonly checked: number;
  readonly recovered: number;
}

/** An unfinished listing: continue after `after`; `top` is the newest event time it checked. */
export interface EventListingResume {
  readonly after: string;
  readonly top: number;
}

/** A connection's cursor row as the poller reads it. */
export interface EventCursor {
  /** Provider seconds; the listing reads events created since then (with an overlap). */
  readonly lastCreated: number;
  readonly resume: EventListingResume | null;
}

/**
 * `provider_event_cursors` (its one writer): how far the events gap poller has read each
 * connection's provider event list, and what it found. Also answers which listed events the
 * event log already holds.
 */
export class EventCursorRepository {
  readonly #prisma: Db;

  constructor({ prisma }: EventCursorRepositoryDeps) {
    this.#prisma = prisma;
  }

  /** The connection's cursor; undefined before its first poll. */
  async cursor(configurationId: string): Promise<EventCursor | undefined> {
    const rows = await this.#prisma.$queryRaw<
      { last_created: bigint; resume_after: string | null; resume_top: bigint | null }[]
    >`
      SELECT last_created, resume_after, resume_top FROM provider_event_cursors
       WHERE configuration_id = ${configurationId}::uuid`;
    const row = rows[0];
    if (!row) return undefined;
    return {
      lastCreated: Number(row.last_created),
      resume:
        row.resume_after === null
          ? null
          : { after: row.resume_after, top: Number(row.resume_top ?? row.last_created) },
    };
  }

  /** Which of `eventIds` the event log (`payment_sync_events`) already has for the workspace. */
  async knownEventIds(
    workspaceId: string,
    provider: ProviderName,
    eventIds: readonly string[],
  ): Promise<Set<string>> {
    if (eventIds.length === 0) return new Set();
    const rows = await this.#prisma.$queryRaw<{ provider_event_id: string }[]>`
      SELECT provider_event_id FROM payment_sync_events
       WHERE workspace_id = ${workspaceId}::uuid AND provider = ${provider}::payment_provider
         AND provider_event_id = ANY(${[...eventIds]}::text[])`;
    return new Set(rows.map((r) => r.provider_event_id));
  }

  /**
   * Records a poll: the cursor only moves forward; the resume point is replaced (cleared when
   * the listing ended); the counters add up. A first poll that leaves its listing unfinished
   * starts the cursor at `since`.
   */
  async record(outcome: EventPollOutcome & { readonly since: number }): Promise<void> {
    const lastCreated = outcome.lastCreated ?? outcome.since;
    await this.#prisma.$executeRaw`
      INSERT INTO provider_event_cursors (configuration_id, workspace_id, last_created, checked,
                                          recovered, resume_after, resume_top, updated_at)
      VALUES (${outcome.configurationId}::uuid, ${outcome.workspaceId}::uuid, ${lastCreated},
              ${outcome.checked}, ${outcome.recovered}, ${outcome.resume?.after ?? null},
              ${outcome.resume?.top ?? null}, now())
      ON CONFLICT (configuration_id) DO UPDATE SET
        last_created = GREATEST(provider_event_cursors.last_created, EXCLUDED.last_created),
        checked = provider_event_cursors.checked + EXCLUDED.checked,
        recovered = provider_event_cursors.recovered + EXCLUDED.recovered,
        resume_after = EXCLUDED.resume_after,
        resume_top = EXCLUDED.resume_top,
        updated_at = now()`;
  }
}
