import { TOPICS } from '@paysync/contracts';
import {
  PgRateLimiter,
  type ConnectionRepository,
  type ConnectionView,
  type Db,
} from '@paysync/db';
import { webhookReceivedMessage, topicName, type KafkaProducer } from '@paysync/kafka';
import type { Logger } from '@paysync/observability';
import { connectionRateLimit, type ProviderEvent } from '@paysync/providers';

import type { RecoveryMetrics } from '../heartbeats/recovery.metrics.js';
import type { ProviderFactory } from '../reconciliation/reconciler.js';

export interface EventsPollerSettings {
  /** Events younger than this are still in flight by webhook: checked next time. */
  readonly graceMs: number;
  /** How far back the first poll of a connection looks (seconds). */
  readonly lookbackSeconds: number;
}

/** Re-read this much before the cursor: events of one second can be listed late. */
const OVERLAP_SECONDS = 60;
const MAX_EVENTS_PER_CONNECTION = 10_000;
const REMEMBERED = 50_000;

/**
 * Event gap detection: lists each active connection's provider events (Stripe `/v1/events`)
 * since its cursor and looks them up in the event log; an event no webhook delivered is handed to
 * the normal pipeline (`billing.webhook.received.v1`, source `reconcile`), where it is applied
 * exactly like a webhook (deduplicated, version-gated). `paysync_events_gap_total` counts them.
 * The cursor only moves past events older than the grace period, so an event still on its way by
 * webhook is not taken for a gap; events published but not yet processed are remembered and not
 * published twice.
 */
export class EventsPoller {
  readonly #prisma: Db;
  readonly #connections: ConnectionRepository;
  readonly #providerFactory: ProviderFactory;
  readonly #producer: KafkaProducer;
  readonly #topic: string;
  readonly #metrics: RecoveryMetrics;
  readonly #settings: EventsPollerSettings;
  readonly #logger: Logger;
  readonly #published = new Set<string>();

  constructor(deps: {
    prisma: Db;
    connectionRepository: ConnectionRepository;
    providerFactory: ProviderFactory;
    kafkaProducer: KafkaProducer;
    topicPrefix: string;
    recoveryMetrics: RecoveryMetrics;
    settings: EventsPollerSettings;
    logger: Logger;
  }) {
    this.#prisma = deps.prisma;
    this.#connections = deps.connectionRepository;
    this.#providerFactory = deps.providerFactory;
    this.#producer = deps.kafkaProducer;
    this.#topic = topicName(TOPICS.webhookReceived, deps.topicPrefix);
    this.#metrics = deps.recoveryMetrics;
    this.#settings = deps.settings;
    this.#logger = deps.logger.child({ component: 'EventsPoller' });
  }

  /** One pass over every active Stripe connection. */
  async poll(): Promise<{
    connections: number;
    checked: number;
    recovered: number;
    failed: number;
  }> {
    const totals = { connections: 0, checked: 0, recovered: 0, failed: 0 };
    let after: string | null = null;
    for (;;) {
      const batch = await this.#connections.listActive('stripe', after, 100);
      for (const connection of batch) {
        if (connection.settings.eventsPolling === false) continue;
        totals.connections++;
        try {
          const { checked, recovered } = await this.pollConnection(connection);
          totals.checked += checked;
          totals.recovered += recovered;
        } catch (err) {
          totals.failed++;
          this.#logger.warn(
            { err, connectionId: connection.id, workspaceId: connection.workspaceId },
            'Event gap check failed for a connection; will retry next poll',
          );
        }
      }
      if (batch.length < 100) break;
      after = batch.at(-1)?.id ?? null;
    }
    if (totals.failed > 0 && totals.failed === totals.connections)
      throw new Error(`event gap check failed for all ${totals.failed} connections`);
    return totals;
  }

  async pollConnection(view: ConnectionView): Promise<{ checked: number; recovered: number }> {
    const connection = await this.#connections.getDecrypted(view.workspaceId, view.id);
    const provider = this.#providerFactory(
      connection,
      new PgRateLimiter({ prisma: this.#prisma, ...connectionRateLimit(connection) }),
    );
    if (!provider.listEvents) return { checked: 0, recovered: 0 };
    const nowSeconds = Math.floor(Date.now() / 1000);
    const horizon = Math.floor((Date.now() - this.#settings.graceMs) / 1000);
    const cursorRows = await this.#prisma.$queryRaw<{ last_created: bigint }[]>`
      SELECT last_created FROM provider_event_cursors WHERE configuration_id = ${view.id}::uuid`;
    const since = cursorRows[0]
      ? Number(cursorRows[0].last_created)
      : nowSeconds - this.#settings.lookbackSeconds;

    // Newest first from the provider; keep what is old enough to have arrived by webhook.
    const events: ProviderEvent[] = [];
    let listed = 0;
    let cursor: string | null = null;
    do {
      const page = await provider.listEvents({ createdGte: since - OVERLAP_SECONDS, cursor });
      listed += page.listed;
      for (const e of page.events) if (e.createdMs / 1000 <= horizon) events.push(e);
      cursor = page.nextCursor;
    } while (cursor && listed < MAX_EVENTS_PER_CONNECTION);

    const known = new Set(
      events.length === 0
        ? []
        : (
            await this.#prisma.$queryRaw<{ provider_event_id: string }[]>`
              SELECT provider_event_id FROM payment_sync_events
               WHERE workspace_id = ${view.workspaceId}::uuid AND provider = 'stripe'
                 AND provider_event_id = ANY(${events.map((e) => e.id)}::text[])`
          ).map((r) => r.provider_event_id),
    );
    const gaps = events
      .filter((e) => !known.has(e.id) && !this.#published.has(`${view.id}:${e.id}`))
      .sort((a, b) => a.createdMs - b.createdMs);
    if (gaps.length > 0) {
      const receivedAt = new Date().toISOString();
      await this.#producer.send(
        this.#topic,
        gaps.map(({ provider: _provider, ...event }) =>
          webhookReceivedMessage({
            provider: view.provider,
            workspaceId: view.workspaceId,
            connectionId: view.id,
            receivedAt,
            source: 'reconcile',
            event,
          }),
        ),
      );
      for (const e of gaps) this.#remember(`${view.id}:${e.id}`);
      this.#metrics.eventsGap.inc({ provider: view.provider }, gaps.length);
      this.#logger.warn(
        {
          connectionId: view.id,
          workspaceId: view.workspaceId,
          count: gaps.length,
          eventIds: gaps.slice(0, 10).map((e) => e.id),
        },
        'Events that never arrived by webhook were applied from the provider event list',
      );
    }
    this.#metrics.eventsChecked.inc({ provider: view.provider }, events.length);
    const newest = Math.max(since, ...events.map((e) => Math.floor(e.createdMs / 1000)));
    await this.#prisma.$executeRaw`
      INSERT INTO provider_event_cursors (configuration_id, workspace_id, last_created, checked, recovered, updated_at)
      VALUES (${view.id}::uuid, ${view.workspaceId}::uuid, ${Math.min(newest, horizon)}, ${events.length}, ${gaps.length}, now())
      ON CONFLICT (configuration_id) DO UPDATE SET
        last_created = GREATEST(provider_event_cursors.last_created, EXCLUDED.last_created),
        checked = provider_event_cursors.checked + EXCLUDED.checked,
        recovered = provider_event_cursors.recovered + EXCLUDED.recovered,
        updated_at = now()`;
    return { checked: events.length, recovered: gaps.length };
  }

  #remember(key: string): void {
    this.#published.add(key);
    if (this.#published.size > REMEMBERED) {
      const oldest = this.#published.values().next().value;
      if (oldest !== undefined) this.#published.delete(oldest);
    }
  }
}
