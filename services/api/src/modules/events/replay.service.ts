import { TOPICS, type WebhookReceived } from '@paysync/contracts';
import type { ConnectionRepository, ConnectionView, RateLimiterFactory } from '@paysync/db';
import { AppError, ValidationError } from '@paysync/errors';
import {
  topicName,
  webhookReceivedMessage,
  type KafkaProducer,
  type OutgoingMessage,
} from '@paysync/kafka';
import type { Logger } from '@paysync/observability';
import {
  rehydrateProviderEvent,
  type BillingProvider,
  type ProviderEvent,
} from '@paysync/providers';

import type { ProviderFactory } from '../connections/connection.service.js';

import type {
  EventLogRepository,
  EventStatus,
  ReplayCandidate,
  ReplaySelection,
} from './event-log.repository.js';

type ReplayFilter = Omit<ReplaySelection, 'eventIds' | 'excludeStatuses' | 'limit'>;

export interface ReplayRequest {
  readonly workspaceId: string;
  readonly eventIds?: readonly string[] | undefined;
  readonly filter?: ReplayFilter | undefined;
  readonly dryRun: boolean;
  readonly force: boolean;
  readonly limit: number;
  /** `stored`: the payload as received; `refetch`: the object's current state from the provider. */
  readonly mode: 'stored' | 'refetch';
  readonly correlationId: string;
}

/** Provider calls per refetch replay (each waits on the account's rate limit). */
const REFETCH_MAX_EVENTS = 100;
/** Events per chunk: payloads loaded, planned and produced together. */
const CHUNK_EVENTS = 100;
/** Stored payload bytes per chunk (a chunk has at least one event, whatever its size). */
const CHUNK_BYTES = 4 * 1024 * 1024;

export interface ReplayItem {
  readonly id: string;
  readonly providerEventId: string;
  readonly type: string;
  readonly status: EventStatus;
  readonly outcome: 'would_replay' | 'replayed' | 'skipped';
  readonly reason: string | null;
}

export interface ReplayResult {
  readonly matched: number;
  readonly items: ReplayItem[];
}

/** What a replay does with each selected event, and the messages that replay them. */
interface ReplayPlan {
  readonly items: ReplayItem[];
  readonly messages: OutgoingMessage[];
}

/** One event's part of the plan: its outcome, and the message when it is replayed. */
type PlannedEvent = Pick<ReplayItem, 'outcome' | 'reason'> & { message?: OutgoingMessage };

/** Events already applied (or deliberately skipped): replayed only with `force`. */
const SETTLED: readonly EventStatus[] = [
  'processed',
  'skipped_duplicate',
  'skipped_stale',
  'ignored',
];

export interface ReplayServiceDeps {
  readonly eventLogRepository: EventLogRepository;
  readonly connectionRepository: ConnectionRepository;
  readonly providerFactory: ProviderFactory;
  /**
   * The provider account's shared bucket (the sync-runner's and recovery's): a refetch replay's
   * calls take their tokens there, not from a private limiter of their own.
   */
  readonly rateLimiterFactory: RateLimiterFactory;
  readonly kafkaProducer: KafkaProducer;
  readonly logger: Logger;
  readonly config: { readonly kafka: { readonly topicPrefix: string } };
}

/**
 * Replays stored events through the normal pipeline: each goes back on
 * `billing.webhook.received.v1` with `source: replay` and its stored payload, and the processor
 * applies it like any webhook (idempotent, version-gated: a replay never overwrites newer state).
 * Settled events are replayed only with `force`, which marks them `received` right before their
 * chunk is sent so the processor does not treat them as duplicates; when the send fails they go
 * back to their old status. Two identical concurrent replays apply once: the second copy of each
 * event reaches the processor after the first was processed and is skipped.
 *
 * A replay selects the events (without payloads), then works in chunks of at most 100 events and
 * 4 MiB of stored payload: load the chunk's payloads, plan what happens to each event (refetching
 * its object first in `refetch` mode), publish the chunk. Memory holds one chunk, not the whole
 * selection. When a send fails after earlier chunks went out, the replay stops there and reports
 * the events not sent as skipped (their status unchanged); when nothing went out, it fails.
 */
export class ReplayService {
  readonly #events: EventLogRepository;
  readonly #connections: ConnectionRepository;
  readonly #producer: KafkaProducer;
  readonly #providerFactory: ProviderFactory;
  readonly #rateLimiterFactory: RateLimiterFactory;
  readonly #topic: string;
  readonly #logger: Logger;

  constructor({
    eventLogRepository,
    connectionRepository,
    providerFactory,
    rateLimiterFactory,
    kafkaProducer,
    logger,
    config,
  }: ReplayServiceDeps) {
    this.#events = eventLogRepository;
    this.#connections = connectionRepository;
    this.#producer = kafkaProducer;
    this.#providerFactory = providerFactory;
    this.#rateLimiterFactory = rateLimiterFactory;
    this.#topic = topicName(TOPICS.webhookReceived, config.kafka.topicPrefix);
    this.#logger = logger.child({ component: 'ReplayService' });
  }

  async replay(req: ReplayRequest): Promise<ReplayResult> {
    const events = await this.#select(req);
    const connections = await this.#connections.list(req.workspaceId);
    const providerOf = this.#providerCache();
    const items: ReplayItem[] = [];
    let sent = 0;
    let failure: string | undefined;
    for (const chunk of chunks(events)) {
      if (failure !== undefined) {
        items.push(...chunk.map((e) => itemOf(e, { outcome: 'skipped', reason: failure ?? null })));
        continue;
      }
      const payloads = req.dryRun
        ? new Map<string, unknown>()
        : await this.#events.loadPayloads(
            req.workspaceId,
            chunk.map((e) => e.id),
          );
      const plan = await this.#plan(req, chunk, payloads, connections, providerOf);
      if (req.dryRun || plan.messages.length === 0) {
        items.push(...plan.items);
        continue;
      }
      try {
        await this.#publish(req, plan);
        sent += plan.messages.length;
        items.push(...plan.items);
      } catch (err) {
        if (sent === 0) throw err;
        failure = `not sent (${err instanceof AppError ? err.code : 'unexpected error'}): status unchanged, replay it again`;
        this.#logger.warn(
          {
            err,
            workspaceId: req.workspaceId,
            replayed: sent,
            notSent: events.length - items.length,
          },
          'Replay stopped: a chunk could not be sent',
        );
        items.push(
          ...plan.items.map((i) =>
            i.outcome === 'replayed'
              ? { ...i, outcome: 'skipped' as const, reason: failure ?? null }
              : i,
          ),
        );
      }
    }
    if (sent > 0)
      this.#logger.info({ workspaceId: req.workspaceId, replayed: sent }, 'Events replayed');
    return { matched: events.length, items };
  }

  /** The events the request names, oldest first; a 400 when it names none or too many. */
  async #select(req: ReplayRequest): Promise<ReplayCandidate[]> {
    if (!req.eventIds?.length && !req.filter) {
      throw new ValidationError('Name the events to replay', [
        { path: 'body', message: 'needs eventIds or filter' },
      ]);
    }
    const events = await this.#events.findForReplay(req.workspaceId, {
      ...req.filter,
      eventIds: req.eventIds,
      excludeStatuses: !req.force && req.mode === 'stored' ? SETTLED : undefined,
      limit: req.limit + 1,
    });
    if (req.mode === 'refetch' && req.limit > REFETCH_MAX_EVENTS) {
      throw new ValidationError(
        `A refetch replay calls the provider once per event: at most ${REFETCH_MAX_EVENTS}`,
        [{ path: 'body/limit', message: `at most ${REFETCH_MAX_EVENTS} with mode refetch` }],
      );
    }
    if (events.length > req.limit) {
      throw new ValidationError(
        `More than ${req.limit} events match; narrow the filter or raise limit (max 1000)`,
        [{ path: 'body/limit', message: `more than ${req.limit} events match` }],
      );
    }
    return events;
  }

  /** Decides each event's outcome in order and builds the messages of those replayed. */
  async #plan(
    req: ReplayRequest,
    events: readonly ReplayCandidate[],
    payloads: ReadonlyMap<string, unknown>,
    connections: readonly ConnectionView[],
    providerOf: (connection: ConnectionView, accountId: string | null) => Promise<BillingProvider>,
  ): Promise<ReplayPlan> {
    const plan: ReplayPlan = { items: [], messages: [] };
    for (const event of events) {
      const connection = connectionFor(event, connections);
      const { message, ...outcome } = await this.#planEvent(
        req,
        event,
        payloads.get(event.id),
        connection,
        providerOf,
      );
      plan.items.push(itemOf(event, outcome));
      if (message) plan.messages.push(message);
    }
    return plan;
  }

  async #planEvent(
    req: ReplayRequest,
    event: ReplayCandidate,
    storedPayload: unknown,
    connection: ConnectionView | undefined,
    providerOf: (connection: ConnectionView, accountId: string | null) => Promise<BillingProvider>,
  ): Promise<PlannedEvent> {
    const skipped = (reason: string) => ({ outcome: 'skipped' as const, reason });
    if (SETTLED.includes(event.status) && !req.force && req.mode === 'stored') {
      return skipped('already applied (use force)');
    }
    if (!connection) return skipped(`the workspace has no ${event.provider} connection`);
    if (req.dryRun) return { outcome: 'would_replay', reason: null };
    const stored = rehydrateProviderEvent(
      event.provider,
      {
        id: event.providerEventId,
        type: event.eventType,
        createdMs: (event.providerCreatedAt ?? event.receivedAt).getTime(),
        objectType: event.objectType,
        objectId: event.objectId,
        payload: storedPayload ?? {},
      },
      { livemode: connection.mode === 'live' },
    );
    const replayed =
      req.mode === 'refetch'
        ? await this.#refetch(
            event,
            stored,
            connection,
            await providerOf(
              connection,
              // A Connect event came through its platform's connection: asked as its account.
              event.connectionId === connection.id ? connectedAccountOf(stored, connection) : null,
            ),
          )
        : {
            ...stored,
            // The provider's original date, as the event log recorded it.
            createdMs: event.providerCreatedAt?.getTime() ?? stored.createdMs,
          };
    if (typeof replayed === 'string') return skipped(replayed);
    const webhook = replayedWebhook(event, replayed, connection.id);
    return {
      outcome: 'replayed',
      reason: null,
      message: webhookReceivedMessage(webhook, { correlationId: req.correlationId }),
    };
  }

  /**
   * Sends one chunk's messages. A refetch always goes through again (it carries new state); a
   * stored replay of a settled event only with force. Such events are reopened (`received`) just
   * before the send, since the processor skips an event it already settled, and put back to their
   * old status when the send fails, so an event whose message did not go out keeps its status.
   */
  async #publish(req: ReplayRequest, plan: ReplayPlan): Promise<void> {
    const forced = plan.items
      .filter((i) => i.outcome === 'replayed' && SETTLED.includes(i.status))
      .map((i) => ({ id: i.id, status: i.status }));
    if (forced.length > 0)
      await this.#events.reopenForReplay(
        req.workspaceId,
        forced.map((f) => f.id),
      );
    try {
      await this.#producer.send(this.#topic, plan.messages);
    } catch (err) {
      if (forced.length > 0) {
        await this.#events
          .restoreAfterFailedReplay(req.workspaceId, forced)
          .catch((e: unknown) =>
            this.#logger.error(
              { err: e, workspaceId: req.workspaceId, events: forced.map((f) => f.id) },
              'Could not restore the status of events whose replay was not sent; they stay received',
            ),
          );
      }
      throw err;
    }
  }

  /**
   * One provider client per connection (and Stripe Connect account: a connected account's object
   * is only found as that account) for the length of a replay, under the shared bucket of the
   * connection's account (a connected account's calls use the platform's key, so its bucket).
   */
  #providerCache(): (
    connection: ConnectionView,
    accountId: string | null,
  ) => Promise<BillingProvider> {
    const providers = new Map<string, BillingProvider>();
    return async (connection, accountId) => {
      const key = `${connection.id}:${accountId ?? ''}`;
      let provider = providers.get(key);
      if (!provider) {
        const decrypted = await this.#connections.getDecrypted(
          connection.workspaceId,
          connection.id,
        );
        provider = this.#providerFactory(
          accountId ? { ...decrypted, accountId } : decrypted,
          this.#rateLimiterFactory(decrypted),
        );
        providers.set(key, provider);
      }
      return provider;
    };
  }

  /**
   * The stored event rewritten by its provider's adapter with its object's current state
   * (retrieved now, dated at the retrieve). Returns why not when the event names no synced object
   * or the provider cannot answer, and when the object is not found through a connection that is
   * not the event's own (another account's 404 says nothing about this object: it must never
   * become a tombstone).
   */
  async #refetch(
    event: ReplayCandidate,
    stored: ProviderEvent,
    connection: ConnectionView,
    provider: BillingProvider,
  ): Promise<ProviderEvent | string> {
    const ctx = { workspaceId: event.workspaceId, source: 'replay' as const };
    let refetched;
    try {
      refetched = await provider.refetchEvent(stored, ctx);
    } catch (err) {
      return `the provider could not be asked: ${err instanceof AppError ? err.message : 'unexpected error'}`;
    }
    if (refetched.kind === 'skipped') return refetched.reason;
    if (refetched.deleted && event.connectionId !== connection.id) {
      return event.connectionId === null
        ? 'not found, and the event does not record its connection: not deleted'
        : `not found through connection ${connection.id}, which is not the event's own: not deleted`;
    }
    return refetched.event;
  }
}

/** The selected events in chunks of at most CHUNK_EVENTS events and CHUNK_BYTES of payload. */
function* chunks(events: readonly ReplayCandidate[]): Generator<ReplayCandidate[]> {
  let chunk: ReplayCandidate[] = [];
  let bytes = 0;
  for (const event of events) {
    if (
      chunk.length > 0 &&
      (chunk.length === CHUNK_EVENTS || bytes + event.payloadBytes > CHUNK_BYTES)
    ) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(event);
    bytes += event.payloadBytes;
  }
  if (chunk.length > 0) yield chunk;
}

function itemOf(
  event: ReplayCandidate,
  outcome: Pick<ReplayItem, 'outcome' | 'reason'>,
): ReplayItem {
  return {
    id: event.id,
    providerEventId: event.providerEventId,
    type: event.eventType,
    status: event.status,
    ...outcome,
  };
}

/**
 * The connection a replay of `event` goes through: the event's own when it still exists (even
 * deactivated: another account's answer would be wrong), else, for events stored before their
 * connection was recorded or whose connection was deleted, an active one of the provider.
 */
function connectionFor(
  event: ReplayCandidate,
  connections: readonly ConnectionView[],
): ConnectionView | undefined {
  const own = connections.find((c) => c.id === event.connectionId);
  return (
    own ??
    connections.find((c) => c.provider === event.provider && c.isActive) ??
    connections.find((c) => c.provider === event.provider)
  );
}

/**
 * The `billing.webhook.received.v1` message that replays a stored event as `replayed` (its
 * stored payload dated as the provider dated it, or the refetched one dated at its retrieve).
 */
function replayedWebhook(
  event: ReplayCandidate,
  replayed: ProviderEvent,
  connectionId: string,
): WebhookReceived {
  return {
    provider: event.provider,
    workspaceId: event.workspaceId,
    connectionId,
    receivedAt: new Date().toISOString(),
    source: 'replay',
    event: {
      id: event.providerEventId,
      type: event.eventType,
      createdMs: replayed.createdMs,
      livemode: replayed.livemode,
      accountId: replayed.accountId,
      apiVersion: replayed.apiVersion,
      objectType: event.objectType,
      objectId: event.objectId,
      payload: replayed.payload,
    },
  };
}

/** Stripe Connect: the connected account an event happened in, unless it is the connection's own. */
function connectedAccountOf(event: ProviderEvent, connection: ConnectionView): string | null {
  return event.accountId && event.accountId !== connection.providerAccountId
    ? event.accountId
    : null;
}
