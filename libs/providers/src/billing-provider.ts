import type { IncomingHttpHeaders } from 'node:http';

import type { CanonicalChange, EntityType, ProviderName, SyncSource } from '@paysync/contracts';

import type { RateLimiter } from './http/token-bucket.js';

/** A verified provider event, in our terms. `payload` is the provider's event as parsed JSON. */
export interface ProviderEvent {
  readonly provider: ProviderName;
  readonly id: string;
  readonly type: string;
  /** Provider time of the event, milliseconds since the epoch. */
  readonly createdMs: number;
  readonly livemode: boolean;
  /** Provider account the event belongs to (Stripe Connect `account`), when present. */
  readonly accountId: string | null;
  /** API version the provider rendered the event with. */
  readonly apiVersion: string | null;
  readonly objectType: string | null;
  readonly objectId: string | null;
  readonly payload: unknown;
}

/**
 * An event as the event log stored it (replay): the provider's payload as received, plus what the
 * log recorded about it. `createdMs` is the recorded provider time, else the receive time.
 */
export interface StoredEvent {
  readonly id: string;
  readonly type: string;
  readonly createdMs: number;
  readonly objectType: string | null;
  readonly objectId: string | null;
  readonly payload: unknown;
}

/**
 * Replay by refetch: the stored event with its object replaced by the provider's current state (an
 * event the pipeline maps like any other, dated at the retrieve), and whether the object is gone;
 * or why there is nothing to refetch.
 */
export type RefetchedEvent =
  | { readonly kind: 'refetched'; readonly event: ProviderEvent; readonly deleted: boolean }
  | { readonly kind: 'skipped'; readonly reason: string };

/** Who the changes belong to and how they arrived; the adapter knows neither. */
export interface ChangeContext {
  readonly workspaceId: string;
  readonly source: SyncSource;
}

/** What an event means for synced data: changes to apply, or a typed "we do not sync this". */
export type MappedEvent =
  | { readonly kind: 'changes'; readonly changes: readonly CanonicalChange[] }
  | { readonly kind: 'ignored'; readonly reason: string };

export interface ListPageParams {
  /** Opaque cursor from a previous page; absent for the first page. */
  readonly cursor?: string | null;
  /** Page size (Stripe: at most 100). */
  readonly limit?: number;
  /** Only objects created in [createdGte, createdLt) (seconds), for parallel segments. */
  readonly createdGte?: number;
  readonly createdLt?: number;
}

export interface ListPage {
  readonly changes: readonly CanonicalChange[];
  /** Cursor for the next page, null when this was the last. */
  readonly nextCursor: string | null;
  /**
   * The provider's response time (`Date`) of the page's first request: the version its objects
   * carry, except children read by follow-up requests (Stripe), which carry their response's.
   */
  readonly version: number;
  /** HTTP requests this page took, retries included (for rate accounting). */
  readonly requests: number;
}

export interface ListEventsParams {
  /** Only events created at or after this time (provider seconds). */
  readonly createdGte: number;
  /** Opaque cursor from a previous page; absent for the first page. */
  readonly cursor?: string | null;
  readonly limit?: number;
}

export interface EventsPage {
  /** Events of the types we sync, in the provider's order (Stripe newest, Chargebee oldest first). */
  readonly events: readonly ProviderEvent[];
  /** Every event of the page, synced type or not (for the checked count). */
  readonly listed: number;
  readonly nextCursor: string | null;
}

export interface ConnectionTestResult {
  readonly accountId: string;
  readonly mode: 'test' | 'live';
}

export interface WebhookEndpoint {
  readonly id: string;
  readonly url: string;
  /**
   * Signing secret (Stripe), or generated Basic `username:password` credentials (a `manual`
   * {@link ProviderCapabilities.webhookSetup}); only present when the endpoint was just created.
   */
  readonly secret: string | null;
  readonly created: boolean;
  /** For a `manual` setup: where at the provider to paste the URL and credentials. */
  readonly instructions?: string | undefined;
}

/** A provider's documented request budget: `requests` per `perMs`, at most `burst` at once. */
export interface RateBudget {
  readonly requests: number;
  readonly perMs: number;
  readonly burst: number;
}

/**
 * What a provider can do and how it behaves, as data: callers decide by these, never by the
 * provider's name (issue 17).
 */
export interface ProviderCapabilities {
  readonly entityTypes: readonly EntityType[];
  readonly eventTypes: readonly string[];
  readonly defaultRateLimitPerSecond: { readonly test: number; readonly live: number };
  /** The documented budget per account (Stripe) or site (Chargebee), by mode. */
  readonly rateBudget: { readonly test: RateBudget; readonly live: RateBudget };
  /**
   * Entity types whose lists take created-time segments (`createdGte`/`createdLt`); the others
   * must be listed whole (a segmented `listPage` of them is a ValidationError).
   */
  readonly segmentableEntityTypes: readonly EntityType[];
  /**
   * Entity types `retrieve` can fetch one object of by id; the others (Stripe invoice lines and
   * discounts) are only known through their parents' lists, so a tie or a missing row of them
   * cannot be checked against the provider.
   */
  readonly retrievableEntityTypes: readonly EntityType[];
  /** No object of the provider is older than this (seconds): the floor of an oldest-object search. */
  readonly oldestObjectSeconds: number;
  /**
   * How an unsegmented `listPage` orders objects: `newest_created_first` (Stripe), so a backfill
   * split may keep the first page as its newest segment's first page and go on from its cursor;
   * `oldest_updated_first` (Chargebee `sort_by[asc]=updated_at`), whose first page spans any
   * creation times (a split lists each segment from its start).
   */
  readonly listOrder: 'newest_created_first' | 'oldest_updated_first';
  /** How `listEvents` pages (for information: callers must not depend on an order). */
  readonly eventsOrder: 'newest_first' | 'oldest_first';
  /**
   * How a webhook endpoint comes to exist: `api` (registerWebhookEndpoint creates it) or `manual`
   * (registerWebhookEndpoint returns the URL and generated credentials to paste at the provider).
   */
  readonly webhookSetup: 'api' | 'manual';
  /** What a connection's webhook secrets are: signing secrets, or Basic `username:password`. */
  readonly webhookSecretKind: 'signing_secret' | 'basic_credentials';
  /** How long the provider may keep redelivering one event (its retry schedule): dedupe at least that long. */
  readonly webhookRetryWindowMs: number;
  /**
   * Whether an object id names one object across all the provider's accounts (Stripe: `cus_…`).
   * Synced rows are unique per workspace, provider and object id, so where ids are not (Chargebee:
   * merchant-chosen, a test and a live site often share them) two accounts' objects would overwrite
   * each other: such a provider has at most one active connection per workspace.
   */
  readonly objectIdsGloballyUnique: boolean;
}

/** What a provider client is built from, whatever the provider (each client may add its own). */
export interface ProviderClientOptions {
  readonly apiKey: string;
  /** Another base URL for the API (the simulator, a proxy). Default: the provider's. */
  readonly apiBaseUrl?: string | undefined;
  /** Requests per second for this account (default: the provider's, by mode). */
  readonly rateLimitPerSecond?: number | undefined;
  /** Share one limiter between provider instances of the same account. */
  readonly rateLimiter?: RateLimiter | undefined;
  /** Attempts per request on 429/5xx/network errors before giving up. */
  readonly maxAttempts?: number | undefined;
  /** Per-request timeout (default 30 s). */
  readonly timeoutMs?: number | undefined;
  readonly webhookToleranceSeconds?: number | undefined;
  /** The connection's mode, for providers whose keys do not say (Chargebee). */
  readonly mode?: 'test' | 'live' | undefined;
  /** The connection's provider settings (`site` for Chargebee); each adapter reads its own. */
  readonly settings?: Readonly<Record<string, unknown>> | undefined;
  /**
   * Stripe Connect: the connected account (`acct_…`) every call of this client acts for (the
   * `Stripe-Account` header, the platform's key); the changes it returns carry it as `accountId`.
   * Absent: the connection's own account.
   */
  readonly accountId?: string | null | undefined;
}

/** One page of a Connect platform's connected accounts (Stripe `GET /v1/accounts`). */
interface ConnectedAccountsPage {
  readonly accountIds: readonly string[];
  /** The next page's cursor; null when this was the last page. */
  readonly nextCursor: string | null;
  readonly requests: number;
}

/**
 * One provider connection (API key, base URL) in paysync's terms (STYLE R33–R34): no vendor SDK
 * type crosses this interface. The adapter registry (`registry.ts`) is the only place a provider
 * name is looked up: everything vendor-specific is behind this interface or a `ProviderAdapter`.
 */
export interface BillingProvider {
  readonly name: ProviderName;
  capabilities(): ProviderCapabilities;
  /** Verifies a webhook from its raw bytes and headers against any of `secrets`. */
  verifyWebhook(
    rawBody: Buffer,
    headers: IncomingHttpHeaders,
    secrets: readonly string[],
  ): ProviderEvent;
  mapEvent(event: ProviderEvent, ctx: ChangeContext): MappedEvent;
  /**
   * Replay by refetch: retrieves the current state of the event's own object and returns the
   * event rewritten with it (see {@link RefetchedEvent}). Provider failures are thrown.
   */
  refetchEvent(event: ProviderEvent, ctx: ChangeContext): Promise<RefetchedEvent>;
  /** One page of every object of a type, oldest cursor first as the provider orders them. */
  listPage(entityType: EntityType, params: ListPageParams, ctx: ChangeContext): Promise<ListPage>;
  /** Current state of one object; a deleted or missing object comes back as a tombstone change. */
  retrieve(
    entityType: EntityType,
    externalId: string,
    ctx: ChangeContext,
  ): Promise<CanonicalChange>;
  /**
   * The provider's own event log (Stripe `/v1/events`, kept 30 days; Chargebee `/api/v2/events`),
   * in the provider's order (callers must not assume one); absent for providers without one. The
   * recovery service compares it with what arrived by webhook.
   */
  listEvents?(params: ListEventsParams): Promise<EventsPage>;
  /**
   * Stripe Connect: one page of the platform's connected accounts, oldest cursor first as the
   * provider orders them; absent for providers without sub-accounts.
   */
  listConnectedAccounts?(params: {
    readonly cursor?: string | null;
    readonly limit?: number;
  }): Promise<ConnectedAccountsPage>;
  testConnection(): Promise<ConnectionTestResult>;
  /** Registers (or finds) the webhook endpoint for `url` with the event types we sync. */
  registerWebhookEndpoint(url: string): Promise<WebhookEndpoint>;
}
