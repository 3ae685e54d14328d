import { TOPICS, type ProviderName, type WebhookReceived } from '@paysync/contracts';
import type { ConnectionRepository, ConnectionView, Db } from '@paysync/db';
import { AppError, ValidationError } from '@paysync/errors';
import { webhookReceivedMessage, topicName, type KafkaProducer } from '@paysync/kafka';
import type { Logger } from '@paysync/observability';
import { mapProviderEvent, type BillingProvider } from '@paysync/providers';

import type { ProviderFactory } from '../connections/connection.service.js';

import type { EventStatus } from './event-log.repository.js';

export interface ReplayFilter {
  readonly status?: EventStatus | undefined;
  readonly type?: string | undefined;
  readonly provider?: ProviderName | undefined;
  readonly objectId?: string | undefined;
  readonly receivedFrom?: Date | undefined;
  readonly receivedTo?: Date | undefined;
}

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
export const REFETCH_MAX_EVENTS = 100;

export interface ReplayItem {
  readonly id: string;
  readonly providerEventId: string;
  readonly type: string;
  readonly status: EventStatus;
  readonly outcome: 'would_replay' | 'replayed' | 'skipped';
  readonly reason: string | null;
}

/** Events already applied (or deliberately skipped): replayed only with `force`. */
const SETTLED: readonly EventStatus[] = [
  'processed',
  'skipped_duplicate',
  'skipped_stale',
  'ignored',
];

/**
 * Replays stored events through the normal pipeline: each goes back on
 * `billing.webhook.received.v1` with `source: replay` and its stored payload, and the processor
 * applies it like any webhook (idempotent, version-gated: a replay never overwrites newer state).
 * Settled events are replayed only with `force`, which first marks them `received` so the
 * processor does not treat them as duplicates. Two identical concurrent replays apply once: the
 * second copy of each event reaches the processor after the first was processed and is skipped.
 */
export class ReplayService {
  readonly #prisma: Db;
  readonly #connections: ConnectionRepository;
  readonly #producer: KafkaProducer;
  readonly #providerFactory: ProviderFactory;
  readonly #topic: string;
  readonly #logger: Logger;

  constructor(deps: {
    prisma: Db;
    connectionRepository: ConnectionRepository;
    providerFactory: ProviderFactory;
    kafkaProducer: KafkaProducer;
    topicPrefix: string;
    logger: Logger;
  }) {
    this.#prisma = deps.prisma;
    this.#connections = deps.connectionRepository;
    this.#producer = deps.kafkaProducer;
    this.#providerFactory = deps.providerFactory;
    this.#topic = topicName(TOPICS.webhookReceived, deps.topicPrefix);
    this.#logger = deps.logger.child({ component: 'ReplayService' });
  }

  async replay(req: ReplayRequest): Promise<{ matched: number; items: ReplayItem[] }> {
    if (!req.eventIds?.length && !req.filter) {
      throw new ValidationError('Name the events to replay', [
        { path: 'body', message: 'needs eventIds or filter' },
      ]);
    }
    const f = req.filter ?? {};
    const rows = await this.#prisma.paymentSyncEvent.findMany({
      where: {
        workspaceId: req.workspaceId,
        ...(req.eventIds?.length && { id: { in: [...req.eventIds] } }),
        ...(f.status && { status: f.status }),
        ...(!req.force &&
          req.mode === 'stored' &&
          !f.status && { status: { notIn: [...SETTLED] } }),
        ...(f.type && { eventType: f.type }),
        ...(f.provider && { provider: f.provider }),
        ...(f.objectId && { objectId: f.objectId }),
        ...((f.receivedFrom ?? f.receivedTo) && {
          receivedAt: {
            ...(f.receivedFrom && { gte: f.receivedFrom }),
            ...(f.receivedTo && { lt: f.receivedTo }),
          },
        }),
      },
      orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }],
      take: req.limit + 1,
    });
    if (req.mode === 'refetch' && req.limit > REFETCH_MAX_EVENTS) {
      throw new ValidationError(
        `A refetch replay calls the provider once per event: at most ${REFETCH_MAX_EVENTS}`,
        [{ path: 'body/limit', message: `at most ${REFETCH_MAX_EVENTS} with mode refetch` }],
      );
    }
    if (rows.length > req.limit) {
      throw new ValidationError(
        `More than ${req.limit} events match; narrow the filter or raise limit (max 1000)`,
        [{ path: 'body/limit', message: `more than ${req.limit} events match` }],
      );
    }
    const connections = await this.#connections.list(req.workspaceId);
    const providers = new Map<string, BillingProvider>();
    const items: ReplayItem[] = [];
    const messages = [];
    for (const row of rows) {
      const base = {
        id: row.id,
        providerEventId: row.providerEventId,
        type: row.eventType,
        status: row.status,
      };
      const settled = SETTLED.includes(row.status);
      const connection =
        connections.find((c) => c.provider === row.provider && c.isActive) ??
        connections.find((c) => c.provider === row.provider);
      const skip = (reason: string) => items.push({ ...base, outcome: 'skipped', reason });
      if (settled && !req.force && req.mode === 'stored') {
        skip('already applied (use force)');
        continue;
      }
      if (!connection) {
        skip(`the workspace has no ${row.provider} connection`);
        continue;
      }
      if (req.dryRun) {
        items.push({ ...base, outcome: 'would_replay', reason: null });
        continue;
      }
      let payload = (row.payload ?? {}) as Record<string, unknown>;
      if (req.mode === 'refetch') {
        const fresh = await this.#refetch(row, payload, connection, providers);
        if (typeof fresh === 'string') {
          skip(fresh);
          continue;
        }
        payload = fresh;
      }
      const created = typeof payload.created === 'number' ? payload.created * 1000 : undefined;
      const webhook: WebhookReceived = {
        provider: row.provider,
        workspaceId: row.workspaceId,
        connectionId: connection.id,
        receivedAt: new Date().toISOString(),
        source: 'replay',
        event: {
          id: row.providerEventId,
          type: row.eventType,
          createdMs:
            req.mode === 'refetch' && created !== undefined
              ? created
              : (row.providerCreatedAt?.getTime() ?? created ?? row.receivedAt.getTime()),
          livemode: payload.livemode === true,
          accountId: typeof payload.account === 'string' ? payload.account : null,
          apiVersion: typeof payload.api_version === 'string' ? payload.api_version : null,
          objectType: row.objectType,
          objectId: row.objectId,
          payload,
        },
      };
      messages.push(webhookReceivedMessage(webhook, { correlationId: req.correlationId }));
      items.push({ ...base, outcome: 'replayed', reason: null });
    }
    if (!req.dryRun && messages.length > 0) {
      // A refetch always goes through again (it carries new state); a stored replay of a settled
      // event only with force.
      const forced = items
        .filter((i) => i.outcome === 'replayed' && SETTLED.includes(i.status))
        .map((i) => i.id);
      if (forced.length > 0) {
        await this.#prisma.paymentSyncEvent.updateMany({
          where: { id: { in: forced }, workspaceId: req.workspaceId },
          data: { status: 'received' },
        });
      }
      await this.#producer.send(this.#topic, messages);
      this.#logger.info(
        { workspaceId: req.workspaceId, replayed: messages.length, forced: forced.length },
        'Events replayed',
      );
    }
    return { matched: rows.length, items };
  }

  /**
   * The stored event with its object replaced by the provider's current state (retrieved now; a
   * deleted object becomes a bare `{id, object, deleted}`), dated at the retrieve. Returns why not
   * when the event names no synced object or the provider cannot answer.
   */
  async #refetch(
    row: {
      provider: ProviderName;
      workspaceId: string;
      providerEventId: string;
      eventType: string;
    },
    payload: Record<string, unknown>,
    connection: ConnectionView,
    providers: Map<string, BillingProvider>,
  ): Promise<Record<string, unknown> | string> {
    let provider = providers.get(connection.id);
    if (!provider) {
      provider = this.#providerFactory(
        await this.#connections.getDecrypted(connection.workspaceId, connection.id),
      );
      providers.set(connection.id, provider);
    }
    const ctx = { workspaceId: row.workspaceId, source: 'replay' as const };
    const mapped = mapProviderEvent(
      {
        provider: row.provider,
        id: row.providerEventId,
        type: row.eventType,
        createdMs: typeof payload.created === 'number' ? payload.created * 1000 : 0,
        livemode: payload.livemode === true,
        accountId: null,
        apiVersion: null,
        objectType: null,
        objectId: null,
        payload,
      },
      ctx,
    );
    const target = mapped.kind === 'changes' ? mapped.changes[0] : undefined;
    if (!target) return 'no synced object to re-fetch';
    let current;
    try {
      current = await provider.retrieve(target.entityType, target.externalId, ctx);
    } catch (err) {
      return `the provider could not be asked: ${err instanceof AppError ? err.message : 'unexpected error'}`;
    }
    const stored = ((payload.data as Record<string, unknown> | undefined)?.object ?? {}) as Record<
      string,
      unknown
    >;
    const object = current.deleted
      ? { id: target.externalId, object: stored.object, deleted: true }
      : current.raw;
    return {
      ...payload,
      created: Math.floor(current.version / 1000),
      data: { ...(payload.data as Record<string, unknown> | undefined), object },
    };
  }
}
