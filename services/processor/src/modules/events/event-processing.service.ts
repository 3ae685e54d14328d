import {
  FAILURE_HEADERS,
  TOPICS,
  webhookPartitionKey,
  webhookReceivedSchema,
  type CanonicalChange,
  type WebhookReceived,
} from '@paysync/contracts';
import {
  isTransientDbError,
  type ConnectionRepository,
  type EventRecord,
  type SyncWriteRepository,
} from '@paysync/db';
import { AppError, isRetryable } from '@paysync/errors';
import {
  topicName,
  type ConsumedMessage,
  type KafkaProducer,
  type OutgoingMessage,
} from '@paysync/kafka';
import type { Logger } from '@paysync/observability';
import { createConnectionProvider, mapProviderEvent, type ProviderEvent } from '@paysync/providers';

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
export function isInfrastructureOutage(err: unknown): boolean {
  if (err instanceof AppError) return err.retryable && !err.code.startsWith('PROVIDER_');
  return isTransientDbError(err);
}

interface Item {
  readonly message: ConsumedMessage;
  readonly webhook: WebhookReceived;
  readonly attempt: number;
  readonly event: EventRecord;
  changes: readonly CanonicalChange[];
}

interface Failure {
  readonly item: Item;
  readonly error: unknown;
}

export interface EventProcessingSettings {
  readonly topicPrefix: string;
  readonly retryDelaysMs: readonly number[];
  readonly refetchTies: boolean;
  readonly stripeMaxAttempts: number;
  /** For connections without settings.apiBaseUrl (STRIPE_API_BASE_URL). */
  readonly stripeApiBaseUrl?: string | undefined;
}

/**
 * Applies a batch of webhook events: event log + version-gated writes in one transaction, ties
 * resolved by re-fetching, per-event failures routed to the retry tiers and then the DLQ.
 * Transient failures are thrown to the caller, which pauses and retries the whole batch (the
 * writes are idempotent, so a partial first attempt is harmless).
 */
export class EventProcessingService {
  readonly #repo: SyncWriteRepository;
  readonly #connections: ConnectionRepository;
  readonly #producer: KafkaProducer;
  readonly #metrics: ProcessorMetrics;
  readonly #logger: Logger;
  readonly #settings: EventProcessingSettings;
  readonly #tierTopics: string[];
  readonly #dlqTopic: string;

  constructor(deps: {
    syncWriteRepository: SyncWriteRepository;
    connectionRepository: ConnectionRepository;
    kafkaProducer: KafkaProducer;
    processorMetrics: ProcessorMetrics;
    logger: Logger;
    settings: EventProcessingSettings;
  }) {
    this.#repo = deps.syncWriteRepository;
    this.#connections = deps.connectionRepository;
    this.#producer = deps.kafkaProducer;
    this.#metrics = deps.processorMetrics;
    this.#logger = deps.logger.child({ component: 'EventProcessing' });
    this.#settings = deps.settings;
    const prefix = deps.settings.topicPrefix;
    // Tier i uses the short topic for the first tier, the long one for the rest.
    this.#tierTopics = deps.settings.retryDelaysMs.map((_, i) =>
      topicName(i === 0 ? TOPICS.webhookRetryShort : TOPICS.webhookRetryLong, prefix),
    );
    this.#dlqTopic = topicName(TOPICS.webhookDeadLetter, prefix);
  }

  async processBatch(messages: readonly ConsumedMessage[]): Promise<void> {
    const started = performance.now();
    const invalid: { message: ConsumedMessage; error: Error }[] = [];
    const items: Item[] = [];
    const failures: Failure[] = [];
    for (const message of messages) {
      const parsed = message.envelope
        ? webhookReceivedSchema.safeParse(message.envelope.payload)
        : undefined;
      if (!parsed?.success) {
        invalid.push({
          message,
          error: message.decodeError ?? new Error(parsed?.error.message ?? 'invalid message'),
        });
        continue;
      }
      const webhook = parsed.data;
      const item: Item = {
        message,
        webhook,
        attempt: Number(message.headers[FAILURE_HEADERS.attempt] ?? 1),
        event: {
          workspaceId: webhook.workspaceId,
          provider: webhook.provider,
          providerEventId: webhook.event.id,
          eventType: webhook.event.type,
          source: webhook.source,
          payload: webhook.event.payload,
          objectType: webhook.event.objectType,
          objectId: webhook.event.objectId,
          providerCreatedAt: new Date(webhook.event.createdMs),
          receivedAt: new Date(webhook.receivedAt),
        },
        changes: [],
      };
      try {
        const mapped = mapProviderEvent(toProviderEvent(webhook), {
          workspaceId: webhook.workspaceId,
          source: webhook.source,
        });
        item.changes = mapped.kind === 'changes' ? mapped.changes : [];
        items.push(item);
      } catch (error) {
        failures.push({ item, error });
      }
    }

    failures.push(...(await this.#apply(items)));
    await this.#routeInvalid(invalid);
    await this.#routeFailures(failures);

    this.#metrics.batchSize.observe(messages.length);
    this.#metrics.batchSeconds.observe((performance.now() - started) / 1000);
  }

  /** Bulk first; on a non-transient error, one event at a time to isolate the poison. */
  async #apply(items: readonly Item[]): Promise<Failure[]> {
    if (items.length === 0) return [];
    try {
      await this.#applyGroup(items);
      return [];
    } catch (err) {
      if (isInfrastructureOutage(err)) throw err;
      if (items.length === 1) return [{ item: items[0] as Item, error: err }];
      this.#logger.warn({ err, size: items.length }, 'Batch failed; isolating events');
    }
    const failures: Failure[] = [];
    for (const item of items) {
      try {
        await this.#applyGroup([item]);
      } catch (err) {
        if (isInfrastructureOutage(err)) throw err;
        failures.push({ item, error: err });
      }
    }
    return failures;
  }

  async #applyGroup(items: readonly Item[]): Promise<void> {
    const changes = items.flatMap((i) => i.changes);
    const result = await this.#repo.applyChanges(changes, { events: items.map((i) => i.event) });
    const now = Date.now();
    const statusOf = new Map(
      result.events.map((e) => [`${e.workspaceId}:${e.providerEventId}`, e.status]),
    );
    const ties: Item[] = [];
    for (const item of items) {
      const status =
        statusOf.get(`${item.webhook.workspaceId}:${item.webhook.event.id}`) ?? 'ignored';
      if (status === 'received') {
        ties.push(item);
        continue;
      }
      this.#count(item, status === 'duplicate' ? 'skipped_duplicate' : status, now);
    }
    for (const item of ties) await this.#resolveTie(item);
  }

  /**
   * Same version, other content: ask the provider for the object's current state (its version is
   * the response time, so it wins the gate) and apply that under the same event id.
   */
  async #resolveTie(item: Item): Promise<void> {
    const tied = item.changes[0];
    if (!tied || !this.#settings.refetchTies) {
      this.#logger.warn(
        { eventId: item.webhook.event.id },
        'Tie left unresolved (re-fetch disabled)',
      );
      this.#count(item, 'skipped_stale', Date.now());
      return;
    }
    const connection = await this.#connections.getDecrypted(
      item.webhook.workspaceId,
      item.webhook.connectionId,
    );
    const provider = createConnectionProvider(connection, {
      defaultApiBaseUrl: this.#settings.stripeApiBaseUrl,
      maxAttempts: this.#settings.stripeMaxAttempts,
    });
    const current = await provider.retrieve(tied.entityType, tied.externalId, {
      workspaceId: item.webhook.workspaceId,
      source: tied.source,
    });
    // The fetched state includes every change up to the fetch, so it is at least as new as the
    // tied event, whose version it may share (Stripe's clock has whole seconds): authoritative.
    const refetched = { ...current, eventId: item.webhook.event.id } as CanonicalChange;
    const result = await this.#repo.applyChanges([refetched], {
      events: [item.event],
      authoritative: true,
    });
    const status = result.events[0]?.status ?? 'processed';
    this.#logger.info(
      { eventId: item.webhook.event.id, objectId: tied.externalId, status },
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

  #count(item: Item, outcome: string, now: number): void {
    this.#metrics.events.inc({
      outcome,
      type: eventTypeLabel(item.webhook.provider, item.webhook.event.type),
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

  /** Messages that are not webhook envelopes cannot be retried into shape: straight to the DLQ. */
  async #routeInvalid(
    invalid: readonly { message: ConsumedMessage; error: Error }[],
  ): Promise<void> {
    if (invalid.length === 0) return;
    const out: OutgoingMessage[] = invalid.map(({ message, error }) => ({
      key: message.key ?? 'invalid',
      envelope: message.envelope ?? {
        id: `invalid-${message.topic}-${message.partition}-${message.offset}`,
        type: 'invalid',
        occurredAt: new Date().toISOString(),
        correlationId: 'invalid',
        idempotencyKey: `invalid-${message.topic}-${message.partition}-${message.offset}`,
        payload: { raw: message.value?.toString('base64') ?? null },
      },
      headers: failureHeaders(message, 1, error, 'MESSAGE_INVALID'),
    }));
    await this.#producer.send(this.#dlqTopic, out);
    this.#metrics.deadLettered.inc({ reason: 'MESSAGE_INVALID' }, invalid.length);
    this.#logger.error({ count: invalid.length }, 'Invalid messages dead-lettered');
  }

  /**
   * Attempt n failed: to retry tier n (delay from config), or to the DLQ after the last tier.
   * The message is produced before the batch's offsets are committed, so nothing is lost.
   */
  async #routeFailures(failures: readonly Failure[]): Promise<void> {
    if (failures.length === 0) return;
    const byTopic = new Map<string, OutgoingMessage[]>();
    const records: Parameters<SyncWriteRepository['recordFailures']>[0][number][] = [];
    for (const { item, error } of failures) {
      const tier = item.attempt - 1;
      const delay = this.#settings.retryDelaysMs[tier];
      const toDlq = delay === undefined;
      const topic = toDlq ? this.#dlqTopic : (this.#tierTopics[tier] as string);
      // Through a tier the header is the next attempt's number; in the DLQ, the attempts made.
      const headers = failureHeaders(item.message, toDlq ? item.attempt : item.attempt + 1, error);
      if (!toDlq) headers[FAILURE_HEADERS.notBefore] = String(Date.now() + delay);
      const list = byTopic.get(topic) ?? [];
      list.push({
        key: webhookPartitionKey(item.webhook),
        envelope: item.message.envelope!,
        headers,
      });
      byTopic.set(topic, list);
      records.push({
        event: item.event,
        status: toDlq ? 'dead' : 'failed',
        attempt: item.attempt,
        errorClass: errorClass(error),
        message: errorMessage(error),
      });
      if (toDlq) this.#metrics.deadLettered.inc({ reason: errorClass(error) });
      else this.#metrics.retries.inc({ tier: String(tier + 1) });
      this.#metrics.events.inc({
        outcome: toDlq ? 'dead' : 'failed',
        type: eventTypeLabel(item.webhook.provider, item.webhook.event.type),
      });
      this.#logger.warn(
        { eventId: item.webhook.event.id, attempt: item.attempt, topic, err: error },
        toDlq ? 'Event dead-lettered' : 'Event sent to retry tier',
      );
    }
    for (const [topic, list] of byTopic) await this.#producer.send(topic, list);
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
}

function toProviderEvent(webhook: WebhookReceived): ProviderEvent {
  return { provider: webhook.provider, ...webhook.event };
}

function errorClass(error: unknown): string {
  if (error instanceof AppError) return error.code;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : ((error as Error).name ?? 'Error');
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function failureHeaders(
  message: ConsumedMessage,
  nextAttempt: number,
  error: unknown,
  code?: string,
): Record<string, string> {
  // The first failure's origin is kept through every tier.
  return {
    [FAILURE_HEADERS.attempt]: String(nextAttempt),
    [FAILURE_HEADERS.originalTopic]:
      message.headers[FAILURE_HEADERS.originalTopic] ?? message.topic,
    [FAILURE_HEADERS.originalPartition]:
      message.headers[FAILURE_HEADERS.originalPartition] ?? String(message.partition),
    [FAILURE_HEADERS.originalOffset]:
      message.headers[FAILURE_HEADERS.originalOffset] ?? message.offset,
    [FAILURE_HEADERS.errorClass]: code ?? errorClass(error),
    [FAILURE_HEADERS.errorCode]: error instanceof AppError ? error.code : 'INTERNAL_ERROR',
    [FAILURE_HEADERS.errorMessage]: errorMessage(error).slice(0, 1000),
    [FAILURE_HEADERS.failedAt]: new Date().toISOString(),
  };
}
