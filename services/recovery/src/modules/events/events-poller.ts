import { TOPICS, type ProviderName } from '@paysync/contracts';
import {
  withTenant,
  type ConnectionRepository,
  type ConnectionView,
  type RateLimiterFactory,
} from '@paysync/db';
import { webhookReceivedMessage, topicName, type KafkaProducer } from '@paysync/kafka';
import type { Logger } from '@paysync/observability';
import {
  supportedProviders,
  type BillingProvider,
  type ProviderEvent,
  type ProviderFactory,
} from '@paysync/providers';

import { AppError } from '@paysync/errors';

import type { EventCursorRepository, EventListingResume } from './event-cursor.repository.js';
import type { RecoveryMetrics } from '../heartbeats/recovery.metrics.js';

export interface EventsPollerDeps {
  readonly connectionRepository: ConnectionRepository;
  readonly eventCursorRepository: EventCursorRepository;
  readonly providerFactory: ProviderFactory;
  readonly rateLimiterFactory: RateLimiterFactory;
  readonly kafkaProducer: KafkaProducer;
  readonly recoveryMetrics: RecoveryMetrics;
  readonly logger: Logger;
  readonly config: {
    readonly kafka: { readonly topicPrefix: string };
    readonly recovery: {
      /** Events younger than this are still in flight by webhook: checked next time. */
      readonly eventsGraceMs: number;
      /** How far back the first poll of a connection looks (seconds). */
      readonly eventsLookbackSeconds: number;
    };
  };
}

/** Re-read this much before the cursor: events of one second can be listed late. */
const OVERLAP_SECONDS = 60;
/** Events listed per connection and pass; a longer listing resumes on the next pass. */
export const MAX_EVENTS_PER_PASS = 10_000;
const REMEMBERED = 50_000;
const CONNECTION_PAGE = 100;
/** The providers offered to workspaces (the registry in @paysync/providers says which). */
const SUPPORTED_PROVIDERS = supportedProviders();

/**
 * Event gap detection: lists each active connection's provider events (the provider's event
 * log, through its adapter's `listEvents`) since its cursor and looks them up in the event log; an event no webhook delivered is handed to
 * the normal pipeline (`billing.webhook.received.v1`, source `reconcile`), where it is applied
 * exactly like a webhook (deduplicated, version-gated). `paysync_events_gap_total` counts them.
 * The cursor only moves past events older than the grace period, so an event still on its way by
 * webhook is not taken for a gap; events published but not yet processed are remembered and not
 * published twice.
 *
 * Nothing here assumes an order (Stripe lists newest first, Chargebee oldest first). A pass reads
 * at most `MAX_EVENTS_PER_PASS` events of a connection; when more were created since the cursor,
 * the pass stores the provider cursor it stopped at and the next pass continues from there, to
 * the end of the listing, before the cursor moves (to the newest event the whole listing
 * checked). Nothing since the cursor is skipped.
 */
export class EventsPoller {
  readonly #connections: ConnectionRepository;
  readonly #cursors: EventCursorRepository;
  readonly #providerFactory: ProviderFactory;
  readonly #rateLimiterFactory: RateLimiterFactory;
  readonly #producer: KafkaProducer;
  readonly #topic: string;
  readonly #metrics: RecoveryMetrics;
  readonly #graceMs: number;
  readonly #lookbackSeconds: number;
  readonly #logger: Logger;
  readonly #published = new Set<string>();

  constructor({
    connectionRepository,
    eventCursorRepository,
    providerFactory,
    rateLimiterFactory,
    kafkaProducer,
    recoveryMetrics,
    logger,
    config,
  }: EventsPollerDeps) {
    this.#connections = connectionRepository;
    this.#cursors = eventCursorRepository;
    this.#providerFactory = providerFactory;
    this.#rateLimiterFactory = rateLimiterFactory;
    this.#producer = kafkaProducer;
    this.#topic = topicName(TOPICS.webhookReceived, config.kafka.topicPrefix);
    this.#metrics = recoveryMetrics;
    this.#graceMs = config.recovery.eventsGraceMs;
    this.#lookbackSeconds = config.recovery.eventsLookbackSeconds;
    this.#logger = logger.child({ component: 'EventsPoller' });
  }

  /**
   * One pass over every active connection of every supported provider (a provider whose adapter
   * cannot list events is skipped).
   */
  async poll(): Promise<{
    connections: number;
    checked: number;
    recovered: number;
    failed: number;
  }> {
    const totals = { connections: 0, checked: 0, recovered: 0, failed: 0 };
    for (const provider of SUPPORTED_PROVIDERS) {
      for await (const connection of this.#activeConnections(provider)) {
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
    }
    if (totals.failed > 0 && totals.failed === totals.connections)
      throw new Error(`event gap check failed for all ${totals.failed} connections`);
    return totals;
  }

  /**
   * One pass over a connection: lists (part of) its events since the cursor and publishes the
   * gaps. `more` is true when the listing continues on the next pass.
   */
  pollConnection(
    view: ConnectionView,
  ): Promise<{ checked: number; recovered: number; more: boolean }> {
    // On behalf of the connection's workspace (row-level security).
    return withTenant(view.workspaceId, () => this.#pollConnection(view));
  }

  async #pollConnection(
    view: ConnectionView,
  ): Promise<{ checked: number; recovered: number; more: boolean }> {
    const connection = await this.#connections.getDecrypted(view.workspaceId, view.id);
    const provider = this.#providerFactory(connection, this.#rateLimiterFactory(connection));
    const listEvents = provider.listEvents?.bind(provider);
    if (!listEvents) return { checked: 0, recovered: 0, more: false };
    const horizon = Math.floor((Date.now() - this.#graceMs) / 1000);
    const saved = await this.#cursors.cursor(view.id);
    const since = saved?.lastCreated ?? Math.floor(Date.now() / 1000) - this.#lookbackSeconds;
    const resume = saved?.resume ?? null;
    let listing: { events: ProviderEvent[]; next: string | null };
    try {
      listing = await this.#listSettled(listEvents, since, horizon, resume?.after ?? null);
    } catch (err) {
      if (resume && err instanceof AppError && !err.retryable) {
        // The resume point is gone (the provider keeps events 30 days): list again from the top.
        await this.#cursors.record({
          configurationId: view.id,
          workspaceId: view.workspaceId,
          since,
          resume: null,
          checked: 0,
          recovered: 0,
        });
      }
      throw err;
    }
    const { events, next } = listing;
    const known = await this.#cursors.knownEventIds(
      view.workspaceId,
      view.provider,
      events.map((e) => e.id),
    );
    const gaps = events
      .filter((e) => !known.has(e.id) && !this.#published.has(`${view.id}:${e.id}`))
      .sort((a, b) => a.createdMs - b.createdMs);
    if (gaps.length > 0) await this.#publishGaps(view, gaps);
    this.#metrics.eventsChecked.inc({ provider: view.provider }, events.length);
    const top = events.reduce(
      (max, e) => Math.max(max, Math.floor(e.createdMs / 1000)),
      resume?.top ?? since,
    );
    const progress: EventListingResume | null = next ? { after: next, top } : null;
    await this.#cursors.record({
      configurationId: view.id,
      workspaceId: view.workspaceId,
      since,
      lastCreated: progress ? undefined : Math.min(top, horizon),
      resume: progress,
      checked: events.length,
      recovered: gaps.length,
    });
    return { checked: events.length, recovered: gaps.length, more: progress !== null };
  }

  /**
   * The provider's events since `since` (in the provider's order, from `after` when resuming), at most
   * `MAX_EVENTS_PER_PASS` listed, keeping those old enough to have arrived by webhook; `next` is
   * where the listing continues, null when it reached its end.
   */
  async #listSettled(
    listEvents: NonNullable<BillingProvider['listEvents']>,
    since: number,
    horizon: number,
    after: string | null,
  ): Promise<{ events: ProviderEvent[]; next: string | null }> {
    const events: ProviderEvent[] = [];
    let listed = 0;
    let cursor = after;
    do {
      const page = await listEvents({ createdGte: since - OVERLAP_SECONDS, cursor });
      listed += page.listed;
      for (const e of page.events) if (e.createdMs / 1000 <= horizon) events.push(e);
      cursor = page.nextCursor;
    } while (cursor && listed < MAX_EVENTS_PER_PASS);
    return { events, next: cursor };
  }

  /** Hands events no webhook delivered to the normal pipeline (source `reconcile`). */
  async #publishGaps(view: ConnectionView, gaps: readonly ProviderEvent[]): Promise<void> {
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

  async *#activeConnections(provider: ProviderName): AsyncGenerator<ConnectionView> {
    let after: string | null = null;
    for (;;) {
      const batch = await this.#connections.listActive(provider, after, CONNECTION_PAGE);
      yield* batch;
      if (batch.length < CONNECTION_PAGE) return;
      after = batch.at(-1)?.id ?? null;
    }
  }

  #remember(key: string): void {
    this.#published.add(key);
    if (this.#published.size > REMEMBERED) {
      const oldest = this.#published.values().next().value;
      if (oldest !== undefined) this.#published.delete(oldest);
    }
  }
}
