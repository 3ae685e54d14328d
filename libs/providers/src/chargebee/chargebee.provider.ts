import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

import Chargebee from 'chargebee';

import { ENTITY_TYPES, type CanonicalChange, type EntityType } from '@paysync/contracts';
import { ProviderError, ValidationError } from '@paysync/errors';

import { goneChange } from '../gone-change.js';
import { callProvider, type FailedCall, type ProviderCallPolicy } from '../http/provider-call.js';
import { responseDateMs } from '../http/response-date.js';
import { TokenBucket } from '../http/token-bucket.js';
import {
  RESOURCE_OF,
  resourceOf,
  toChange,
  type ChargebeeObject,
  type ChargebeeResourceName,
} from './chargebee.mappers.js';
import {
  CHARGEBEE_EVENT_TYPES,
  chargebeeEventToProviderEvent,
  mapChargebeeEvent,
  primaryResourceOf,
  verifyChargebeeWebhook,
} from './chargebee.webhook.js';

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

/** Documented per-site limits: every test site 150/min; live 150, 1,000 or 3,500/min by plan. */
const CHARGEBEE_TEST_RATE_PER_MINUTE = 150;
const CHARGEBEE_LIVE_RATE_PER_MINUTE = 150;

/** The entity types synced from a Chargebee resource, in dependency order. */
const CHARGEBEE_ENTITY_TYPES: readonly EntityType[] = ENTITY_TYPES.filter(
  (type) => RESOURCE_OF[type] !== undefined,
);

export const CHARGEBEE_CAPABILITIES: ProviderCapabilities = {
  entityTypes: CHARGEBEE_ENTITY_TYPES,
  eventTypes: CHARGEBEE_EVENT_TYPES,
  // The interface speaks per second; Chargebee budgets per minute (see docs, "Interface changes").
  defaultRateLimitPerSecond: {
    test: CHARGEBEE_TEST_RATE_PER_MINUTE / 60,
    live: CHARGEBEE_LIVE_RATE_PER_MINUTE / 60,
  },
  // Per minute, no burst (see the limiter below).
  rateBudget: {
    test: { requests: CHARGEBEE_TEST_RATE_PER_MINUTE, perMs: 60_000, burst: 1 },
    live: { requests: CHARGEBEE_LIVE_RATE_PER_MINUTE, perMs: 60_000, burst: 1 },
  },
  // The lists with a creation-time filter (CREATED_FILTER); items and item prices have none.
  segmentableEntityTypes: ['customer', 'subscription', 'invoice', 'payment_transaction'],
  // Every synced resource has a retrieve call.
  retrievableEntityTypes: CHARGEBEE_ENTITY_TYPES,
  // 2011-01-01 (Chargebee started in 2011; an assumption, not a documented bound).
  oldestObjectSeconds: 1_293_840_000,
  // sort_by[asc]=updated_at (listPage): an object changed mid-listing is listed again, not skipped.
  listOrder: 'oldest_updated_first',
  eventsOrder: 'oldest_first',
  // No API registers a webhook: the URL and Basic credentials are pasted into Chargebee.
  webhookSetup: 'manual',
  webhookSecretKind: 'basic_credentials',
  // Up to 7 retries over about 3 days 7 hours.
  webhookRetryWindowMs: (3 * 24 + 7) * 3_600_000,
  // Ids are the merchant's (a test and a live site often share them): one active site per workspace.
  objectIdsGloballyUnique: false,
};

/**
 * Chargebee's defaults: https://<site>.chargebee.com/api/v2, 150 requests/min (test sites and the
 * smallest live plan), 8 attempts per request, 30 s per request.
 */
export interface ChargebeeProviderOptions extends ProviderClientOptions {
  /** The site name (`acme-test` for https://acme-test.chargebee.com). */
  readonly site: string;
  /** Test or live site; default from the key prefix (`test_`/`live_`), else `-test` in the name. */
  readonly mode?: 'test' | 'live' | undefined;
  /** Requests per minute for this site (default 150); ignored when `rateLimitPerSecond` is set. */
  readonly rateLimitPerMinute?: number | undefined;
  /** Longest `Retry-After` honoured (default 60 s, a minute being Chargebee's window). */
  readonly maxRetryAfterMs?: number | undefined;
}

/** Parameters of {@link ChargebeeProvider.listPage} beyond the interface's. */
export interface ChargebeeListPageParams extends ListPageParams {
  /** Incremental listing: only objects updated strictly after this time (seconds). */
  readonly updatedAfter?: number | undefined;
}

/** Resources whose list endpoint takes `include_deleted` (per the SDK's ListInputParam types). */
const INCLUDE_DELETED: ReadonlySet<ChargebeeResourceName> = new Set([
  'customer',
  'subscription',
  'invoice',
  'transaction',
]);
/**
 * The list filter that segments each resource by creation time (the field its canonical
 * `providerCreatedAt` comes from). Items and item prices have none: they cannot be segmented.
 */
const CREATED_FILTER: Partial<Record<ChargebeeResourceName, string>> = {
  customer: 'created_at',
  subscription: 'created_at',
  invoice: 'date',
  transaction: 'date',
};

/** The SDK's resource objects, by resource name. */
type SdkResource = {
  list(params: Record<string, unknown>): Promise<Record<string, unknown>>;
  retrieve(id: string): Promise<Record<string, unknown>>;
};

/** The error the SDK rejects with: a plain object from a JSON error body, or a ChargebeeError. */
interface SdkError {
  readonly message?: string;
  readonly type?: string;
  readonly api_error_code?: string;
  readonly http_status_code?: number;
  readonly http_code?: number;
  readonly headers?: Record<string, string> | null;
}

/**
 * One Chargebee site in paysync's terms, through the official SDK (v3). Retries are ours (the
 * SDK's are off): under the site's shared limiter, honouring `Retry-After` on 429s.
 */
export class ChargebeeProvider implements BillingProvider {
  readonly name = 'chargebee' as const;
  readonly site: string;
  readonly mode: 'test' | 'live';
  readonly #chargebee: Chargebee;
  readonly #callPolicy: ProviderCallPolicy;

  constructor({
    site,
    apiKey,
    apiBaseUrl,
    mode,
    rateLimitPerSecond,
    rateLimitPerMinute,
    rateLimiter,
    maxAttempts,
    timeoutMs,
    maxRetryAfterMs,
  }: ChargebeeProviderOptions) {
    if (!/^[a-z0-9][a-z0-9-]*$/i.test(site)) {
      throw new ValidationError('A Chargebee site is the name before .chargebee.com', [
        { path: 'site', message: 'letters, digits and dashes only' },
      ]);
    }
    if (apiKey.trim().length === 0) {
      throw new ValidationError('A Chargebee API key is required', [
        { path: 'apiKey', message: 'must not be empty' },
      ]);
    }
    this.site = site;
    this.mode =
      mode ??
      (apiKey.startsWith('live_')
        ? 'live'
        : apiKey.startsWith('test_') || site.endsWith('-test')
          ? 'test'
          : 'live');
    const base = apiBaseUrl ? new URL(apiBaseUrl) : undefined;
    if (this.mode === 'live' && base && base.protocol !== 'https:') {
      throw new ValidationError('A live Chargebee key is only sent to an https base URL', [
        { path: 'settings/apiBaseUrl', message: 'must be https for a live site' },
      ]);
    }
    this.#chargebee = new Chargebee({
      apiKey,
      // Another base URL (the simulator, a proxy): its host is the "site", with no suffix.
      site: base ? base.hostname : site,
      ...(base && {
        hostSuffix: '',
        protocol: base.protocol.replace(':', '') as 'http' | 'https',
        port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
      }),
      timeout: timeoutMs ?? 30_000,
      sdkTelemetryEnabled: false,
    });
    this.#callPolicy = {
      provider: 'chargebee',
      displayName: 'Chargebee',
      limiter:
        rateLimiter ??
        new TokenBucket({
          ratePerSecond: rateLimitPerSecond ?? (rateLimitPerMinute ?? 150) / 60,
          // No burst above the steady rate: Chargebee counts requests in the past 60 s, so a burst
          // at the start of a minute-long run spends budget the end of that minute needs (a 429).
          burst: 1,
        }),
      maxAttempts: maxAttempts ?? 8,
      maxRetryAfterMs: maxRetryAfterMs ?? 60_000,
      // No Retry-After on a 429: Chargebee's window is a minute; wait a few seconds, and let the
      // limiter slow the whole site.
      throttledPauseMs: 5_000,
      classify: classifySdkError,
    };
  }

  capabilities(): ProviderCapabilities {
    return CHARGEBEE_CAPABILITIES;
  }

  /** `secrets` are the connection's Basic credentials, `username:password` each. */
  verifyWebhook(
    rawBody: Buffer,
    headers: IncomingHttpHeaders,
    secrets: readonly string[],
  ): ProviderEvent {
    return verifyChargebeeWebhook(rawBody, headers, secrets, { livemode: this.mode === 'live' });
  }

  mapEvent(event: ProviderEvent, ctx: ChangeContext): MappedEvent {
    return mapChargebeeEvent(event, ctx);
  }

  /** A stored event payload (as received) back into a ProviderEvent, for replay. */
  rehydrateEvent(payload: unknown): ProviderEvent {
    const event = chargebeeEventToProviderEvent(payload, { livemode: this.mode === 'live' });
    if (!event)
      throw new ValidationError('Stored payload is not a Chargebee event', [
        { path: 'payload', message: 'needs id, event_type, occurred_at and content' },
      ]);
    return event;
  }

  /**
   * Replay by refetch: the event with its own resource replaced by that resource's current state
   * (its `content` holds only that resource; a resource gone at Chargebee becomes
   * `{id, deleted: true}` versioned at the retrieve) and `occurred_at` set to the retrieve.
   */
  async refetchEvent(event: ProviderEvent, ctx: ChangeContext): Promise<RefetchedEvent> {
    const resource = primaryResourceOf(event.type);
    const entityType = (Object.keys(RESOURCE_OF) as EntityType[]).find(
      (e) => RESOURCE_OF[e] === resource,
    );
    if (!resource || !entityType || !event.objectId)
      return { kind: 'skipped', reason: `event ${event.type} has no synced resource to refetch` };
    const current = await this.retrieve(entityType, event.objectId, ctx);
    const payload = (event.payload ?? {}) as ChargebeeObject;
    const object = current.deleted
      ? { id: event.objectId, deleted: true, resource_version: current.version }
      : current.raw;
    const occurredAt = Math.floor(current.version / 1000);
    return {
      kind: 'refetched',
      deleted: current.deleted,
      event: {
        ...event,
        createdMs: occurredAt * 1000,
        payload: { ...payload, occurred_at: occurredAt, content: { [resource]: object } },
      },
    };
  }

  /**
   * One page, oldest change first (`sort_by[asc]=updated_at`): an object changed while a listing
   * runs moves behind the cursor and is listed again, never skipped. The cursor is Chargebee's
   * opaque `next_offset`. Deleted rows come too where the endpoint offers `include_deleted`, as
   * tombstones. Each change carries its own `resource_version`.
   */
  async listPage(
    entityType: EntityType,
    params: ChargebeeListPageParams,
    ctx: ChangeContext,
  ): Promise<ListPage> {
    const resource = resourceOf(entityType);
    const limit = Math.min(Math.max(params.limit ?? 100, 1), 100);
    const segmented = params.createdGte !== undefined || params.createdLt !== undefined;
    const createdField = resource ? CREATED_FILTER[resource] : undefined;
    // Ignoring a segment would list everything once per segment: refuse instead.
    if (segmented && !createdField) {
      throw new ValidationError(
        `Chargebee ${String(resource)} lists cannot be segmented by creation time`,
        [{ path: 'createdGte', message: 'not supported for this entity type' }],
      );
    }
    // Flat bracketed keys: the SDK serialises a filter object with two operators into one broken
    // key (`created_at[after][before]`), so each operator is its own key here.
    const query: Record<string, unknown> = {
      limit,
      'sort_by[asc]': 'updated_at',
      ...(params.cursor && { offset: params.cursor }),
      ...(INCLUDE_DELETED.has(resource) && { include_deleted: true }),
      ...(params.updatedAfter !== undefined && { 'updated_at[after]': params.updatedAfter }),
      // `after` and `before` are strict: [gte, lt) is (gte − 1, lt).
      ...(params.createdGte !== undefined && { [`${createdField}[after]`]: params.createdGte - 1 }),
      ...(params.createdLt !== undefined && { [`${createdField}[before]`]: params.createdLt }),
    };
    const api = this.#resource(resource);
    const { result, attempts } = await this.#call(`list ${resource}`, () => api.list(query));
    const fetchedAt = responseDateMs(result.headers);
    const entries = Array.isArray(result.list) ? (result.list as ChargebeeObject[]) : [];
    const changes = entries
      .map((entry) => entry[resource] as ChargebeeObject | undefined)
      .filter((o): o is ChargebeeObject => !!o && typeof o === 'object')
      .map((o) =>
        toChange(resource, o, { fallbackVersionMs: fetchedAt, livemode: this.#live, ctx }),
      )
      .filter((c): c is CanonicalChange => c !== null);
    const next = typeof result.next_offset === 'string' ? result.next_offset : null;
    return { changes, nextCursor: next, version: fetchedAt, requests: attempts };
  }

  async retrieve(
    entityType: EntityType,
    externalId: string,
    ctx: ChangeContext,
  ): Promise<CanonicalChange> {
    const resource = resourceOf(entityType);
    const api = this.#resource(resource);
    try {
      const { result } = await this.#call(`retrieve ${resource}`, () => api.retrieve(externalId));
      const object = result[resource] as ChargebeeObject | undefined;
      const change = object
        ? toChange(resource, object, {
            fallbackVersionMs: responseDateMs(result.headers),
            livemode: this.#live,
            ctx,
          })
        : null;
      if (!change)
        throw new ProviderError(
          'PROVIDER_ERROR',
          `Chargebee returned no ${resource} for ${externalId}`,
          { retryable: false, details: { provider: 'chargebee' } },
        );
      return change;
    } catch (err) {
      if (err instanceof ProviderError && err.details?.statusCode === 404)
        return goneChange(ctx, {
          provider: 'chargebee',
          entityType,
          externalId,
          livemode: this.#live,
        });
      throw err;
    }
  }

  /**
   * `GET /api/v2/events` since `createdGte` (seconds, inclusive), OLDEST first
   * (`sort_by[asc]=occurred_at`; Chargebee pages forward with `next_offset`), synced types only.
   */
  async listEvents(params: ListEventsParams): Promise<EventsPage> {
    const limit = Math.min(Math.max(params.limit ?? 100, 1), 100);
    const { result } = await this.#call('list events', () =>
      this.#chargebee.event.list({
        limit,
        'sort_by[asc]': 'occurred_at',
        ...(params.cursor && { offset: params.cursor }),
        ...({ 'occurred_at[after]': params.createdGte - 1 } as Record<string, unknown>),
      }),
    );
    const listed = result.list.map((entry) =>
      chargebeeEventToProviderEvent(entry.event, { livemode: this.#live }),
    );
    const events = listed.filter(
      (e): e is ProviderEvent => e !== null && CHARGEBEE_EVENT_TYPES.some((t) => t === e.type),
    );
    return { events, listed: result.list.length, nextCursor: result.next_offset ?? null };
  }

  /** Chargebee has no "who am I": one customer listed proves the key and the site. */
  async testConnection(): Promise<ConnectionTestResult> {
    await this.#call('list customer', () => this.#chargebee.customer.list({ limit: 1 }));
    return { accountId: this.site, mode: this.mode };
  }

  /**
   * Chargebee has no API to register a webhook endpoint: this makes the Basic credentials for
   * `url` (to be stored encrypted, and pasted with the URL into Settings → Configure Chargebee →
   * Webhooks). `created` is false: nothing exists at Chargebee until someone pastes it there.
   */
  registerWebhookEndpoint(url: string): Promise<WebhookEndpoint> {
    const credential = `paysync:${randomBytes(24).toString('base64url')}`;
    return Promise.resolve({
      id: `manual:${url}`,
      url,
      secret: credential,
      created: false,
      instructions:
        'In Chargebee, open Settings → Configure Chargebee → Webhooks and add a webhook: paste this URL, ' +
        'turn on "Protect webhook URL with basic authentication" and enter this username and password ' +
        '(they are shown only once).',
    });
  }

  get #live(): boolean {
    return this.mode === 'live';
  }

  #resource(resource: ChargebeeResourceName | undefined): SdkResource {
    const sdk = this.#chargebee as unknown as Record<string, SdkResource | undefined>;
    const api = resource && sdk[resource === 'item_price' ? 'itemPrice' : resource];
    if (!api)
      throw new ValidationError(`Chargebee has no synced resource ${String(resource)}`, [
        { path: 'entityType', message: 'not a synced entity type' },
      ]);
    return api;
  }

  /**
   * One API call under the site's limiter (see `callProvider`). The SDK rejects with plain objects
   * (JSON error bodies) or ChargebeeError/TypeError instances; all leave as `ProviderError` carrying
   * the HTTP status and Chargebee's `api_error_code`. 429, 5xx and network errors are retried;
   * other 4xx are not.
   */
  #call<T>(what: string, fn: () => Promise<T>): Promise<{ result: T; attempts: number }> {
    return callProvider(this.#callPolicy, what, fn);
  }
}

function classifySdkError(err: unknown): FailedCall {
  const e = (err ?? {}) as SdkError;
  const status = e.http_status_code ?? e.http_code;
  const throttled = status === 429 || e.api_error_code === 'api_request_limit_exceeded';
  return {
    status,
    throttled,
    retryable: throttled || (status === undefined ? isNetworkError(err) : status >= 500),
    retryAfter: e.headers?.['retry-after'],
    message: e.message,
    details: { chargebeeCode: e.api_error_code, chargebeeType: e.type },
  };
}

/**
 * No HTTP answer: fetch's `TypeError: fetch failed` (reset, refused, DNS; the reason in `cause`) or
 * an abort. A TypeError of our own (a bug) is not one, and is not retried.
 */
function isNetworkError(err: unknown): boolean {
  // Duck-typed: fetch's errors come from another realm than ours under test runners' VMs.
  const e = err as { name?: unknown; message?: unknown; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return true;
  return e.name === 'TypeError' && (e.message === 'fetch failed' || e.cause !== undefined);
}
