import { randomUUID } from 'node:crypto';

import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';

import Stripe from 'stripe';

import type { CanonicalChange, EntityType } from '@paysync/contracts';
import { ProviderError, ValidationError } from '@paysync/errors';

import { sleep, TokenBucket, type RateLimiter } from '../http/token-bucket.js';
import { STRIPE_CAPABILITIES } from './stripe.capabilities.js';
import { toChange, type StripeObject } from './stripe.mappers.js';
import {
  STRIPE_EVENT_TYPES,
  mapStripeEvent,
  stripeEventToProviderEvent,
  verifyStripeWebhook,
} from './stripe.webhook.js';

import type {
  BillingProvider,
  ChangeContext,
  ConnectionTestResult,
  EventsPage,
  ListEventsParams,
  ListPage,
  ListPageParams,
  MappedEvent,
  ProviderCapabilities,
  ProviderClientOptions,
  ProviderEvent,
  RefetchedEvent,
  WebhookEndpoint,
} from '../billing-provider.js';

const tracer = trace.getTracer('paysync');

/** The API version paysync is written against; webhook endpoints are pinned to it. */
const SYNCED_EVENT_TYPES: ReadonlySet<string> = new Set(STRIPE_EVENT_TYPES);

export const STRIPE_API_VERSION = '2026-10-28.endive';

/**
 * Stripe's defaults: base URL https://api.stripe.com, 25 requests/s in test mode and 100 live,
 * 8 attempts per request, 30 s per request.
 */
export interface StripeProviderOptions extends ProviderClientOptions {
  /** Stripe API version for requests and for the webhook endpoints we create (default: ours). */
  readonly apiVersion?: string | undefined;
  /**
   * Longest `Retry-After` honoured (default 60 s): a larger one (a faulty proxy, a hostile base
   * URL) would otherwise stall the caller and pause the account's shared bucket for as long as
   * it says (issue 15 item 9).
   */
  readonly maxRetryAfterMs?: number | undefined;
}

type Listable =
  'customers' | 'products' | 'prices' | 'subscriptions' | 'invoices' | 'paymentIntents' | 'charges';

/** Which Stripe list endpoints make up each entity type (payments: intents, then charges). */
const LISTS: Partial<Record<EntityType, readonly Listable[]>> = {
  customer: ['customers'],
  product: ['products'],
  price: ['prices'],
  subscription: ['subscriptions'],
  invoice: ['invoices'],
  payment_transaction: ['paymentIntents', 'charges'],
};

export class StripeProvider implements BillingProvider {
  readonly name = 'stripe' as const;
  readonly #stripe: Stripe;
  readonly #limiter: RateLimiter;
  readonly #maxAttempts: number;
  readonly #mode: 'test' | 'live';
  readonly #tolerance: number | undefined;
  readonly #apiVersion: string;
  readonly #maxRetryAfterMs: number;
  /** Stripe Connect: the connected account this client acts for (`Stripe-Account`). */
  readonly #accountId: string | null;

  constructor({
    apiKey,
    apiBaseUrl,
    rateLimitPerSecond,
    rateLimiter,
    maxAttempts,
    timeoutMs,
    webhookToleranceSeconds,
    apiVersion,
    maxRetryAfterMs,
    accountId,
  }: StripeProviderOptions) {
    if (!/^(sk|rk)_(test|live)_\S+$/.test(apiKey)) {
      throw new ValidationError(
        'A Stripe API key starts with sk_test_, sk_live_, rk_test_ or rk_live_',
        [{ path: 'apiKey', message: 'not a Stripe secret or restricted key' }],
      );
    }
    this.#mode = apiKey.includes('_live_') ? 'live' : 'test';
    this.#apiVersion = apiVersion ?? STRIPE_API_VERSION;
    const base = apiBaseUrl ? new URL(apiBaseUrl) : undefined;
    // A live key travels only over TLS: plain http is for the simulator and test keys (issue 15
    // item 9). Checked here, where every service builds its client, not only where the api stores
    // the connection.
    if (this.#mode === 'live' && base && base.protocol !== 'https:') {
      throw new ValidationError('A live Stripe key is only sent to an https base URL', [
        { path: 'settings/apiBaseUrl', message: 'must be https for a live key' },
      ]);
    }
    this.#stripe = new Stripe(apiKey, {
      apiVersion: this.#apiVersion as Stripe.StripeConfig['apiVersion'],
      // Retries are ours: they honour Retry-After and Stripe-Should-Retry and feed the limiter.
      maxNetworkRetries: 0,
      timeout: timeoutMs ?? 30_000,
      telemetry: false,
      // Stripe Connect: every request acts for the connected account, with the platform's key.
      ...(accountId && { stripeAccount: accountId }),
      ...(base && {
        host: base.hostname,
        port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
        protocol: base.protocol.replace(':', '') as 'http' | 'https',
      }),
    });
    this.#limiter =
      rateLimiter ??
      new TokenBucket({
        ratePerSecond: rateLimitPerSecond ?? (this.#mode === 'live' ? 100 : 25),
      });
    this.#maxAttempts = maxAttempts ?? 8;
    this.#tolerance = webhookToleranceSeconds;
    this.#maxRetryAfterMs = maxRetryAfterMs ?? 60_000;
    this.#accountId = accountId ?? null;
  }

  /** A change of the connected account this client acts for carries it (Stripe Connect). */
  #ofAccount(change: CanonicalChange): CanonicalChange {
    return this.#accountId ? { ...change, accountId: this.#accountId } : change;
  }

  /** Stripe Connect: one page of the platform's connected accounts (`GET /v1/accounts`). */
  async listConnectedAccounts(params: {
    readonly cursor?: string | null;
    readonly limit?: number;
  }): Promise<{ accountIds: string[]; nextCursor: string | null; requests: number }> {
    const limit = Math.min(Math.max(params.limit ?? 100, 1), 100);
    const { result, attempts } = await this.#call('list accounts', () =>
      this.#stripe.accounts.list({
        limit,
        ...(params.cursor && { starting_after: params.cursor }),
      }),
    );
    const accountIds = result.data.map((a) => a.id);
    const lastId = accountIds.at(-1);
    return {
      accountIds,
      nextCursor: result.has_more && lastId ? lastId : null,
      requests: attempts,
    };
  }

  capabilities(): ProviderCapabilities {
    return STRIPE_CAPABILITIES;
  }

  verifyWebhook(
    rawBody: Buffer,
    headers: IncomingHttpHeaders,
    secrets: readonly string[],
  ): ProviderEvent {
    return verifyStripeWebhook(rawBody, headers, secrets, {
      ...(this.#tolerance !== undefined && { toleranceSeconds: this.#tolerance }),
    });
  }

  mapEvent(event: ProviderEvent, ctx: ChangeContext): MappedEvent {
    return mapStripeEvent(event, ctx);
  }

  /**
   * The event with its `data.object` replaced by the object's current state (retrieved now; a
   * deleted object becomes a bare `{id, object, deleted}`) and `created` set to the retrieve.
   */
  async refetchEvent(event: ProviderEvent, ctx: ChangeContext): Promise<RefetchedEvent> {
    const mapped = mapStripeEvent(event, ctx);
    const target = mapped.kind === 'changes' ? mapped.changes[0] : undefined;
    if (!target) return { kind: 'skipped', reason: 'no synced object to re-fetch' };
    const current = await this.retrieve(target.entityType, target.externalId, ctx);
    const payload = (event.payload ?? {}) as StripeObject;
    const data = payload.data as StripeObject | undefined;
    const stored = (data?.object ?? {}) as StripeObject;
    const object = current.deleted
      ? { id: target.externalId, object: stored.object, deleted: true }
      : current.raw;
    const created = Math.floor(current.version / 1000);
    return {
      kind: 'refetched',
      deleted: current.deleted,
      event: {
        ...event,
        createdMs: created * 1000,
        payload: { ...payload, created, data: { ...data, object } },
      },
    };
  }

  /**
   * One page (`limit` ≤ 100, `starting_after`). The cursor is `<list>:<last id>`, so entity types
   * made of two lists (payments) resume in the right one. Every object of the page carries the
   * response's `Date` as its version.
   */
  async listPage(
    entityType: EntityType,
    params: ListPageParams,
    ctx: ChangeContext,
  ): Promise<ListPage> {
    const lists = listsOf(entityType);
    const [listName, after] = parseCursor(params.cursor, lists);
    const limit = Math.min(Math.max(params.limit ?? 100, 1), 100);
    const created =
      params.createdGte !== undefined || params.createdLt !== undefined
        ? {
            ...(params.createdGte !== undefined && { gte: params.createdGte }),
            ...(params.createdLt !== undefined && { lt: params.createdLt }),
          }
        : undefined;
    const query: Record<string, unknown> = {
      limit,
      ...(after && { starting_after: after }),
      ...(created && { created }),
      // Canceled subscriptions are only listed with status=all.
      ...(listName === 'subscriptions' && { status: 'all' }),
    };
    const { result, attempts } = await this.#call(`list ${listName}`, () =>
      (
        this.#stripe[listName].list as (
          q: Record<string, unknown>,
        ) => Promise<Stripe.Response<Stripe.ApiList<unknown>>>
      )(query),
    );
    const version = responseVersion(result.lastResponse?.headers);
    const data = result.data as StripeObject[];
    const changes = data
      .map((o) => toChange(o, { version, ctx }))
      .filter((c): c is CanonicalChange => c !== null)
      .map((c) => this.#ofAccount(c));
    const lastId = typeof data.at(-1)?.id === 'string' ? (data.at(-1)?.id as string) : null;
    let nextCursor: string | null = null;
    if (result.has_more && lastId) nextCursor = `${listName}:${lastId}`;
    else {
      const nextList = lists[lists.indexOf(listName) + 1];
      if (nextList) nextCursor = `${nextList}:`;
    }
    return { changes, nextCursor, version, requests: attempts };
  }

  async retrieve(
    entityType: EntityType,
    externalId: string,
    ctx: ChangeContext,
  ): Promise<CanonicalChange> {
    const listName = retrieveList(entityType, externalId);
    try {
      const { result } = await this.#call(`retrieve ${listName}`, () =>
        (this.#stripe[listName].retrieve as (id: string) => Promise<Stripe.Response<unknown>>)(
          externalId,
        ),
      );
      const change = toChange(result, {
        version: responseVersion(result.lastResponse?.headers),
        ctx,
      });
      if (!change)
        throw new ProviderError(
          'PROVIDER_ERROR',
          `Stripe returned an unexpected object for ${externalId}`,
          { retryable: false },
        );
      return this.#ofAccount(change);
    } catch (err) {
      if (err instanceof ProviderError && err.details?.statusCode === 404) {
        // Gone at the provider: a tombstone at the time we learned it.
        return this.#ofAccount({
          workspaceId: ctx.workspaceId,
          provider: 'stripe',
          entityType,
          externalId,
          version: Date.now(),
          deleted: true,
          data: null,
          raw: { id: externalId, deleted: true },
          livemode: this.#mode === 'live',
          source: ctx.source,
        } as CanonicalChange);
      }
      throw err;
    }
  }

  /** `/v1/events` since `createdGte`, newest first, only the event types we sync. */
  async listEvents(params: ListEventsParams): Promise<EventsPage> {
    const limit = Math.min(Math.max(params.limit ?? 100, 1), 100);
    const { result } = await this.#call('list events', () =>
      this.#stripe.events.list({
        limit,
        created: { gte: params.createdGte },
        ...(params.cursor && { starting_after: params.cursor }),
      }),
    );
    const events = result.data
      .filter((e) => SYNCED_EVENT_TYPES.has(e.type))
      .map((e) =>
        stripeEventToProviderEvent(
          e as unknown as StripeObject & { id: string; type: string; created: number },
        ),
      );
    const lastId = result.data.at(-1)?.id;
    return {
      events,
      listed: result.data.length,
      nextCursor: result.has_more && lastId ? lastId : null,
    };
  }

  async testConnection(): Promise<ConnectionTestResult> {
    const { result } = await this.#call('retrieve account', () =>
      this.#stripe.accounts.retrieveCurrent(),
    );
    return { accountId: result.id, mode: this.#mode };
  }

  async registerWebhookEndpoint(url: string): Promise<WebhookEndpoint> {
    let startingAfter: string | undefined;
    for (;;) {
      const { result } = await this.#call('list webhook endpoints', () =>
        this.#stripe.webhookEndpoints.list({
          limit: 100,
          ...(startingAfter && { starting_after: startingAfter }),
        }),
      );
      const existing = result.data.find((e) => e.url === url);
      if (existing) return { id: existing.id, url, secret: null, created: false };
      if (!result.has_more || result.data.length === 0) break;
      startingAfter = result.data.at(-1)?.id;
    }
    // One idempotency key for every attempt of this create: a retry after a timeout whose
    // request did reach Stripe gets the endpoint it created, not a second one (issue 15 item 9).
    const idempotencyKey = `paysync-webhook-endpoint-${randomUUID()}`;
    const { result } = await this.#call('create webhook endpoint', () =>
      this.#stripe.webhookEndpoints.create(
        {
          url,
          enabled_events: [
            ...STRIPE_EVENT_TYPES,
          ] as Stripe.WebhookEndpointCreateParams.EnabledEvent[],
          api_version: this.#apiVersion as Stripe.WebhookEndpointCreateParams.ApiVersion,
          description: 'paysync',
        },
        { idempotencyKey },
      ),
    );
    return { id: result.id, url, secret: result.secret ?? null, created: true };
  }

  /**
   * One API call under the rate limiter, retried on 429, 5xx and network errors with exponential
   * backoff and jitter, honouring `Retry-After` and `Stripe-Should-Retry`. Errors leave as
   * `ProviderError` with the Stripe request id; 401/403/4xx are not retryable.
   */
  async #call<T>(what: string, fn: () => Promise<T>): Promise<{ result: T; attempts: number }> {
    for (let attempt = 1; ; attempt++) {
      await this.#limiter.acquire();
      // One client span per request: the Stripe SDK's HTTP call (and its http span) inside it.
      const span = tracer.startSpan(`stripe ${what}`, {
        kind: SpanKind.CLIENT,
        attributes: { 'paysync.provider': 'stripe', 'paysync.provider.attempt': attempt },
      });
      try {
        const result = await context.with(trace.setSpan(context.active(), span), fn);
        span.end();
        return { result, attempts: attempt };
      } catch (err) {
        const e = err as {
          statusCode?: number;
          headers?: Record<string, string>;
          type?: string;
          requestId?: string;
          message?: string;
          code?: string;
        };
        const status = e.statusCode;
        const header = (name: string) => e.headers?.[name] ?? e.headers?.[name.toLowerCase()];
        const shouldRetryHeader = header('stripe-should-retry');
        const transient =
          e.type === 'StripeConnectionError' ||
          status === 429 ||
          (status !== undefined && status >= 500) ||
          status === 409;
        const retryable =
          shouldRetryHeader === 'false' ? false : shouldRetryHeader === 'true' ? true : transient;
        const retryAfterHeader = header('retry-after');
        const retryAfterMs =
          retryAfterHeader !== undefined && /^\d+$/.test(retryAfterHeader)
            ? Math.min(Number(retryAfterHeader) * 1000, this.#maxRetryAfterMs)
            : undefined;
        if (status !== undefined) span.setAttribute('http.response.status_code', status);
        span.setAttribute('paysync.provider.throttled', status === 429);
        span.setAttribute('paysync.provider.retryable', retryable);
        span.setStatus({ code: SpanStatusCode.ERROR, message: e.message ?? 'provider error' });
        span.end();
        // No Retry-After on a 429: assume a second, and let the limiter slow the whole account.
        if (status === 429) this.#limiter.onThrottled?.(retryAfterMs ?? 1000);
        if (retryable && attempt < this.#maxAttempts) {
          const backoff = Math.min(200 * 2 ** (attempt - 1), 10_000);
          const jitter = Math.random() * backoff * 0.3;
          await sleep(retryAfterMs ?? backoff + jitter);
          continue;
        }
        throw new ProviderError(
          retryable ? 'PROVIDER_UNAVAILABLE' : 'PROVIDER_ERROR',
          `Stripe ${what} failed${status ? ` (${status})` : ''}: ${e.message ?? 'unknown error'}`,
          {
            retryable,
            details: {
              provider: 'stripe',
              statusCode: status,
              requestId: e.requestId,
              stripeCode: e.code,
              attempts: attempt,
            },
            cause: err,
          },
        );
      }
    }
  }
}

function parseCursor(
  cursor: string | null | undefined,
  lists: readonly Listable[],
): [Listable, string | null] {
  if (!cursor) return [lists[0] as Listable, null];
  const sep = cursor.indexOf(':');
  const name = cursor.slice(0, sep) as Listable;
  if (sep < 0 || !lists.includes(name)) {
    throw new ValidationError('Unknown list cursor', [
      { path: 'cursor', message: `not a cursor of ${lists.join('/')}` },
    ]);
  }
  return [name, cursor.slice(sep + 1) || null];
}

function retrieveList(entityType: EntityType, externalId: string): Listable {
  if (entityType === 'payment_transaction')
    return externalId.startsWith('pi_') ? 'paymentIntents' : 'charges';
  return listsOf(entityType)[0] as Listable;
}

/** The list endpoints of `entityType`; a ValidationError for a type without a Stripe list yet. */
function listsOf(entityType: EntityType): readonly Listable[] {
  const lists = LISTS[entityType];
  if (!lists)
    throw new ValidationError(`Stripe listing of ${entityType} is not supported`, [
      { path: 'entityType', message: 'not listable' },
    ]);
  return lists;
}

/** The response's `Date` header in ms (second resolution); our clock if it is missing. */
function responseVersion(headers: Record<string, string> | undefined): number {
  const date = headers?.date ?? headers?.Date;
  const parsed = date ? Date.parse(date) : NaN;
  return Number.isFinite(parsed) ? parsed : Date.now();
}
