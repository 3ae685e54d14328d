import type { CanonicalChange, WebhookReceived } from '@paysync/contracts';
import {
  isTransientDbError,
  type ConnectionRepository,
  type EventRecord,
  type ProviderRateLimiter,
  type RateLimiterFactory,
  type SyncWriteRepository,
  withTenant,
} from '@paysync/db';
import { AppError, ProviderError, isRetryable } from '@paysync/errors';
import {
  errorClassOf,
  errorMessageOf,
  type HandlerFailure,
  type RoutedMessage,
  type ValidMessage,
} from '@paysync/kafka';
import { linkTo, withSpan, type Logger, type TraceContext } from '@paysync/observability';
import {
  mapProviderEvent,
  type BillingProvider,
  type ProviderEvent,
  type ProviderFactory,
} from '@paysync/providers';

import { eventTypeLabel, type ProcessorMetrics } from './processor.metrics.js';

/** A failure that may clear by itself (database or Kafka down, provider 5xx/429): pause, retry. */
export function isTransient(err: unknown): boolean {
  return isRetryable(err) || isTransientDbError(err);
}

/**
 * Our own infrastructure (PostgreSQL, Kafka) is down: every event of the batch would fail alike,
 * so the batch pauses and is retried as a whole. A provider that cannot be reached while one
 * event is being resolved (a tie's re-fetch) is that event's problem, and one tenant's provider
 * outage must not stall the partition for everyone: the event goes to the retry tiers, then the
 * DLQ, where the recovery service re-drives it automatically with backoff.
 */
function isInfrastructureOutage(err: unknown): boolean {
  if (err instanceof AppError) return err.retryable && !err.code.startsWith('PROVIDER_');
  return isTransientDbError(err);
}

/** A webhook as the consumer hands it over: validated against its schema. */
export type WebhookMessage = ValidMessage<WebhookReceived>;

interface Item {
  readonly received: WebhookMessage;
  readonly webhook: WebhookReceived;
  readonly event: EventRecord;
  changes: readonly CanonicalChange[];
}

type Failure = HandlerFailure<WebhookReceived>;

/** Where a batch comes from, which decides how long a tie's re-fetch may take. */
export interface BatchOptions {
  /**
   * `inline`: the webhook topic, where every tenant's events queue behind the batch; a re-fetch
   * gets one short attempt (`PROCESSOR_INLINE_FETCH_TIMEOUT_MS`) and a provider that does not
   * answer in time sends the event to the retry tier. `retry`: a retry tier, consumed apart from
   * the webhook topic; the provider client's full budget.
   */
  readonly fetch: 'inline' | 'retry';
  /**
   * The consumer spans of the partitions whose batches make up `messages` (BatchCoalescer): the
   * apply span is the child of the first and links the others. Default: the active context.
   */
  readonly traces?: readonly TraceContext[];
}

/** A batch's re-fetch budget, and the connections whose provider already failed in it. */
interface FetchBudget {
  readonly factory: ProviderFactory;
  /**
   * Longest wait for a token of the shared bucket (inline: the re-fetch timeout, after which the
   * event goes to the retry tier instead of holding the partition); undefined: no bound.
   */
  readonly maxTokenWaitMs: number | undefined;
  /** Connections skipped for the rest of an inline batch (straight to the retry tier). */
  readonly unavailable: Set<string> | undefined;
}

export interface EventProcessingServiceDeps {
  readonly syncWriteRepository: SyncWriteRepository;
  readonly connectionRepository: ConnectionRepository;
  /** Provider clients with the full retry budget (retry tiers). */
  readonly providerFactory: ProviderFactory;
  /** Provider clients with one short attempt (a tie on an event's first delivery). */
  readonly inlineProviderFactory: ProviderFactory;
  /**
   * The provider account's shared bucket in PostgreSQL (the sync-runner's and recovery's): a
   * re-fetch takes its token there, not from a private limiter of its own.
   */
  readonly rateLimiterFactory: RateLimiterFactory;
  readonly processorMetrics: ProcessorMetrics;
  readonly logger: Logger;
  readonly config: {
    readonly processor: { readonly refetchTies: boolean; readonly inlineFetchTimeoutMs: number };
  };
}

/**
 * Maps and applies a batch of webhook events: event log + version-gated writes in one
 * transaction, ties resolved by re-fetching. Events that cannot be applied are returned; the
 * consumer's failure policy (libs/kafka) sends them to the retry tiers or the DLQ and then calls
 * `recordFailures`. Transient failures are thrown, and the consumer pauses and retries the whole
 * batch (the writes are idempotent, so a partial first attempt is harmless).
 */
export class EventProcessingService {
  readonly #repo: SyncWriteRepository;
  readonly #connections: ConnectionRepository;
  readonly #providerFactory: ProviderFactory;
  readonly #inlineProviderFactory: ProviderFactory;
  readonly #rateLimiterFactory: RateLimiterFactory;
  readonly #metrics: ProcessorMetrics;
  readonly #logger: Logger;
  readonly #refetchTies: boolean;
  readonly #inlineFetchTimeoutMs: number;

  constructor({
    syncWriteRepository,
    connectionRepository,
    providerFactory,
    inlineProviderFactory,
    rateLimiterFactory,
    processorMetrics,
    logger,
    config,
  }: EventProcessingServiceDeps) {
    this.#repo = syncWriteRepository;
    this.#connections = connectionRepository;
    this.#providerFactory = providerFactory;
    this.#inlineProviderFactory = inlineProviderFactory;
    this.#rateLimiterFactory = rateLimiterFactory;
    this.#metrics = processorMetrics;
    this.#logger = logger.child({ component: 'EventProcessing' });
    this.#refetchTies = config.processor.refetchTies;
    this.#inlineFetchTimeoutMs = config.processor.inlineFetchTimeoutMs;
  }

  /** Maps and applies `messages`; returns the events that failed (not the transient failures). */
  async processBatch(
    messages: readonly WebhookMessage[],
    { fetch, traces = [] }: BatchOptions = { fetch: 'inline' },
  ): Promise<Failure[]> {
    const budget: FetchBudget =
      fetch === 'inline'
        ? {
            factory: this.#inlineProviderFactory,
            maxTokenWaitMs: this.#inlineFetchTimeoutMs,
            unavailable: new Set(),
          }
        : { factory: this.#providerFactory, maxTokenWaitMs: undefined, unavailable: undefined };
    const [parent, ...others] = traces;
    const links = others.map((t) => linkTo(t)).filter((l) => l !== undefined);
    return withSpan(
      'processor.apply_batch',
      {
        attributes: { 'messaging.batch.message_count': messages.length },
        ...(parent && { parent }),
        ...(links.length > 0 && { links }),
      },
      async (span) => {
        const failures = await this.#processBatch(messages, budget);
        span.setAttribute('paysync.processor.failed_count', failures.length);
        return failures;
      },
    );
  }

  async #processBatch(
    messages: readonly WebhookMessage[],
    budget: FetchBudget,
  ): Promise<Failure[]> {
    const started = performance.now();
    const items: Item[] = [];
    const failures: Failure[] = [];
    // A provider may deliver one event twice in quick succession (Chargebee says so): the copies
    // can meet in one batch, where the event log's bulk insert cannot take one key twice
    // (PostgreSQL refuses the whole statement). The first copy stands for them all.
    const inBatch = new Set<string>();
    for (const received of messages) {
      const item = toItem(received);
      const key = `${item.webhook.workspaceId}\u0000${item.webhook.provider}\u0000${item.webhook.event.id}`;
      if (inBatch.has(key)) {
        this.#count(item, 'skipped_duplicate', Date.now());
        continue;
      }
      inBatch.add(key);
      try {
        const mapped = mapProviderEvent(toProviderEvent(item.webhook), {
          workspaceId: item.webhook.workspaceId,
          source: item.webhook.source,
        });
        item.changes = mapped.kind === 'changes' ? ofAccount(mapped.changes, item.webhook) : [];
        items.push(item);
      } catch (error) {
        failures.push({ received, error });
      }
    }
    // Row-level security: each workspace's events are applied on its behalf, one bulk each.
    for (const [workspaceId, group] of byWorkspace(items, (i) => i.webhook.workspaceId)) {
      failures.push(...(await withTenant(workspaceId, () => this.#apply(group, budget))));
    }
    this.#metrics.batchSize.observe(messages.length);
    this.#metrics.batchSeconds.observe((performance.now() - started) / 1000);
    return failures;
  }

  /**
   * After the failure policy produced failed events to their retry tier or the DLQ: the event log
   * says `failed` (another attempt is coming) or `dead`, with the attempt and the error.
   */
  async recordFailures(routed: readonly RoutedMessage<WebhookReceived>[]): Promise<void> {
    const records: Parameters<SyncWriteRepository['recordFailures']>[0][number][] = [];
    let invalid = 0;
    for (const { received, error, route } of routed) {
      const dead = route.kind === 'dead';
      if (dead) this.#metrics.deadLettered.inc({ reason: route.reason });
      else this.#metrics.retries.inc({ tier: String(route.tier) });
      // A message that is not a webhook has no event to log.
      if (!received.valid) {
        invalid++;
        continue;
      }
      const webhook = received.value;
      records.push({
        event: toItem(received).event,
        status: dead ? 'dead' : 'failed',
        attempt: route.attempt,
        errorClass: errorClassOf(error),
        message: errorMessageOf(error),
      });
      this.#metrics.events.inc({
        outcome: dead ? 'dead' : 'failed',
        type: eventTypeLabel(webhook.provider, webhook.event.type),
        provider: webhook.provider,
      });
    }
    if (invalid > 0) this.#logger.error({ count: invalid }, 'Invalid messages dead-lettered');
    // Row-level security: each workspace's event log rows are written on its behalf.
    for (const [workspaceId, group] of byWorkspace(records, (r) => r.event.workspaceId)) {
      await withTenant(workspaceId, () => this.#recordFailures(group));
    }
  }

  async #recordFailures(
    records: Parameters<SyncWriteRepository['recordFailures']>[0],
  ): Promise<void> {
    try {
      await this.#repo.recordFailures(records);
    } catch (err) {
      if (isTransient(err)) throw err;
      // The payload itself may be what PostgreSQL refuses (the poison): log without it.
      await this.#repo.recordFailures(
        records.map((r) => ({ ...r, event: { ...r.event, payload: { unstorable: true } } })),
      );
    }
  }

  /**
   * Bulk first; on a non-transient error, one event at a time to isolate the poison. A tie whose
   * re-fetch fails is that event's failure alone: the rest of the group stays applied.
   */
  async #apply(items: readonly Item[], budget: FetchBudget): Promise<Failure[]> {
    if (items.length === 0) return [];
    try {
      return await this.#applyGroup(items, budget);
    } catch (err) {
      if (isInfrastructureOutage(err)) throw err;
      if (items.length === 1) return [{ received: (items[0] as Item).received, error: err }];
      this.#logger.warn({ err, size: items.length }, 'Batch failed; isolating events');
    }
    const failures: Failure[] = [];
    for (const item of items) {
      try {
        failures.push(...(await this.#applyGroup([item], budget)));
      } catch (err) {
        if (isInfrastructureOutage(err)) throw err;
        failures.push({ received: item.received, error: err });
      }
    }
    return failures;
  }

  async #applyGroup(items: readonly Item[], budget: FetchBudget): Promise<Failure[]> {
    const changes = items.flatMap((i) => i.changes);
    const result = await this.#repo.applyChanges(changes, { events: items.map((i) => i.event) });
    const now = Date.now();
    const statusOf = new Map(
      result.events.map((e) => [`${e.workspaceId}:${e.providerEventId}`, e.status]),
    );
    const ties: { item: Item; tied: CanonicalChange[] }[] = [];
    let offset = 0;
    for (const item of items) {
      // The outcomes come in input order: this item's are the next `changes.length`.
      const outcomes = result.outcomes.slice(offset, offset + item.changes.length);
      offset += item.changes.length;
      const status =
        statusOf.get(`${item.webhook.workspaceId}:${item.webhook.event.id}`) ?? 'ignored';
      if (status === 'received') {
        ties.push({ item, tied: item.changes.filter((_, k) => outcomes[k] === 'tie') });
        continue;
      }
      this.#count(item, status === 'duplicate' ? 'skipped_duplicate' : status, now);
    }
    const failures: Failure[] = [];
    for (const { item, tied } of ties) {
      try {
        await this.#resolveTie(item, tied, budget);
      } catch (err) {
        if (isInfrastructureOutage(err)) throw err;
        failures.push({ received: item.received, error: err });
      }
    }
    return failures;
  }

  /**
   * Same version, other content: ask the provider for the event's current state and apply it,
   * authoritatively, under the same event id. The event is re-fetched as a whole
   * (`refetchEvent`: its own object retrieved now, dated at the retrieve) and mapped by the
   * adapter like the webhook was, so a subscription's items and an invoice's lines (children
   * delivered in the parent's event, removed ones as tombstones) get the provider's current state
   * along with their parent. A tied change the re-fetched event does not carry (another resource of
   * a Chargebee event, a child no longer in its parent) is retrieved by itself when the provider
   * can; a tombstone when it is gone.
   */
  async #resolveTie(
    item: Item,
    tiedChanges: readonly CanonicalChange[],
    budget: FetchBudget,
  ): Promise<void> {
    const own = item.changes[0];
    if (!own || !this.#refetchTies) {
      this.#logger.warn(
        { eventId: item.webhook.event.id },
        'Tie left unresolved (re-fetch disabled)',
      );
      this.#count(item, 'skipped_stale', Date.now());
      return;
    }
    const connectionKey = `${item.webhook.workspaceId}:${item.webhook.connectionId}`;
    if (budget.unavailable?.has(connectionKey)) {
      // This connection's provider already failed in this batch: do not wait for it again.
      throw new ProviderError(
        'PROVIDER_UNAVAILABLE',
        'Re-fetch deferred to the retry tier: the provider did not answer earlier in this batch',
        { retryable: true, details: { connectionId: item.webhook.connectionId } },
      );
    }
    const connection = await this.#connections.getDecrypted(
      item.webhook.workspaceId,
      item.webhook.connectionId,
    );
    // Stripe Connect: a connected account's object is re-fetched as that account, with the
    // platform's key and so the platform's shared bucket (as the sync-runner does).
    const connected =
      own.accountId && own.accountId !== connection.providerAccountId ? own.accountId : null;
    const provider = budget.factory(
      connected ? { ...connection, accountId: connected } : connection,
      boundedWait(this.#rateLimiterFactory(connection), budget.maxTokenWaitMs),
    );
    const { retrievableEntityTypes } = provider.capabilities();
    if (!retrievableEntityTypes.includes(own.entityType)) {
      // Known only through its parent's lists (Stripe invoice lines, discounts): no retrieve to ask;
      // the stored state stays until a newer event, a backfill or a reconciliation brings one.
      this.#logger.warn(
        { eventId: item.webhook.event.id, entityType: own.entityType },
        'Tie left unresolved (the provider cannot retrieve this type by id)',
      );
      this.#count(item, 'skipped_stale', Date.now());
      return;
    }
    const ctx = { workspaceId: item.webhook.workspaceId, source: own.source };
    let current: CanonicalChange[];
    try {
      const refetched = await provider.refetchEvent(toProviderEvent(item.webhook), ctx);
      if (refetched.kind === 'skipped') {
        this.#logger.warn(
          { eventId: item.webhook.event.id, reason: refetched.reason },
          'Tie left unresolved (nothing to re-fetch)',
        );
        this.#count(item, 'skipped_stale', Date.now());
        return;
      }
      current = refetchedChanges(refetched.event, item);
      current.push(
        ...(await this.#retrieveMissing(provider, item, tiedChanges, current, ctx, (t) =>
          retrievableEntityTypes.includes(t),
        )),
      );
    } catch (err) {
      // A timeout, 5xx or 429: the provider is slow or down for this connection.
      if (budget.unavailable && isRetryable(err)) {
        budget.unavailable.add(connectionKey);
        this.#logger.warn(
          { err, eventId: item.webhook.event.id, connectionId: item.webhook.connectionId },
          'Tie re-fetch failed inline; the event goes to the retry tier',
        );
      }
      throw err;
    }
    // The fetched state includes every change up to the fetch, so it is at least as new as the
    // tied event, whose version it may share (Stripe's clock has whole seconds): authoritative.
    const result = await this.#repo.applyChanges(current, {
      events: [item.event],
      authoritative: true,
    });
    const status = result.events[0]?.status ?? 'processed';
    this.#logger.info(
      { eventId: item.webhook.event.id, objectId: own.externalId, changes: current.length, status },
      'Tie resolved by re-fetch',
    );
    this.#count(
      item,
      status === 'duplicate'
        ? 'skipped_duplicate'
        : status === 'received'
          ? 'skipped_stale'
          : status,
      Date.now(),
    );
  }

  /**
   * The tied changes the re-fetched event does not carry, each retrieved by itself (a type the
   * provider cannot retrieve stays as stored, logged). Usually none: the re-fetched event holds
   * the object and its children.
   */
  async #retrieveMissing(
    provider: BillingProvider,
    item: Item,
    tiedChanges: readonly CanonicalChange[],
    current: readonly CanonicalChange[],
    ctx: { readonly workspaceId: string; readonly source: CanonicalChange['source'] },
    retrievable: (entityType: CanonicalChange['entityType']) => boolean,
  ): Promise<CanonicalChange[]> {
    const carried = new Set(current.map(objectKey));
    const missing: CanonicalChange[] = [];
    for (const tied of tiedChanges) {
      if (carried.has(objectKey(tied))) continue;
      carried.add(objectKey(tied));
      if (!retrievable(tied.entityType)) {
        this.#logger.warn(
          { eventId: item.webhook.event.id, entityType: tied.entityType },
          'Tied change left unresolved (the provider cannot retrieve this type by id)',
        );
        continue;
      }
      const fetched = await provider.retrieve(tied.entityType, tied.externalId, ctx);
      missing.push({ ...fetched, eventId: item.webhook.event.id } as CanonicalChange);
    }
    return missing;
  }

  #count(item: Item, outcome: string, now: number): void {
    this.#metrics.events.inc({
      outcome,
      type: eventTypeLabel(item.webhook.provider, item.webhook.event.type),
      provider: item.webhook.provider,
    });
    this.#metrics.endToEndSeconds.observe(
      { from: 'provider' },
      Math.max(0, now - item.webhook.event.createdMs) / 1000,
    );
    this.#metrics.endToEndSeconds.observe(
      { from: 'ingress' },
      Math.max(0, now - Date.parse(item.webhook.receivedAt)) / 1000,
    );
  }
}

function toItem(received: WebhookMessage): Item {
  const webhook = received.value;
  return {
    received,
    webhook,
    event: {
      workspaceId: webhook.workspaceId,
      provider: webhook.provider,
      providerEventId: webhook.event.id,
      eventType: webhook.event.type,
      source: webhook.source,
      connectionId: webhook.connectionId,
      payload: webhook.event.payload,
      objectType: webhook.event.objectType,
      objectId: webhook.event.objectId,
      providerCreatedAt: new Date(webhook.event.createdMs),
      receivedAt: new Date(webhook.receivedAt),
    },
    changes: [],
  };
}

/**
 * Stripe Connect: the changes of an event carrying an account (`account`, the connected account
 * it happened in) belong to that account's rows.
 */
function ofAccount(
  changes: readonly CanonicalChange[],
  webhook: WebhookReceived,
): readonly CanonicalChange[] {
  const accountId = webhook.event.accountId;
  return accountId ? changes.map((c) => ({ ...c, accountId })) : changes;
}

function toProviderEvent(webhook: WebhookReceived): ProviderEvent {
  return { provider: webhook.provider, ...webhook.event };
}

/**
 * A re-fetched event's changes, mapped by its adapter as the webhook was (the parent and its
 * children at the retrieve's version; a deleted object as a tombstone), under the event's id.
 */
function refetchedChanges(event: ProviderEvent, item: Item): CanonicalChange[] {
  const mapped = mapProviderEvent(event, {
    workspaceId: item.webhook.workspaceId,
    source: item.webhook.source,
  });
  if (mapped.kind !== 'changes') return [];
  return ofAccount(mapped.changes, item.webhook).map(
    (c) => ({ ...c, eventId: item.webhook.event.id }) as CanonicalChange,
  );
}

const objectKey = (c: CanonicalChange) => `${c.entityType}\u0000${c.externalId}`;

/**
 * The shared bucket with a bound on the wait for a token: a re-fetch on the webhook topic must
 * not hold the partition while a backfill spends the account's budget, so past `maxWaitMs` it
 * fails as retryable (the event goes to the retry tier, whose re-fetch waits its turn).
 */
function boundedWait(
  limiter: ProviderRateLimiter,
  maxWaitMs: number | undefined,
): ProviderRateLimiter {
  if (maxWaitMs === undefined) return limiter;
  return {
    acquire: async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new ProviderError(
                'PROVIDER_UNAVAILABLE',
                "Re-fetch deferred to the retry tier: the provider account's shared rate limit has no token in time",
                { retryable: true },
              ),
            ),
          maxWaitMs,
        );
      });
      try {
        await Promise.race([limiter.acquire(), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    onThrottled: (retryAfterMs) => limiter.onThrottled(retryAfterMs),
    takeThrottles: () => limiter.takeThrottles(),
  };
}

/** `items` grouped by workspace, in order of first appearance (order within a group kept). */
function byWorkspace<T>(items: readonly T[], workspaceOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const workspaceId = workspaceOf(item);
    const group = groups.get(workspaceId);
    if (group) group.push(item);
    else groups.set(workspaceId, [item]);
  }
  return groups;
}
