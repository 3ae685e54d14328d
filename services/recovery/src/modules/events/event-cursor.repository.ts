import type { ProviderName } from '@paysync/contracts';
import type { Db } from '@paysync/db';

export interface EventCursorRepositoryDeps {
  readonly prisma: Db;
}

/** One poll of a connection's provider events, added to its cursor row. */
export interface EventPollOutcome {
  readonly configurationId: string;
  readonly workspaceId: string;
  /** The newest event time (provider seconds) the poll may move the cursor to. */
  readonly lastCreated: number;
  readonly checked: number;
  readonly recovered: number;
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

  /** The connection's cursor (provider seconds); undefined before its first poll. */
  async lastCreated(configurationId: string): Promise<number | undefined> {
    const rows = await this.#prisma.$queryRaw<{ last_created: bigint }[]>`
      SELECT last_created FROM provider_event_cursors WHERE configuration_id = ${configurationId}::uuid`;
    return rows[0] ? Number(rows[0].last_created) : undefined;
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

  /** Records a poll: the cursor only moves forward; the counters add up. */
  async record(outcome: EventPollOutcome): Promise<void> {
    await this.#prisma.$executeRaw`
      INSERT INTO provider_event_cursors (configuration_id, workspace_id, last_created, checked, recovered, updated_at)
      VALUES (${outcome.configurationId}::uuid, ${outcome.workspaceId}::uuid, ${outcome.lastCreated},
              ${outcome.checked}, ${outcome.recovered}, now())
      ON CONFLICT (configuration_id) DO UPDATE SET
        last_created = GREATEST(provider_event_cursors.last_created, EXCLUDED.last_created),
        checked = provider_event_cursors.checked + EXCLUDED.checked,
        recovered = provider_event_cursors.recovered + EXCLUDED.recovered,
        updated_at = now()`;
  }
}
