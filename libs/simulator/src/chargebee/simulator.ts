import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { FaultQueue } from '../fault-queue.js';
import { parseBracketParams } from '../form.js';
import { SimServer, answerAdmin, readBody } from '../sim-server.js';
import { prng, type Faults } from '../simulator.js';
import { BASE_CREATED, type SimObject } from '../store.js';
import { WebhookSender, type DeliveryOptions, type WebhookHeaders } from '../webhook-sender.js';
import {
  CHARGEBEE_RESOURCES,
  LISTS_DELETED,
  RESOURCE_PATH,
  ResourceStore,
  type ChargebeeResource,
} from './store.js';

export type ChargebeeSeedCounts = Partial<Record<ChargebeeResource, number>>;

export interface ChargebeeSimulatorOptions {
  /** Site name (what the real API has as the host's first label). Default `paysync-sim-test`. */
  readonly site?: string;
  /** API keys the site accepts (HTTP Basic username). Default `['test_sim_key']`. */
  readonly apiKeys?: readonly string[];
  readonly seed?: ChargebeeSeedCounts;
  /** Requests per minute per site, sliding 60 s window (Chargebee's limit); off when absent. */
  readonly rateLimitPerMinute?: number;
  /** PRNG seed for fault injection and delivery modes, so runs repeat. */
  readonly randomSeed?: number;
}

export interface ChargebeeSimEvent extends SimObject {
  readonly id: string;
  readonly event_type: string;
  readonly occurred_at: number;
  readonly content: Record<string, SimObject>;
}

/** A Chargebee error body: `message`, `type`, `api_error_code`, `http_status_code` (+ legacy). */
export function chargebeeError(
  status: number,
  apiErrorCode: string,
  message: string,
  extra: SimObject = {},
): SimObject {
  return {
    message,
    type:
      status === 429 ? 'operation_failed' : status >= 500 ? 'internal_error' : 'invalid_request',
    api_error_code: apiErrorCode,
    error_code: apiErrorCode,
    error_msg: message,
    http_status_code: status,
    ...extra,
  };
}

const ID_PREFIX: Record<ChargebeeResource, string> = {
  customer: 'cbsim_cus_',
  item: 'cbsim_item_',
  item_price: 'cbsim_ip_',
  subscription: 'cbsim_sub_',
  invoice: 'cbsim_inv_',
  transaction: 'cbsim_txn_',
  credit_note: 'cbsim_cn_',
};

/** The id of seeded object `i` of a resource (`cbsim_cus_00000003`). */
export const simId = (resource: ChargebeeResource, i: number) =>
  `${ID_PREFIX[resource]}${i.toString().padStart(8, '0')}`;

/** Number fields of form bodies (Chargebee form-encodes create/update parameters). */
const NUMERIC =
  /^(price|period|amount|total|sub_total|amount_paid|amount_due|quantity|unit_price|net_term_days|promotional_credits|refundable_credits|excess_payments|unbilled_charges|date|due_date|paid_at|created_at|trial_start|trial_end|current_term_start|current_term_end|cancelled_at)$/;

/**
 * A fake Chargebee API v2 (Product Catalog 2.0) on 127.0.0.1, stateful and deterministic: list
 * (`limit`, opaque `offset`/`next_offset`, `sort_by[asc|desc]`, `updated_at`/`created_at`
 * filters, `include_deleted`), retrieve, create, update, delete (and subscription cancel) for
 * customers, items, item prices, subscriptions, invoices, transactions and credit notes;
 * `/api/v2/events`; HTTP Basic auth with the API key as username; a per-minute limit answering 429
 * `api_request_limit_exceeded` with Retry-After; errors always in Chargebee's JSON shape; webhook
 * delivery with HTTP Basic credentials, duplicates, reordering, delays and drops.
 */
export class ChargebeeSimulator {
  readonly site: string;
  readonly stores: Record<ChargebeeResource, ResourceStore>;
  readonly events: ChargebeeSimEvent[] = [];
  readonly webhooks: WebhookSender;
  faults: Faults = { latencyMs: 0, rate429: 0, rate500: 0, rateReset: 0, retryAfterSeconds: 1 };
  rateLimitPerMinute: number | undefined;
  /** Count of API requests served, by `METHOD /api/v2/<resource>[/:id]`. */
  readonly requestCounts = new Map<string, number>();
  /** Arrival time (ms) and answer of every API request, for tests that check pacing. */
  readonly requestLog: { atMs: number; method: string; path: string; status: number }[] = [];
  readonly #server = new SimServer();
  readonly #random: () => number;
  readonly #apiKeys: Set<string>;
  readonly #endpoints: { url: string; credential: string }[] = [];
  readonly #faultQueue = new FaultQueue();
  /** Times (ms) of requests inside the current rate window. */
  #window: number[] = [];
  #eventSeq = 0;
  readonly #runTag = randomBytes(3).toString('hex');
  #lastVersion = 0;
  #frozenSeconds: number | undefined;
  #frozenVersion: number | undefined;
  #failListing: { resource: ChargebeeResource; afterPages: number; served: number } | undefined;
  readonly #counters: Record<ChargebeeResource, number>;

  constructor(options: ChargebeeSimulatorOptions = {}) {
    this.site = options.site ?? 'paysync-sim-test';
    this.#apiKeys = new Set(options.apiKeys ?? ['test_sim_key']);
    this.rateLimitPerMinute = options.rateLimitPerMinute;
    this.#random = prng(options.randomSeed ?? 42);
    this.webhooks = new WebhookSender({
      random: () => this.#random(),
      headers: chargebeeWebhookHeaders,
    });
    this.stores = Object.fromEntries(
      CHARGEBEE_RESOURCES.map((r) => [r, new ResourceStore(r)]),
    ) as Record<ChargebeeResource, ResourceStore>;
    this.#counters = Object.fromEntries(CHARGEBEE_RESOURCES.map((r) => [r, 0])) as Record<
      ChargebeeResource,
      number
    >;
    this.#seed(options.seed ?? {});
  }

  // ------------------------------------------------------------------ lifecycle

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    await this.#server.start((req, res) => this.#handle(req, res), port, host);
    return this.url;
  }

  get url(): string {
    return this.#server.url;
  }

  async stop(): Promise<void> {
    await this.webhooks.flush();
    this.webhooks.close();
    await this.#server.close();
  }

  // ------------------------------------------------------------------ test and demo controls

  nowSeconds(): number {
    return this.#frozenSeconds ?? Math.floor(Date.now() / 1000);
  }

  freezeClock(seconds: number | undefined): void {
    this.#frozenSeconds = seconds;
  }

  /**
   * Testing hook: every change gets `resource_version` `ms` (undefined: growing again), so two
   * changes tie on the version the way two Stripe changes in one second tie on `created`.
   */
  freezeVersion(ms: number | undefined): void {
    this.#frozenVersion = ms;
  }

  /**
   * Testing hook: lists of `resource` serve `afterPages` pages, then answer 500 until
   * `clearListingFailure()` (a listing that breaks half-way).
   */
  failListing(resource: ChargebeeResource, afterPages: number): void {
    this.#failListing = { resource, afterPages, served: 0 };
  }

  clearListingFailure(): void {
    this.#failListing = undefined;
  }

  /** The next `count` API requests fail with `status` (0 = connection reset). */
  failNext(count: number, status: 429 | 500 | 0): void {
    this.#faultQueue.push(count, status);
  }

  addApiKey(key: string): void {
    this.#apiKeys.add(key);
  }

  /** From now on `key` answers 401, as a key deleted in Chargebee's settings does. */
  revokeKey(key: string): void {
    this.#apiKeys.delete(key);
  }

  /**
   * A webhook as configured in Settings → Configure Chargebee → Webhooks: a URL with HTTP Basic
   * `username`/`password` (sent with every delivery).
   */
  addWebhookEndpoint(url: string, username: string, password: string): void {
    this.#endpoints.push({ url, credential: `${username}:${password}` });
  }

  setDelivery(options: Partial<DeliveryOptions>): void {
    this.webhooks.options = { ...this.webhooks.options, ...options };
  }

  getObject(resource: ChargebeeResource, id: string): SimObject | undefined {
    return this.stores[resource].get(id);
  }

  /** Creates a resource (as the API would) and emits its `*_created` event. */
  create(resource: ChargebeeResource, fields: SimObject = {}): SimObject {
    const index = this.#counters[resource]++;
    const template = GENERATORS[resource](index, this.#picker());
    const now = this.nowSeconds();
    const object = this.#stamp({
      ...template,
      ...(resource !== 'item' && { created_at: now }),
      ...fields,
      id: typeof fields.id === 'string' ? fields.id : simId(resource, index),
      deleted: false,
    });
    const stored = this.stores[resource].put(object);
    this.#emit(createdEvent(resource), this.#contentFor(resource, stored));
    return stored;
  }

  /** Updates a resource (a new `resource_version` and `updated_at`) and emits its event. */
  update(
    resource: ChargebeeResource,
    id: string,
    fields: SimObject,
    opts: { silent?: boolean; eventType?: string } = {},
  ): SimObject {
    const current = this.stores[resource].get(id);
    if (!current || current.deleted === true) throw new NotFound(resource, id);
    const stored = this.stores[resource].put(this.#stamp({ ...current, ...fields }));
    if (!opts.silent)
      this.#emit(opts.eventType ?? updatedEvent(resource), this.#contentFor(resource, stored));
    return stored;
  }

  /**
   * Deletes a resource: kept with `deleted: true` (listed with `include_deleted=true`, 404 on
   * retrieve); items and item prices get status `deleted`. Emits `*_deleted`.
   */
  delete(resource: ChargebeeResource, id: string, opts: { silent?: boolean } = {}): SimObject {
    const current = this.stores[resource].get(id);
    if (!current || current.deleted === true) throw new NotFound(resource, id);
    const stored = this.stores[resource].put(
      this.#stamp({
        ...current,
        deleted: true,
        ...((resource === 'item' || resource === 'item_price') && { status: 'deleted' }),
      }),
    );
    if (!opts.silent) this.#emit(`${resource}_deleted`, this.#contentFor(resource, stored));
    return stored;
  }

  /** Cancels a subscription now (status `cancelled`), emitting `subscription_cancelled`. */
  cancelSubscription(id: string, opts: { silent?: boolean } = {}): SimObject {
    const now = this.nowSeconds();
    return this.update(
      'subscription',
      id,
      { status: 'cancelled', cancelled_at: now, current_term_end: now },
      { ...opts, eventType: 'subscription_cancelled' },
    );
  }

  /** Sends an event of any type with the given content to every webhook. */
  trigger(eventType: string, content: Record<string, SimObject>): ChargebeeSimEvent {
    return this.#emit(eventType, content);
  }

  // ------------------------------------------------------------------ internals

  #seed(counts: ChargebeeSeedCounts): void {
    const pick = this.#picker(counts);
    for (const resource of CHARGEBEE_RESOURCES) {
      const n = counts[resource] ?? 0;
      for (let i = 0; i < n; i++) {
        const t = BASE_CREATED + i;
        this.stores[resource].put({
          ...GENERATORS[resource](i, pick),
          ...(resource !== 'item' && { created_at: t }),
          updated_at: t,
          resource_version: t * 1000,
          deleted: false,
        });
      }
      this.#counters[resource] = n;
    }
  }

  /** Ids of related seeded/created objects, round robin (null when there are none). */
  #picker(counts?: ChargebeeSeedCounts): (resource: ChargebeeResource, i: number) => string | null {
    return (resource, i) => {
      const n = counts ? (counts[resource] ?? 0) : this.#counters[resource];
      return n > 0 ? simId(resource, i % n) : null;
    };
  }

  /** A change: `updated_at` (s) and a `resource_version` (ms) that always grows. */
  #stamp(object: SimObject): SimObject {
    const now = this.nowSeconds();
    this.#lastVersion = Math.max(now * 1000, this.#lastVersion + 1);
    return {
      ...object,
      updated_at: now,
      resource_version: this.#frozenVersion ?? this.#lastVersion,
    };
  }

  /** What Chargebee puts in an event's `content` for a change of `resource`. */
  #contentFor(resource: ChargebeeResource, object: SimObject): Record<string, SimObject> {
    const content: Record<string, SimObject> = { [resource]: object };
    const customerId = typeof object.customer_id === 'string' ? object.customer_id : null;
    if (resource === 'subscription' && customerId) {
      const customer = this.stores.customer.get(customerId);
      if (customer) content.customer = customer;
    }
    return content;
  }

  #emit(eventType: string, content: Record<string, SimObject>): ChargebeeSimEvent {
    const event: ChargebeeSimEvent = {
      id: `ev_sim${this.#runTag}${(++this.#eventSeq).toString().padStart(10, '0')}`,
      occurred_at: this.nowSeconds(),
      source: 'api',
      object: 'event',
      api_version: 'v2',
      webhook_status: this.#endpoints.length > 0 ? 'scheduled' : 'not_configured',
      event_type: eventType,
      content: structuredClone(content),
    };
    this.events.push(event);
    for (const endpoint of this.#endpoints)
      this.webhooks.send(endpoint.url, endpoint.credential, event);
    return event;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const arrived = Date.now();
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      if (!url.pathname.startsWith('/_sim/'))
        this.requestLog.push({ atMs: arrived, method, path: url.pathname, status });
      res.writeHead(status, {
        'content-type': 'application/json;charset=utf-8',
        date: new Date().toUTCString(),
        ...headers,
      });
      res.end(JSON.stringify(body));
    };
    const error = (
      status: number,
      code: string,
      message: string,
      headers?: Record<string, string>,
    ) => send(status, chargebeeError(status, code, message), headers);

    const bodyText = await readBody(req);

    if (url.pathname.startsWith('/_sim/'))
      return answerAdmin(this, { path: url.pathname, method, body: bodyText }, send, {
        stats: () => this.#stats(),
        unknownRoute: chargebeeError(404, 'resource_not_found', 'unknown admin route'),
      });

    const segments = url.pathname.split('/').filter(Boolean);
    const pattern = `${method} /${segments.slice(0, 3).join('/')}${segments.length > 3 ? '/:id' : ''}`;
    this.requestCounts.set(pattern, (this.requestCounts.get(pattern) ?? 0) + 1);

    if (this.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
    const fault = this.#faultQueue.next(this.faults, this.#random);
    if (fault === 0) {
      req.socket.destroy();
      return;
    }
    if (fault === 429) return this.#throttled(error, this.faults.retryAfterSeconds);
    if (fault === 500)
      return error(500, 'internal_error', 'Sorry, something went wrong (simulated).');

    // HTTP Basic, the API key as username and an empty password.
    const auth = req.headers.authorization ?? '';
    const key = auth.startsWith('Basic ')
      ? Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':')[0]
      : undefined;
    if (!key || !this.#apiKeys.has(key))
      return error(
        401,
        'api_authentication_failed',
        'Sorry, authentication failed. Invalid api key',
      );

    if (this.rateLimitPerMinute !== undefined) {
      const now = Date.now();
      this.#window = this.#window.filter((t) => t > now - 60_000);
      if (this.#window.length >= this.rateLimitPerMinute) {
        const oldest = this.#window[0] as number;
        return this.#throttled(error, Math.max(1, Math.ceil((oldest + 60_000 - now) / 1000)));
      }
      this.#window.push(now);
    }

    if (segments[0] !== 'api' || segments[1] !== 'v2')
      return error(404, 'resource_not_found', `Sorry, we couldn't find that resource`);
    const params = parseBracketParams(
      method === 'GET' ? url.searchParams : new URLSearchParams(bodyText),
    );
    const [, , path, id, action] = segments;
    try {
      if (path === 'events') return this.#events(params, id, send, error);
      const resource = CHARGEBEE_RESOURCES.find((r) => RESOURCE_PATH[r] === path);
      if (!resource)
        return error(404, 'resource_not_found', `Sorry, we couldn't find that resource`);
      const listing = this.#failListing;
      if (method === 'GET' && !id && listing?.resource === resource) {
        if (listing.served >= listing.afterPages)
          return error(500, 'internal_error', 'Simulated listing failure');
        listing.served++;
      }
      if (method === 'GET' && !id) return this.#list(resource, params, send, error);
      if (method === 'GET' && id && !action) {
        const object = this.stores[resource].get(id);
        if (!object || object.deleted === true) throw new NotFound(resource, id);
        return send(200, { [resource]: object });
      }
      if (method === 'POST' && !id)
        return send(200, { [resource]: this.create(resource, coerce(params)) });
      if (method === 'POST' && id && !action)
        return send(200, { [resource]: this.update(resource, id, coerce(params)) });
      if (method === 'POST' && id && action === 'delete')
        return send(200, { [resource]: this.delete(resource, id) });
      if (method === 'POST' && id && resource === 'subscription' && action === 'cancel_for_items')
        return send(200, { subscription: this.cancelSubscription(id) });
      return error(405, 'invalid_request', `Sorry, ${method} is not supported here`);
    } catch (err) {
      if (err instanceof NotFound) return error(404, 'resource_not_found', err.message);
      return error(500, 'internal_error', (err as Error).message);
    }
  }

  #throttled(
    error: (s: number, c: string, m: string, h?: Record<string, string>) => void,
    retryAfterSeconds: number,
  ): void {
    error(
      429,
      'api_request_limit_exceeded',
      'Sorry, access has been blocked temporarily due to request count exceeding acceptable limits.',
      { 'retry-after': String(retryAfterSeconds) },
    );
  }

  #list(
    resource: ChargebeeResource,
    params: Record<string, unknown>,
    send: (status: number, body: unknown) => void,
    error: (status: number, code: string, message: string) => void,
  ): void {
    const limit = params.limit === undefined ? 10 : Number(params.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      return error(400, 'param_wrong_value', 'limit : must be between 1 and 100');
    const sort = (params.sort_by ?? {}) as Record<string, string>;
    const sortBy = sort.asc ?? sort.desc ?? 'created_at';
    if (sort.desc !== undefined)
      return error(400, 'param_wrong_value', 'sort_by : only asc is simulated');
    if (sortBy !== 'created_at' && sortBy !== 'updated_at')
      return error(400, 'param_wrong_value', `sort_by : ${sortBy} is not supported`);
    const includeDeleted = params.include_deleted === 'true';
    if (includeDeleted && !LISTS_DELETED.has(resource))
      return error(400, 'param_not_applicable', 'include_deleted : not applicable');
    const updated = (params.updated_at ?? {}) as Record<string, string>;
    // Invoices and transactions filter creation by `date`, the others by `created_at`.
    const created = (params.created_at ?? params.date ?? {}) as Record<string, string>;
    const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
    const result = this.stores[resource].list({
      limit,
      offset: typeof params.offset === 'string' ? params.offset : undefined,
      sortBy,
      includeDeleted,
      updatedAfter: num(updated.after),
      updatedBefore: num(updated.before),
      createdAfter: num(created.after),
      createdBefore: num(created.before),
    });
    if ('error' in result) return error(400, 'param_wrong_value', result.error);
    send(200, {
      list: result.rows.map((row) => ({ [resource]: row })),
      ...(result.nextOffset !== undefined && { next_offset: result.nextOffset }),
    });
  }

  #events(
    params: Record<string, unknown>,
    id: string | undefined,
    send: (status: number, body: unknown) => void,
    error: (status: number, code: string, message: string) => void,
  ): void {
    if (id) {
      const event = this.events.find((e) => e.id === id);
      return event
        ? send(200, { event })
        : error(404, 'resource_not_found', `Sorry, we couldn't find that resource`);
    }
    const limit = params.limit === undefined ? 10 : Number(params.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      return error(400, 'param_wrong_value', 'limit : must be between 1 and 100');
    const occurred = (params.occurred_at ?? {}) as Record<string, string>;
    const sort = (params.sort_by ?? {}) as Record<string, string>;
    const type = (params.event_type ?? {}) as Record<string, string>;
    // Chronological order is emission order; default newest first unless sort_by[asc].
    let rows = this.events.map((e, seq) => ({ e, seq }));
    if (occurred.after !== undefined)
      rows = rows.filter(({ e }) => e.occurred_at > Number(occurred.after));
    if (occurred.before !== undefined)
      rows = rows.filter(({ e }) => e.occurred_at < Number(occurred.before));
    if (type.is !== undefined) rows = rows.filter(({ e }) => e.event_type === type.is);
    const asc = sort.asc === 'occurred_at';
    if (!asc) rows.reverse();
    if (typeof params.offset === 'string') {
      const at = Number((JSON.parse(params.offset) as string[])[1]);
      rows = rows.filter(({ seq }) => (asc ? seq > at : seq < at));
    }
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    send(200, {
      list: page.map(({ e }) => ({ event: e })),
      ...(rows.length > limit &&
        last && { next_offset: JSON.stringify([String(last.e.occurred_at), String(last.seq)]) }),
    });
  }

  /** `GET /_sim/stats`. */
  #stats(): unknown {
    return {
      site: this.site,
      counts: Object.fromEntries(CHARGEBEE_RESOURCES.map((r) => [r, this.stores[r].liveCount])),
      events: this.events.length,
      deliveries: this.webhooks.stats,
      requests: Object.fromEntries(this.requestCounts),
    };
  }
}

class NotFound extends Error {
  constructor(resource: ChargebeeResource, id: string) {
    super(`Sorry, we couldn't find that resource: ${resource} ${id}`);
  }
}

/** Chargebee webhooks carry no signature: HTTP Basic with the configured username:password. */
export const chargebeeWebhookHeaders: WebhookHeaders = (_payload, credential) => ({
  authorization: `Basic ${Buffer.from(credential, 'utf8').toString('base64')}`,
  'user-agent': 'ChargeBee paysync-simulator',
});

function createdEvent(resource: ChargebeeResource): string {
  return resource === 'invoice' ? 'invoice_generated' : `${resource}_created`;
}

function updatedEvent(resource: ChargebeeResource): string {
  return resource === 'customer' || resource === 'subscription'
    ? `${resource}_changed`
    : `${resource}_updated`;
}

function coerce(params: Record<string, unknown>): SimObject {
  const out: SimObject = {};
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'string' && NUMERIC.test(k)) out[k] = Number(v);
    else if (v === 'true' || v === 'false') out[k] = v === 'true';
    else out[k] = v;
  }
  return out;
}

type Pick = (resource: ChargebeeResource, i: number) => string | null;

/** Realistic objects, field names and types as in the SDK's resource types. */
const GENERATORS: Record<ChargebeeResource, (i: number, pick: Pick) => SimObject> = {
  customer: (i) => ({
    id: simId('customer', i),
    object: 'customer',
    first_name: 'Customer',
    last_name: String(i),
    email: `customer${i}@example.com`,
    company: i % 3 === 0 ? `Company ${i}` : undefined,
    auto_collection: 'on',
    net_term_days: 0,
    allow_direct_debit: false,
    taxability: 'taxable',
    pii_cleared: 'active',
    channel: 'web',
    card_status: 'no_card',
    preferred_currency_code: 'USD',
    promotional_credits: 0,
    refundable_credits: 0,
    excess_payments: 0,
    unbilled_charges: 0,
    meta_data: { seq: String(i) },
  }),
  item: (i) => ({
    id: simId('item', i),
    object: 'item',
    name: `Plan ${i}`,
    external_name: `Plan ${i}`,
    description: `Simulated plan ${i}`,
    status: 'active',
    item_family_id: 'cbsim-family',
    type: 'plan',
    is_shippable: false,
    is_giftable: false,
    enabled_for_checkout: true,
    enabled_in_portal: true,
    item_applicability: 'all',
    metered: false,
    channel: 'web',
  }),
  item_price: (i, pick) => ({
    id: simId('item_price', i),
    object: 'item_price',
    name: `Plan ${i} USD ${i % 2 === 0 ? 'Monthly' : 'Yearly'}`,
    external_name: `Plan ${i}`,
    item_family_id: 'cbsim-family',
    item_id: pick('item', i),
    status: 'active',
    pricing_model: 'per_unit',
    price: 500 + (i % 50) * 100,
    period: 1,
    period_unit: i % 2 === 0 ? 'month' : 'year',
    currency_code: 'USD',
    free_quantity: 0,
    channel: 'web',
    is_taxable: true,
    item_type: 'plan',
    show_description_in_invoices: false,
    show_description_in_quotes: false,
  }),
  subscription: (i, pick) => {
    const start = BASE_CREATED + i;
    return {
      id: simId('subscription', i),
      object: 'subscription',
      billing_period: 1,
      billing_period_unit: 'month',
      customer_id: pick('customer', i),
      status: 'active',
      current_term_start: start,
      current_term_end: start + 30 * 86_400,
      next_billing_at: start + 30 * 86_400,
      started_at: start,
      activated_at: start,
      currency_code: 'USD',
      has_scheduled_changes: false,
      has_scheduled_advance_invoices: false,
      channel: 'web',
      due_invoices_count: 0,
      mrr: 0,
      decommissioned: false,
      subscription_items: [
        {
          item_price_id: pick('item_price', i),
          item_type: 'plan',
          quantity: 1 + (i % 3),
          unit_price: 500 + (i % 50) * 100,
          amount: (1 + (i % 3)) * (500 + (i % 50) * 100),
          free_quantity: 0,
          object: 'subscription_item',
        },
      ],
      meta_data: {},
    };
  },
  invoice: (i, pick) => {
    const at = BASE_CREATED + i;
    const total = 1000 + i;
    return {
      id: simId('invoice', i),
      object: 'invoice',
      customer_id: pick('customer', i),
      subscription_id: pick('subscription', i),
      recurring: true,
      status: 'paid',
      price_type: 'tax_exclusive',
      date: at,
      due_date: at,
      net_term_days: 0,
      exchange_rate: 1,
      total,
      amount_paid: total,
      amount_adjusted: 0,
      write_off_amount: 0,
      credits_applied: 0,
      amount_due: 0,
      paid_at: at,
      first_invoice: i === 0,
      amount_to_collect: 0,
      round_off_amount: 0,
      has_advance_charges: false,
      currency_code: 'USD',
      base_currency_code: 'USD',
      generated_at: at,
      is_gifted: false,
      term_finalized: true,
      channel: 'web',
      tax: 0,
      sub_total: total,
      line_items: [
        {
          id: `li_cbsim_${i}`,
          object: 'line_item',
          date_from: at - 30 * 86_400,
          date_to: at,
          unit_amount: total,
          quantity: 1,
          amount: total,
          pricing_model: 'per_unit',
          is_taxed: false,
          tax_amount: 0,
          subscription_id: pick('subscription', i),
          customer_id: pick('customer', i),
          description: `Plan ${i}`,
          entity_type: 'plan_item_price',
          entity_id: pick('item_price', i),
          discount_amount: 0,
          item_level_discount_amount: 0,
        },
      ],
    };
  },
  transaction: (i, pick) => {
    const at = BASE_CREATED + i;
    return {
      id: simId('transaction', i),
      object: 'transaction',
      customer_id: pick('customer', i),
      subscription_id: pick('subscription', i),
      gateway_account_id: 'gw_cbsim',
      payment_method: 'card',
      gateway: 'chargebee',
      type: 'payment',
      date: at,
      exchange_rate: 1,
      amount: 1000 + i,
      id_at_gateway: `cbsim_gw_${i}`,
      status: 'success',
      masked_card_number: '************1111',
      currency_code: 'USD',
      amount_unused: 0,
      linked_invoices: pick('invoice', i)
        ? [
            {
              invoice_id: pick('invoice', i),
              applied_amount: 1000 + i,
              applied_at: at,
              invoice_date: at,
              invoice_total: 1000 + i,
              invoice_status: 'paid',
            },
          ]
        : [],
      linked_refunds: [],
    };
  },
  credit_note: (i, pick) => {
    const at = BASE_CREATED + i;
    return {
      id: simId('credit_note', i),
      object: 'credit_note',
      customer_id: pick('customer', i),
      subscription_id: pick('subscription', i),
      reference_invoice_id: pick('invoice', i),
      type: 'refundable',
      reason_code: 'product_unsatisfactory',
      status: 'refunded',
      date: at,
      price_type: 'tax_exclusive',
      currency_code: 'USD',
      total: 500,
      amount_allocated: 0,
      amount_refunded: 500,
      amount_available: 0,
      refunded_at: at,
      generated_at: at,
      channel: 'web',
      sub_total: 500,
      round_off_amount: 0,
      fractional_correction: 0,
    };
  },
};
