import { randomUUID } from 'node:crypto';

import type { IncomingHttpHeaders } from 'node:http';

import Stripe from 'stripe';

import type { CanonicalChange, EntityType } from '@paysync/contracts';
import { ProviderError, ValidationError } from '@paysync/errors';

import { goneChange } from '../gone-change.js';
import { obj } from '../json-fields.js';
import { callProvider, type FailedCall, type ProviderCallPolicy } from '../http/provider-call.js';
import { responseDateMs } from '../http/response-date.js';
import { TokenBucket } from '../http/token-bucket.js';
import { STRIPE_CAPABILITIES } from './stripe.capabilities.js';
import { toChange, type StripeObject } from './stripe.mappers.js';
import {
  STRIPE_SYNCED_EVENT_TYPES,
  mapStripeEvent,
  nestedList,
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

/** The API version paysync is written against; webhook endpoints are pinned to it. */
const SYNCED_EVENT_TYPES: ReadonlySet<string> = new Set(STRIPE_SYNCED_EVENT_TYPES);

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

type ListQuery = Record<string, unknown>;
type ListResponse = Stripe.Response<Stripe.ApiList<unknown>>;
type ListCall = (stripe: Stripe, query: ListQuery) => Promise<ListResponse>;
type RetrieveCall = (stripe: Stripe, id: string) => Promise<Stripe.Response<unknown>>;

/** Stripe's top-level list endpoints we page through (docs/providers/stripe-objects.md). */
const LIST_CALLS = {
  customers: (s, q) => s.customers.list(q),
  products: (s, q) => s.products.list(q),
  prices: (s, q) => s.prices.list(q),
  // Canceled subscriptions are only listed with status=all.
  subscriptions: (s, q) => s.subscriptions.list({ ...q, status: 'all' }),
  invoices: (s, q) => s.invoices.list(q),
  paymentIntents: (s, q) => s.paymentIntents.list(q),
  charges: (s, q) => s.charges.list(q),
  refunds: (s, q) => s.refunds.list(q),
  disputes: (s, q) => s.disputes.list(q),
  creditNotes: (s, q) => s.creditNotes.list(q),
  coupons: (s, q) => s.coupons.list(q),
  promotionCodes: (s, q) => s.promotionCodes.list(q),
  subscriptionSchedules: (s, q) => s.subscriptionSchedules.list(q),
  checkoutSessions: (s, q) => s.checkout.sessions.list(q),
  payouts: (s, q) => s.payouts.list(q),
  balanceTransactions: (s, q) => s.balanceTransactions.list(q),
  earlyFraudWarnings: (s, q) => s.radar.earlyFraudWarnings.list(q),
  reviews: (s, q) => s.reviews.list(q),
  setupIntents: (s, q) => s.setupIntents.list(q),
} as const satisfies Record<string, ListCall>;

type Listable = keyof typeof LIST_CALLS;

/**
 * Children listed through their parents: the ones the parent object carries (`nested`), then,
 * while that says there are more, pages of `more` for the parent (`starting_after` the last
 * child, `limit` 100).
 */
interface ChildListing {
  readonly nested: (parent: StripeObject) => { data: StripeObject[]; hasMore: boolean };
  readonly more?: {
    readonly name: string;
    readonly call: (stripe: Stripe, parentId: string, query: ListQuery) => Promise<ListResponse>;
  };
  /** Children of a parent that is a tombstone (a canceled subscription) are tombstones too. */
  readonly deletedWithParent?: boolean;
}

interface ListUse {
  readonly list: Listable;
  /** Extra query parameters (`expand[]`). */
  readonly query?: ListQuery;
  /** The entity type's objects are children of this list's objects. */
  readonly children?: ChildListing;
}

const only = (list: Listable): readonly ListUse[] => [{ list }];
const oneOrNone = (v: unknown): { data: StripeObject[]; hasMore: boolean } => {
  const object = obj(v);
  return { data: object && typeof object.id === 'string' ? [object] : [], hasMore: false };
};

/**
 * Which Stripe lists make up each entity type, in order (payments: intents, then charges; the
 * children of parent lists as docs/providers/stripe-objects.md says).
 */
const LISTS: Partial<Record<EntityType, readonly ListUse[]>> = {
  customer: only('customers'),
  product: only('products'),
  price: only('prices'),
  subscription: only('subscriptions'),
  invoice: only('invoices'),
  payment_transaction: [{ list: 'paymentIntents' }, { list: 'charges' }],
  refund: only('refunds'),
  dispute: only('disputes'),
  credit_note: only('creditNotes'),
  coupon: only('coupons'),
  promotion_code: only('promotionCodes'),
  subscription_schedule: only('subscriptionSchedules'),
  checkout_session: only('checkoutSessions'),
  payout: only('payouts'),
  balance_transaction: only('balanceTransactions'),
  early_fraud_warning: only('earlyFraudWarnings'),
  review: only('reviews'),
  setup_intent: only('setupIntents'),
  subscription_item: [
    {
      list: 'subscriptions',
      children: {
        nested: (sub) => nestedList(sub.items),
        more: {
          name: 'subscriptionItems',
          call: (s, subscription, q) => s.subscriptionItems.list({ ...q, subscription }),
        },
        deletedWithParent: true,
      },
    },
  ],
  invoice_line_item: [
    {
      list: 'invoices',
      children: {
        nested: (invoice) => nestedList(invoice.lines),
        more: {
          name: 'invoiceLines',
          call: (s, invoice, q) => s.invoices.listLineItems(invoice, q),
        },
      },
    },
  ],
  tax_id: [
    {
      list: 'customers',
      query: { expand: ['data.tax_ids'] },
      children: {
        nested: (customer) => nestedList(customer.tax_ids),
        more: {
          name: 'customerTaxIds',
          call: (s, customer, q) => s.customers.listTaxIds(customer, q),
        },
      },
    },
  ],
  discount: [
    { list: 'customers', children: { nested: (customer) => oneOrNone(customer.discount) } },
    {
      list: 'subscriptions',
      query: { expand: ['data.discounts'] },
      children: {
        nested: (sub) => ({
          data: (Array.isArray(sub.discounts) ? (sub.discounts as unknown[]) : []).flatMap(
            (d) => oneOrNone(d).data,
          ),
          hasMore: false,
        }),
      },
    },
  ],
  payment_method: [
    {
      list: 'customers',
      children: {
        // Customers carry no payment methods: each one's list, from its start.
        nested: () => ({ data: [], hasMore: true }),
        more: {
          name: 'customerPaymentMethods',
          call: (s, customer, q) => s.customers.listPaymentMethods(customer, q),
        },
      },
    },
  ],
};

/** How one object of each type is retrieved; types without an entry have no retrieve by id. */
const RETRIEVE: Partial<
  Record<EntityType, { readonly name: string; readonly call: RetrieveCall }>
> = {
  customer: { name: 'customers', call: (s, id) => s.customers.retrieve(id) },
  product: { name: 'products', call: (s, id) => s.products.retrieve(id) },
  price: { name: 'prices', call: (s, id) => s.prices.retrieve(id) },
  subscription: { name: 'subscriptions', call: (s, id) => s.subscriptions.retrieve(id) },
  invoice: { name: 'invoices', call: (s, id) => s.invoices.retrieve(id) },
  refund: { name: 'refunds', call: (s, id) => s.refunds.retrieve(id) },
  dispute: { name: 'disputes', call: (s, id) => s.disputes.retrieve(id) },
  credit_note: { name: 'creditNotes', call: (s, id) => s.creditNotes.retrieve(id) },
  coupon: { name: 'coupons', call: (s, id) => s.coupons.retrieve(id) },
  promotion_code: { name: 'promotionCodes', call: (s, id) => s.promotionCodes.retrieve(id) },
  payment_method: { name: 'paymentMethods', call: (s, id) => s.paymentMethods.retrieve(id) },
  subscription_item: {
    name: 'subscriptionItems',
    call: (s, id) => s.subscriptionItems.retrieve(id),
  },
  subscription_schedule: {
    name: 'subscriptionSchedules',
    call: (s, id) => s.subscriptionSchedules.retrieve(id),
  },
  tax_id: { name: 'taxIds', call: (s, id) => s.taxIds.retrieve(id) },
  checkout_session: { name: 'checkoutSessions', call: (s, id) => s.checkout.sessions.retrieve(id) },
  payout: { name: 'payouts', call: (s, id) => s.payouts.retrieve(id) },
  balance_transaction: {
    name: 'balanceTransactions',
    call: (s, id) => s.balanceTransactions.retrieve(id),
  },
  early_fraud_warning: {
    name: 'earlyFraudWarnings',
    call: (s, id) => s.radar.earlyFraudWarnings.retrieve(id),
  },
  review: { name: 'reviews', call: (s, id) => s.reviews.retrieve(id) },
  setup_intent: { name: 'setupIntents', call: (s, id) => s.setupIntents.retrieve(id) },
};
const PAYMENT_INTENT_RETRIEVE = {
  name: 'paymentIntents',
  call: ((s, id) => s.paymentIntents.retrieve(id)) as RetrieveCall,
};
const CHARGE_RETRIEVE = {
  name: 'charges',
  call: ((s, id) => s.charges.retrieve(id)) as RetrieveCall,
};

/** Entity types whose lists take `created` bounds: those listed from their own top-level list. */
export const STRIPE_SEGMENTABLE_TYPES: readonly EntityType[] = Object.entries(LISTS)
  .filter(([, uses]) => uses.every((u) => !u.children))
  .map(([type]) => type as EntityType);

/** Whether Stripe can retrieve one object of the type by its id (invoice lines, discounts: no). */
export function stripeRetrievable(entityType: EntityType): boolean {
  return entityType === 'payment_transaction' || RETRIEVE[entityType] !== undefined;
}

export class StripeProvider implements BillingProvider {
  readonly name = 'stripe' as const;
  readonly #stripe: Stripe;
  readonly #callPolicy: ProviderCallPolicy;
  readonly #mode: 'test' | 'live';
  readonly #tolerance: number | undefined;
  readonly #apiVersion: string;
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
    this.#callPolicy = {
      provider: 'stripe',
      displayName: 'Stripe',
      limiter:
        rateLimiter ??
        new TokenBucket({
          ratePerSecond: rateLimitPerSecond ?? (this.#mode === 'live' ? 100 : 25),
        }),
      maxAttempts: maxAttempts ?? 8,
      maxRetryAfterMs: maxRetryAfterMs ?? 60_000,
      // No Retry-After on a 429: assume a second, and let the limiter slow the whole account.
      throttledPauseMs: 1000,
      classify: classifyStripeError,
    };
    this.#tolerance = webhookToleranceSeconds;
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
    if (!stripeRetrievable(target.entityType))
      return { kind: 'skipped', reason: `Stripe cannot retrieve one ${target.entityType}` };
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
   * response's `Date` as its version. Children listed through a parent list (subscription items,
   * invoice lines, tax ids, discounts, payment methods) come from one page of parents, with the
   * follow-up requests their parents need: the page's version is its first response's, and
   * `requests` counts them all.
   */
  async listPage(
    entityType: EntityType,
    params: ListPageParams,
    ctx: ChangeContext,
  ): Promise<ListPage> {
    const uses = listsOf(entityType);
    const [use, after] = parseCursor(params.cursor, uses);
    const limit = Math.min(Math.max(params.limit ?? 100, 1), 100);
    const created =
      params.createdGte !== undefined || params.createdLt !== undefined
        ? {
            ...(params.createdGte !== undefined && { gte: params.createdGte }),
            ...(params.createdLt !== undefined && { lt: params.createdLt }),
          }
        : undefined;
    if (created && use.children) {
      // A parent's creation time says nothing about its children's: a segment would mislead.
      throw new ValidationError(`Stripe ${entityType} lists cannot be segmented by creation time`, [
        { path: 'createdGte', message: `${entityType} is listed whole` },
      ]);
    }
    const query: Record<string, unknown> = {
      limit,
      ...(after && { starting_after: after }),
      ...(created && { created }),
      ...use.query,
    };
    const list: ListCall = LIST_CALLS[use.list];
    const { result, attempts } = await this.#call(`list ${use.list}`, () =>
      list(this.#stripe, query),
    );
    const version = responseDateMs(result.lastResponse?.headers);
    const data = result.data as StripeObject[];
    let requests = attempts;
    let changes: CanonicalChange[];
    if (use.children) {
      const children = await this.#children(use.children, data, version, ctx);
      changes = children.changes;
      requests += children.requests;
    } else {
      changes = data
        .map((o) => toChange(o, { version, ctx }))
        .filter((c): c is CanonicalChange => c !== null);
    }
    const lastId = typeof data.at(-1)?.id === 'string' ? (data.at(-1)?.id as string) : null;
    let nextCursor: string | null = null;
    if (result.has_more && lastId) nextCursor = `${use.list}:${lastId}`;
    else {
      const nextUse = uses[uses.indexOf(use) + 1];
      if (nextUse) nextCursor = `${nextUse.list}:`;
    }
    return { changes: changes.map((c) => this.#ofAccount(c)), nextCursor, version, requests };
  }

  /** The children of a page of parents: what each parent carries, then the rest of its list. */
  async #children(
    listing: ChildListing,
    parents: readonly StripeObject[],
    version: number,
    ctx: ChangeContext,
  ): Promise<{ changes: CanonicalChange[]; requests: number }> {
    const changes: CanonicalChange[] = [];
    let requests = 0;
    for (const parent of parents) {
      const parentId = typeof parent.id === 'string' ? parent.id : null;
      if (!parentId) continue;
      const deleted =
        listing.deletedWithParent === true && toChange(parent, { version, ctx })?.deleted === true;
      // Each child carries the time its content was read: the parent page's response for those
      // the parent carries, its own follow-up response for the rest (read later, maybe newer).
      const add = (children: readonly StripeObject[], readAt: number) => {
        for (const child of children) {
          const change = toChange(child, {
            version: readAt,
            ctx,
            parent,
            ...(deleted && { deleted }),
          });
          if (change) changes.push(change);
        }
      };
      let { data, hasMore } = listing.nested(parent);
      add(data, version);
      let after = typeof data.at(-1)?.id === 'string' ? (data.at(-1)?.id as string) : undefined;
      while (hasMore && listing.more) {
        const more = listing.more;
        const query = { limit: 100, ...(after && { starting_after: after }) };
        let page: ListResponse;
        try {
          const { result, attempts } = await this.#call(`list ${more.name}`, () =>
            more.call(this.#stripe, parentId, query),
          );
          requests += attempts;
          page = result;
        } catch (err) {
          // The parent went away between its page and this request: it has no children left.
          if (err instanceof ProviderError && err.details?.statusCode === 404) {
            requests += Number(err.details.attempts ?? 1);
            break;
          }
          throw err;
        }
        data = page.data as StripeObject[];
        add(data, responseDateMs(page.lastResponse?.headers));
        hasMore = page.has_more && data.length > 0;
        after = typeof data.at(-1)?.id === 'string' ? (data.at(-1)?.id as string) : after;
      }
    }
    return { changes, requests };
  }

  async retrieve(
    entityType: EntityType,
    externalId: string,
    ctx: ChangeContext,
  ): Promise<CanonicalChange> {
    const how = retrieveCall(entityType, externalId);
    try {
      const { result } = await this.#call(`retrieve ${how.name}`, () =>
        how.call(this.#stripe, externalId),
      );
      const change = toChange(result as StripeObject, {
        version: responseDateMs(result.lastResponse?.headers),
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
      if (err instanceof ProviderError && err.details?.statusCode === 404)
        return this.#ofAccount(
          goneChange(ctx, {
            provider: 'stripe',
            entityType,
            externalId,
            livemode: this.#mode === 'live',
          }),
        );
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
      if (existing) {
        await this.#subscribeToSyncedEvents(existing);
        return { id: existing.id, url, secret: null, created: false };
      }
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
            ...STRIPE_SYNCED_EVENT_TYPES,
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
   * An endpoint registered before paysync synced more event types (issue 19's breadth types)
   * still subscribes to the old list: it gains the missing types, keeping any others it has (its
   * api version cannot change and stays). One subscribed to every event (`*`) is left alone.
   */
  async #subscribeToSyncedEvents(endpoint: Stripe.WebhookEndpoint): Promise<void> {
    const enabled = endpoint.enabled_events ?? [];
    if (enabled.includes('*')) return;
    const missing = STRIPE_SYNCED_EVENT_TYPES.filter((t) => !enabled.includes(t));
    if (missing.length === 0) return;
    const enabledEvents = [
      ...new Set([...STRIPE_SYNCED_EVENT_TYPES, ...enabled]),
    ] as Stripe.WebhookEndpointUpdateParams.EnabledEvent[];
    await this.#call('update webhook endpoint', () =>
      this.#stripe.webhookEndpoints.update(endpoint.id, { enabled_events: enabledEvents }),
    );
  }

  /**
   * One API call under the rate limiter (see `callProvider`), honouring `Stripe-Should-Retry` too.
   * Errors leave as `ProviderError` with the Stripe request id; 401/403/4xx are not retryable.
   */
  #call<T>(what: string, fn: () => Promise<T>): Promise<{ result: T; attempts: number }> {
    return callProvider(this.#callPolicy, what, fn);
  }
}

function classifyStripeError(err: unknown): FailedCall {
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
  return {
    status,
    throttled: status === 429,
    retryable:
      shouldRetryHeader === 'false' ? false : shouldRetryHeader === 'true' ? true : transient,
    retryAfter: header('retry-after'),
    message: e.message,
    details: { requestId: e.requestId, stripeCode: e.code },
  };
}

function parseCursor(
  cursor: string | null | undefined,
  uses: readonly ListUse[],
): [ListUse, string | null] {
  if (!cursor) return [uses[0] as ListUse, null];
  const sep = cursor.indexOf(':');
  const name = cursor.slice(0, sep);
  const use = sep < 0 ? undefined : uses.find((u) => u.list === name);
  if (!use) {
    throw new ValidationError('Unknown list cursor', [
      { path: 'cursor', message: `not a cursor of ${uses.map((u) => u.list).join('/')}` },
    ]);
  }
  return [use, cursor.slice(sep + 1) || null];
}

function retrieveCall(
  entityType: EntityType,
  externalId: string,
): { readonly name: string; readonly call: RetrieveCall } {
  if (entityType === 'payment_transaction')
    return externalId.startsWith('pi_') ? PAYMENT_INTENT_RETRIEVE : CHARGE_RETRIEVE;
  const how = RETRIEVE[entityType];
  if (!how)
    throw new ValidationError(`Stripe cannot retrieve one ${entityType} by its id`, [
      { path: 'entityType', message: 'not retrievable' },
    ]);
  return how;
}

/** The list endpoints of `entityType`; a ValidationError for a type without a Stripe list yet. */
function listsOf(entityType: EntityType): readonly ListUse[] {
  const lists = LISTS[entityType];
  if (!lists)
    throw new ValidationError(`Stripe listing of ${entityType} is not supported`, [
      { path: 'entityType', message: 'not listable' },
    ]);
  return lists;
}
