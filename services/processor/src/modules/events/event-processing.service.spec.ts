import { randomUUID } from 'node:crypto';

import type { CanonicalChange, WebhookReceived } from '@paysync/contracts';
import type { ConnectionRepository, SyncWriteRepository } from '@paysync/db';
import { ProviderError } from '@paysync/errors';
import { createEnvelope, type ConsumedMessage } from '@paysync/kafka';
import { Registry, createLogger } from '@paysync/observability';
import {
  STRIPE_CAPABILITIES,
  type BillingProvider,
  type ProviderFactory,
} from '@paysync/providers';

import {
  aChargebeeWebhook,
  aCustomerUpdate,
  aStripeWebhook,
  type WebhookTenant,
} from '../../testing/webhooks.js';

import { EventProcessingService, type WebhookMessage } from './event-processing.service.js';
import { ProcessorMetrics } from './processor.metrics.js';

// A tie's re-fetch budget (issue 16 item 3): on the webhook topic one short try per connection
// and batch, then the retry tier; from a retry tier the full-budget client. The write path is a
// stand-in that reports every event as a tie (`received`) until it is applied authoritatively.

const slow = (): ProviderError =>
  new ProviderError('PROVIDER_UNAVAILABLE', 'Request aborted due to timeout being reached', {
    retryable: true,
  });

interface Calls {
  inline: string[];
  retry: string[];
}

function service(failing: ReadonlySet<string>) {
  const calls: Calls = { inline: [], retry: [] };
  const applied: string[][] = [];
  const limiter = {
    acquire: async () => undefined,
    onThrottled: () => undefined,
    takeThrottles: () => 0,
  };
  const factory =
    (budget: keyof Calls): ProviderFactory =>
    (connection) =>
      ({
        capabilities: () => STRIPE_CAPABILITIES,
        // The tie's re-fetch: the event as the provider has it now.
        refetchEvent: async (event) => {
          const id = (connection as { id: string }).id;
          calls[budget].push(id);
          if (failing.has(id)) throw slow();
          return { kind: 'refetched', deleted: false, event: { ...event, createdMs: Date.now() } };
        },
        retrieve: async (entityType, externalId, ctx) => {
          const id = (connection as { id: string }).id;
          calls[budget].push(id);
          if (failing.has(id)) throw slow();
          return {
            workspaceId: ctx.workspaceId,
            source: ctx.source,
            entityType,
            externalId,
            version: Date.now(),
          } as unknown as CanonicalChange;
        },
      }) as Partial<BillingProvider> as BillingProvider;
  const syncWriteRepository = {
    applyChanges: async (
      _changes: readonly CanonicalChange[],
      opts: {
        events?: readonly { workspaceId: string; providerEventId: string }[];
        authoritative?: boolean;
      },
    ) => {
      const ids = (opts.events ?? []).map((e) => e.providerEventId);
      // As PostgreSQL: ON CONFLICT DO UPDATE cannot affect one row twice in a statement.
      if (new Set(ids).size !== ids.length)
        throw new Error('ON CONFLICT DO UPDATE command cannot affect row a second time');
      applied.push(ids);
      return {
        outcomes: [],
        events: (opts.events ?? []).map((e) => ({
          workspaceId: e.workspaceId,
          providerEventId: e.providerEventId,
          status: opts.authoritative ? 'processed' : 'received',
        })),
      };
    },
    recordFailures: async () => undefined,
  } as unknown as SyncWriteRepository;
  const connectionRepository = {
    getDecrypted: async (_workspaceId: string, id: string) => ({
      id,
      provider: 'stripe',
      apiKey: 'sk_test_unit',
      settings: {},
    }),
  } as unknown as ConnectionRepository;
  const svc = new EventProcessingService({
    syncWriteRepository,
    connectionRepository,
    providerFactory: factory('retry'),
    inlineProviderFactory: factory('inline'),
    rateLimiterFactory: () => limiter,
    processorMetrics: new ProcessorMetrics({ metrics: new Registry() }),
    logger: createLogger({ level: 'silent', name: 'processor-spec' }),
    config: { processor: { refetchTies: true, inlineFetchTimeoutMs: 3000 } },
  });
  return { svc, calls, applied };
}

function message(webhook: WebhookReceived, offset: number): WebhookMessage {
  const envelope = createEnvelope({ type: 'webhook.received', payload: webhook });
  const consumed: ConsumedMessage = {
    topic: 'billing.webhook.received.v1',
    partition: 0,
    offset: String(offset),
    key: null,
    headers: {},
    timestamp: '0',
    value: null,
    envelope,
  };
  return { valid: true, message: consumed, envelope, value: webhook };
}

const workspaceId = randomUUID();
const slowTenant: WebhookTenant = { workspaceId, connectionId: randomUUID() };
const fastTenant: WebhookTenant = { workspaceId, connectionId: randomUUID() };

const batch = (tenant: WebhookTenant, ids: readonly string[], from = 0) =>
  ids.map((id, i) => message(aCustomerUpdate(tenant, id, `name ${id}`), from + i));

it("inline: a connection whose re-fetch fails is tried once per batch; all its ties go to the retry tier, other connections' ties are resolved", async () => {
  const { svc, calls } = service(new Set([slowTenant.connectionId]));
  const failures = await svc.processBatch(
    [...batch(slowTenant, ['cus_a', 'cus_b', 'cus_c']), ...batch(fastTenant, ['cus_d'], 3)],
    { fetch: 'inline' },
  );
  expect(calls.inline).toEqual([slowTenant.connectionId, fastTenant.connectionId]);
  expect(calls.retry).toEqual([]);
  expect(failures.map((f) => f.received.value.event.objectId)).toEqual(['cus_a', 'cus_b', 'cus_c']);
  for (const f of failures) {
    expect(f.error).toBeInstanceOf(ProviderError);
    expect((f.error as ProviderError).code).toBe('PROVIDER_UNAVAILABLE');
    expect((f.error as ProviderError).retryable).toBe(true);
  }
});

it('retry tier: every tie gets the full-budget client, and a resolved tie is no failure', async () => {
  const { svc, calls } = service(new Set());
  const failures = await svc.processBatch(batch(slowTenant, ['cus_a', 'cus_b']), {
    fetch: 'retry',
  });
  expect(failures).toEqual([]);
  expect(calls.inline).toEqual([]);
  expect(calls.retry).toEqual([slowTenant.connectionId, slowTenant.connectionId]);
});

it('retry tier: a provider still failing fails each tie for itself (no batch-wide skip)', async () => {
  const { svc, calls } = service(new Set([slowTenant.connectionId]));
  const failures = await svc.processBatch(batch(slowTenant, ['cus_a', 'cus_b']), {
    fetch: 'retry',
  });
  expect(failures).toHaveLength(2);
  expect(calls.retry).toHaveLength(2);
});

it('a tie of a type the provider cannot retrieve (a Stripe discount) stays unresolved: no retrieve, no failure, no dead letter', async () => {
  const { svc, calls } = service(new Set());
  const discount = aStripeWebhook(slowTenant, 'customer.discount.updated', {
    id: 'di_tie',
    object: 'discount',
    coupon: { id: 'co_tie', object: 'coupon', percent_off: 10, duration: 'once', valid: true },
    customer: 'cus_tie',
    subscription: null,
    invoice: null,
    promotion_code: null,
    start: 1_700_000_000,
    end: null,
  });
  for (const fetch of ['inline', 'retry'] as const) {
    const failures = await svc.processBatch([message(discount, 0)], { fetch });
    expect(failures).toEqual([]);
  }
  expect(calls).toEqual({ inline: [], retry: [] });
});

it('the same event twice in one batch (a duplicate delivery) is applied once, without isolating the batch', async () => {
  const { svc, applied } = service(new Set());
  const once = aCustomerUpdate(fastTenant, 'cus_dup', 'Twice');
  const failures = await svc.processBatch([message(once, 0), message(once, 1)], {
    fetch: 'retry',
  });
  expect(failures).toEqual([]);
  // One bulk apply of the batch, then the tie's authoritative apply (this stand-in reports every
  // event as a tie): no failed statement, no one-by-one isolation (which applied each copy).
  expect(applied).toEqual([[once.event.id], [once.event.id]]);
});

describe('a tie resolved through the whole event (review of issue 19)', () => {
  /** A Chargebee `subscription_changed` carrying its subscription and its customer. */
  const occurredAt = 1_700_000_000;
  const subscriptionChanged = (tenant: WebhookTenant): WebhookReceived =>
    aChargebeeWebhook(tenant, {
      id: 'ev_cb_tie',
      event_type: 'subscription_changed',
      occurred_at: occurredAt,
      api_version: 'v2',
      content: {
        subscription: {
          id: 'sub_cb_tie',
          customer_id: 'cus_cb_tie',
          status: 'active',
          resource_version: occurredAt * 1000,
          updated_at: occurredAt,
        },
        customer: {
          id: 'cus_cb_tie',
          first_name: 'Tied',
          resource_version: occurredAt * 1000,
          updated_at: occurredAt,
        },
      },
    });

  function tieService(opts: { acquire?: () => Promise<void> } = {}) {
    const retrieved: string[] = [];
    const authoritative: CanonicalChange[][] = [];
    const tokens: string[] = [];
    const provider = {
      capabilities: () => ({ retrievableEntityTypes: ['subscription', 'customer'] }),
      // As Chargebee's adapter: the event's own resource only, retrieved now.
      refetchEvent: async (event: { payload: { content: Record<string, unknown> } }) => {
        await limiter.acquire();
        const { subscription } = event.payload.content;
        return {
          kind: 'refetched',
          deleted: false,
          event: {
            ...event,
            payload: {
              ...event.payload,
              content: { subscription: { ...(subscription as object), status: 'paused' } },
            },
          },
        };
      },
      retrieve: async (entityType: string, externalId: string, ctx: { workspaceId: string }) => {
        await limiter.acquire();
        retrieved.push(`${entityType}:${externalId}`);
        return {
          workspaceId: ctx.workspaceId,
          provider: 'chargebee',
          entityType,
          externalId,
          version: Date.now(),
        } as unknown as CanonicalChange;
      },
    };
    const shared = {
      acquire: async () => {
        tokens.push('shared');
        await opts.acquire?.();
      },
      onThrottled: () => undefined,
      takeThrottles: () => 0,
    };
    // The limiter the client was built with (inline: the shared one behind a bounded wait).
    let limiter: { acquire(): Promise<void> } = { acquire: async () => undefined };
    const factory = ((_connection: unknown, rateLimiter?: { acquire(): Promise<void> }) => {
      if (rateLimiter) limiter = rateLimiter;
      return provider;
    }) as unknown as ProviderFactory;
    const syncWriteRepository = {
      applyChanges: async (
        changes: readonly CanonicalChange[],
        o: { events?: readonly EventRecordLike[]; authoritative?: boolean },
      ) => {
        if (o.authoritative) authoritative.push([...changes]);
        return {
          // Every change of the webhook tied; the re-fetched state wins.
          outcomes: changes.map(() => (o.authoritative ? 'applied' : 'tie')),
          events: (o.events ?? []).map((e) => ({
            workspaceId: e.workspaceId,
            providerEventId: e.providerEventId,
            status: o.authoritative ? 'processed' : 'received',
          })),
        };
      },
      recordFailures: async () => undefined,
    } as unknown as SyncWriteRepository;
    const connectionRepository = {
      getDecrypted: async (_w: string, id: string) => ({
        id,
        provider: 'chargebee',
        apiKey: 'test_unit',
        settings: { site: 'unit' },
        providerAccountId: null,
      }),
    } as unknown as ConnectionRepository;
    const svc = new EventProcessingService({
      syncWriteRepository,
      connectionRepository,
      providerFactory: factory,
      inlineProviderFactory: factory,
      rateLimiterFactory: () => shared,
      processorMetrics: new ProcessorMetrics({ metrics: new Registry() }),
      logger: createLogger({ level: 'silent', name: 'processor-spec' }),
      config: { processor: { refetchTies: true, inlineFetchTimeoutMs: 50 } },
    });
    return { svc, retrieved, authoritative, tokens };
  }

  type EventRecordLike = { workspaceId: string; providerEventId: string };

  it('a Chargebee event: its re-fetched resource and each other tied resource (retrieved by itself) are applied, under the shared bucket', async () => {
    const { svc, retrieved, authoritative, tokens } = tieService();
    const failures = await svc.processBatch([message(subscriptionChanged(fastTenant), 0)], {
      fetch: 'retry',
    });
    expect(failures).toEqual([]);
    expect(retrieved).toEqual(['customer:cus_cb_tie']);
    expect(authoritative).toHaveLength(1);
    expect(
      authoritative[0]?.map((c) => [c.entityType, c.externalId, c.eventId, c.deleted]),
    ).toEqual([
      ['subscription', 'sub_cb_tie', 'ev_cb_tie', false],
      ['customer', 'cus_cb_tie', 'ev_cb_tie', undefined],
    ]);
    expect((authoritative[0]?.[0]?.data as { status?: string } | null)?.status).toBe('paused');
    // Both calls took a token from the account's shared bucket.
    expect(tokens).toEqual(['shared', 'shared']);
  });

  it('inline: no token of the shared bucket in time sends the event to the retry tier', async () => {
    const { svc, authoritative } = tieService({ acquire: () => new Promise(() => undefined) });
    const failures = await svc.processBatch([message(subscriptionChanged(fastTenant), 0)], {
      fetch: 'inline',
    });
    expect(authoritative).toEqual([]);
    expect(failures).toHaveLength(1);
    expect(failures[0]?.error).toBeInstanceOf(ProviderError);
    expect((failures[0]?.error as ProviderError).retryable).toBe(true);
  });
});
