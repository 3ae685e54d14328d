import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { parseBracketParams } from './form.js';
import {
  BASE_CREATED,
  COLLECTIONS,
  Collection,
  EVENT_PREFIX,
  OBJECT_NAME,
  simId,
  simIndex,
  type CollectionName,
  type SimObject,
} from './store.js';
import { WebhookSender, type DeliveryOptions } from './webhook-sender.js';

export type SeedCounts = Partial<Record<CollectionName, number>>;

/** Fault injection, applied to API requests (not to `/_sim` admin routes). */
export interface Faults {
  /** Added to every API response. */
  latencyMs: number;
  /** Fractions of requests answered 429 (with Retry-After) / 500 / by resetting the connection. */
  rate429: number;
  rate500: number;
  rateReset: number;
  retryAfterSeconds: number;
}

export interface SimulatorOptions {
  readonly seed?: SeedCounts;
  readonly accountId?: string;
  /** Keys that answer 401 (a revoked key). Any other sk_/rk_ key is accepted. */
  readonly revokedKeys?: readonly string[];
  /** PRNG seed for fault injection and delivery modes, so runs repeat. */
  readonly randomSeed?: number;
  /**
   * Seconds between the `created` of consecutive seeded objects (default 1), for all collections
   * or per collection: spreads a seeded account over years, as real accounts are.
   */
  readonly createdStepSeconds?: number | Partial<Record<CollectionName, number>>;
}

export interface SimEvent extends SimObject {
  readonly id: string;
  readonly type: string;
  readonly created: number;
}

const API_VERSION = '2026-10-28.endive';

interface WebhookEndpointRecord {
  id: string;
  url: string;
  secret: string;
  enabled_events: string[];
  created: number;
}

/** The tighter of an inclusive/exclusive pair of `created` bounds, or undefined when neither is set. */
function tightest(
  pick: (a: number, b: number) => number,
  bound: string | undefined,
  shifted: string | undefined,
  shift: number,
): number | undefined {
  const values = [
    ...(bound !== undefined ? [Number(bound)] : []),
    ...(shifted !== undefined ? [Number(shifted) + shift] : []),
  ];
  return values.length === 0 ? undefined : values.reduce(pick);
}

/** mulberry32: tiny deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A fake Stripe HTTP API on 127.0.0.1, stateful and deterministic: list (Stripe pagination),
 * retrieve, create, update, delete for the six synced entity types, `/v1/events`,
 * `/v1/webhook_endpoints`, `/v1/account`; webhook delivery with real signatures; fault injection.
 */
export class StripeSimulator {
  readonly accountId: string;
  readonly collections: Record<CollectionName, Collection>;
  readonly events: SimEvent[] = [];
  readonly webhooks: WebhookSender;
  faults: Faults = { latencyMs: 0, rate429: 0, rate500: 0, rateReset: 0, retryAfterSeconds: 1 };
  /** Count of API requests served, by `METHOD path-pattern`. */
  readonly requestCounts = new Map<string, number>();
  #server: Server | undefined;
  #random: () => number;
  #eventSeq = 0;
  /** Event ids stay unique across simulator restarts (a provider never reuses one). */
  readonly #runTag = randomBytes(3).toString('hex');
  #endpointSeq = 0;
  #frozenSeconds: number | undefined;
  readonly #failNext: { status: 429 | 500 | 0; remaining: number }[] = [];
  #failListing: { collection: CollectionName; afterPages: number; served: number } | undefined;
  readonly #revoked: Set<string>;
  readonly #endpoints: WebhookEndpointRecord[] = [];

  constructor(options: SimulatorOptions = {}) {
    this.accountId = options.accountId ?? 'acct_sim0000000001';
    this.#random = prng(options.randomSeed ?? 42);
    this.#revoked = new Set(options.revokedKeys ?? []);
    this.webhooks = new WebhookSender({ random: () => this.#random() });
    const seed = options.seed ?? {};
    const counts = Object.fromEntries(COLLECTIONS.map((c) => [c, seed[c] ?? 0])) as Record<
      CollectionName,
      number
    >;
    const stepOf = (c: CollectionName): number => {
      const step = options.createdStepSeconds;
      return Math.max(1, Math.floor((typeof step === 'number' ? step : step?.[c]) ?? 1));
    };
    const at = (c: CollectionName, i: number) => BASE_CREATED + i * stepOf(c);
    const pick = (collection: CollectionName, i: number) =>
      counts[collection] > 0 ? simId(collection, i % counts[collection]) : null;
    const generators: Record<CollectionName, (i: number) => SimObject> = {
      customers: (i) => ({
        id: simId('customers', i),
        object: 'customer',
        balance: 0,
        created: at('customers', i),
        currency: 'usd',
        delinquent: false,
        description: null,
        email: `customer${i}@example.com`,
        livemode: false,
        metadata: { seq: String(i) },
        name: `Customer ${i}`,
        phone: null,
      }),
      products: (i) => ({
        id: simId('products', i),
        object: 'product',
        active: true,
        created: at('products', i),
        description: `Plan ${i}`,
        livemode: false,
        metadata: {},
        name: `Product ${i}`,
        updated: at('products', i),
      }),
      prices: (i) => ({
        id: simId('prices', i),
        object: 'price',
        active: true,
        created: at('prices', i),
        currency: 'usd',
        livemode: false,
        lookup_key: null,
        metadata: {},
        nickname: null,
        product: pick('products', i),
        recurring: { interval: i % 2 === 0 ? 'month' : 'year', interval_count: 1 },
        type: 'recurring',
        unit_amount: 500 + (i % 50) * 100,
      }),
      subscriptions: (i) => {
        const id = simId('subscriptions', i);
        const start = at('subscriptions', i);
        return {
          id,
          object: 'subscription',
          cancel_at_period_end: false,
          canceled_at: null,
          created: start,
          currency: 'usd',
          customer: pick('customers', i),
          ended_at: null,
          items: {
            object: 'list',
            data: [
              {
                id: `si_sim${i.toString().padStart(10, '0')}`,
                object: 'subscription_item',
                current_period_end: start + 30 * 86_400,
                current_period_start: start,
                price: { id: pick('prices', i), object: 'price', product: pick('products', i) },
                quantity: 1 + (i % 3),
                subscription: id,
              },
            ],
            has_more: false,
          },
          livemode: false,
          metadata: {},
          status: 'active',
          trial_end: null,
          trial_start: null,
        };
      },
      invoices: (i) => ({
        id: simId('invoices', i),
        object: 'invoice',
        amount_due: 1000 + i,
        amount_paid: 1000 + i,
        amount_remaining: 0,
        created: at('invoices', i),
        currency: 'usd',
        customer: pick('customers', i),
        due_date: null,
        hosted_invoice_url: null,
        livemode: false,
        metadata: {},
        number: `SIM-${i}`,
        parent: {
          type: 'subscription_details',
          subscription_details: { subscription: pick('subscriptions', i) },
        },
        period_end: at('invoices', i),
        period_start: at('invoices', i) - 30 * 86_400,
        status: 'paid',
        status_transitions: { paid_at: at('invoices', i) },
        subtotal: 1000 + i,
        total: 1000 + i,
      }),
      payment_intents: (i) => ({
        id: simId('payment_intents', i),
        object: 'payment_intent',
        amount: 2000 + i,
        created: at('payment_intents', i),
        currency: 'usd',
        customer: pick('customers', i),
        last_payment_error: null,
        livemode: false,
        metadata: {},
        payment_method_types: ['card'],
        status: 'succeeded',
      }),
      charges: (i) => ({
        id: simId('charges', i),
        object: 'charge',
        amount: 2000 + i,
        amount_refunded: 0,
        created: at('charges', i),
        currency: 'usd',
        customer: pick('customers', i),
        failure_code: null,
        failure_message: null,
        livemode: false,
        metadata: {},
        payment_method_details: { type: 'card' },
        refunded: false,
        status: 'succeeded',
      }),
    };
    this.collections = Object.fromEntries(
      COLLECTIONS.map((c) => {
        const collection = new Collection(c, generators[c], stepOf(c));
        collection.count = counts[c];
        return [c, collection];
      }),
    ) as Record<CollectionName, Collection>;
  }

  // ------------------------------------------------------------------ lifecycle

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.#server?.listen(port, host, resolve));
    return this.url;
  }

  get url(): string {
    const address = this.#server?.address() as AddressInfo | null;
    if (!address) throw new Error('simulator not started');
    return `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    await this.webhooks.flush();
    await new Promise<void>((resolve) => {
      if (!this.#server) return resolve();
      this.#server.closeAllConnections();
      this.#server.close(() => resolve());
    });
  }

  // ------------------------------------------------------------------ test and demo controls

  /** The clock events and created objects use; `freezeClock` makes same-second sequences. */
  nowSeconds(): number {
    return this.#frozenSeconds ?? Math.floor(Date.now() / 1000);
  }

  freezeClock(seconds: number | undefined): void {
    this.#frozenSeconds = seconds;
  }

  /** The next `count` API requests fail with `status` (0 = connection reset). */
  failNext(count: number, status: 429 | 500 | 0): void {
    this.#failNext.push({ status, remaining: count });
  }

  /** From now on `key` answers 401 `api_key_expired`, as a key rolled in the dashboard does. */
  /**
   * Makes listings of `collection` fail (HTTP 500, every retry) after `afterPages` pages were
   * served, until `clearListingFailure()`: a provider listing that breaks half-way.
   */
  failListing(collection: CollectionName, afterPages: number): void {
    this.#failListing = { collection, afterPages, served: 0 };
  }

  clearListingFailure(): void {
    this.#failListing = undefined;
  }

  revokeKey(key: string): void {
    this.#revoked.add(key);
  }

  /** Registered webhook endpoints (with their secrets), as the dashboard shows them. */
  webhookEndpoints(): { id: string; url: string; secret: string; enabledEvents: string[] }[] {
    return this.#endpoints.map((e) => ({
      id: e.id,
      url: e.url,
      secret: e.secret,
      enabledEvents: [...e.enabled_events],
    }));
  }

  /** Registers a webhook target directly (as the dashboard would). */
  addWebhookEndpoint(
    url: string,
    secret?: string,
    enabledEvents: string[] = ['*'],
  ): { id: string; secret: string } {
    const endpoint = {
      id: `we_sim${(++this.#endpointSeq).toString().padStart(6, '0')}`,
      url,
      secret: secret ?? `whsec_${randomBytes(24).toString('hex')}`,
      enabled_events: enabledEvents,
      created: this.nowSeconds(),
    };
    this.#endpoints.push(endpoint);
    return { id: endpoint.id, secret: endpoint.secret };
  }

  /** Delivery behaviour for webhooks sent from now on. */
  setDelivery(options: Partial<DeliveryOptions>): void {
    this.webhooks.options = { ...this.webhooks.options, ...options };
  }

  /** The object as the API would return it now. */
  getObject(collection: CollectionName, id: string): SimObject | undefined {
    const index = simIndex(collection, id);
    return index === undefined ? undefined : this.collections[collection].get(index);
  }

  /** Creates an object (as POST /v1/<collection>) and emits its `.created` event. */
  create(collection: CollectionName, fields: SimObject = {}): SimObject {
    const col = this.collections[collection];
    const created = col.add((index) => {
      const base = this.#template(collection, index);
      return {
        ...base,
        ...fields,
        id: simId(collection, index),
        object: OBJECT_NAME[collection],
        created: this.nowSeconds(),
      };
    });
    this.#emit(`${EVENT_PREFIX[collection]}.created`, created);
    return created;
  }

  /** Updates an object (as POST /v1/<collection>/<id>) and emits its `.updated` event. */
  update(
    collection: CollectionName,
    id: string,
    fields: SimObject,
    opts: { silent?: boolean; eventType?: string } = {},
  ): SimObject {
    const col = this.collections[collection];
    const index = simIndex(collection, id);
    const current = index === undefined ? undefined : col.get(index);
    if (index === undefined || !current || current.deleted === true)
      throw new Error(`No such ${collection}: ${id}`);
    const metadata = {
      ...((current.metadata as SimObject | undefined) ?? {}),
      ...((fields.metadata as SimObject | undefined) ?? {}),
    };
    const next: SimObject = { ...current, ...fields, metadata };
    if ('updated' in current) next.updated = this.nowSeconds();
    col.put(index, next);
    if (!opts.silent) this.#emit(opts.eventType ?? `${EVENT_PREFIX[collection]}.updated`, next);
    return structuredClone(next);
  }

  /**
   * Deletes an object (as DELETE /v1/<collection>/<id>). Subscriptions are canceled instead, as
   * Stripe does (`customer.subscription.deleted`, still retrievable with status canceled).
   */
  delete(collection: CollectionName, id: string, opts: { silent?: boolean } = {}): SimObject {
    const col = this.collections[collection];
    const index = simIndex(collection, id);
    const current = index === undefined ? undefined : col.get(index);
    if (index === undefined || !current || current.deleted === true)
      throw new Error(`No such ${collection}: ${id}`);
    if (collection === 'subscriptions') {
      const canceled = {
        ...current,
        status: 'canceled',
        canceled_at: this.nowSeconds(),
        ended_at: this.nowSeconds(),
      };
      col.put(index, canceled);
      if (!opts.silent) this.#emit('customer.subscription.deleted', canceled);
      return structuredClone(canceled);
    }
    col.delete(index);
    if (!opts.silent) this.#emit(`${EVENT_PREFIX[collection]}.deleted`, current);
    return { id, object: OBJECT_NAME[collection], deleted: true };
  }

  /** Sends a signed event of any type (unknown types included) to every endpoint. */
  trigger(type: string, object: SimObject): SimEvent {
    return this.#emit(type, object);
  }

  // ------------------------------------------------------------------ internals

  /** A created object starts from what a seeded one at its index would look like. */
  #template(collection: CollectionName, index: number): SimObject {
    return this.collections[collection].get(index) ?? {};
  }

  #emit(type: string, object: SimObject): SimEvent {
    const event: SimEvent = {
      id: `evt_sim${this.#runTag}${(++this.#eventSeq).toString().padStart(10, '0')}`,
      object: 'event',
      account: this.accountId,
      api_version: API_VERSION,
      created: this.nowSeconds(),
      data: { object: structuredClone(object) },
      livemode: false,
      pending_webhooks: this.#endpoints.length,
      request: { id: null, idempotency_key: null },
      type,
    };
    this.events.push(event);
    for (const endpoint of this.#endpoints) {
      if (endpoint.enabled_events.includes('*') || endpoint.enabled_events.includes(type)) {
        this.webhooks.send(endpoint.url, endpoint.secret, event);
      }
    }
    return event;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, {
        'content-type': 'application/json',
        'request-id': `req_sim${randomBytes(6).toString('hex')}`,
        date: new Date().toUTCString(),
        ...headers,
      });
      res.end(JSON.stringify(body));
    };
    const error = (
      status: number,
      type: string,
      message: string,
      code?: string,
      headers?: Record<string, string>,
    ) => send(status, { error: { type, message, ...(code && { code }) } }, headers);

    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const bodyText = Buffer.concat(chunks).toString('utf8');

    if (url.pathname.startsWith('/_sim/'))
      return this.#admin(url.pathname, req.method ?? 'GET', bodyText, send);

    const segments = url.pathname.split('/').filter(Boolean);
    const pattern = `${req.method} /${segments.slice(0, 2).join('/')}${segments.length > 2 ? '/:id' : ''}`;
    this.requestCounts.set(pattern, (this.requestCounts.get(pattern) ?? 0) + 1);

    const listing = this.#failListing;
    if (
      listing &&
      req.method === 'GET' &&
      segments.length === 2 &&
      segments[1] === listing.collection
    ) {
      if (listing.served >= listing.afterPages)
        return error(500, 'api_error', 'Simulated listing failure');
      listing.served++;
    }
    // Faults first, as a real outage would hit before auth.
    if (this.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
    const forced = this.#failNext[0];
    let fault: 429 | 500 | 0 | undefined;
    if (forced) {
      fault = forced.status;
      if (--forced.remaining <= 0) this.#failNext.shift();
    } else {
      const r = this.#random();
      if (r < this.faults.rateReset) fault = 0;
      else if (r < this.faults.rateReset + this.faults.rate429) fault = 429;
      else if (r < this.faults.rateReset + this.faults.rate429 + this.faults.rate500) fault = 500;
    }
    if (fault === 0) {
      req.socket.destroy();
      return;
    }
    if (fault === 429) {
      return error(429, 'invalid_request_error', 'Too many requests (simulated)', 'rate_limit', {
        'retry-after': String(this.faults.retryAfterSeconds),
      });
    }
    if (fault === 500)
      return error(500, 'api_error', 'Internal error (simulated)', undefined, {
        'stripe-should-retry': 'true',
      });

    const auth = req.headers.authorization ?? '';
    const key = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (!/^(sk|rk)_(test|live)_\S+$/.test(key))
      return error(401, 'invalid_request_error', 'Invalid API Key provided');
    if (this.#revoked.has(key))
      return error(
        401,
        'invalid_request_error',
        'This API key has been revoked',
        'api_key_expired',
      );

    const params = parseBracketParams(
      req.method === 'GET' || req.method === 'DELETE'
        ? url.searchParams
        : (req.headers['content-type'] ?? '').includes('json')
          ? new URLSearchParams()
          : new URLSearchParams(bodyText),
    );
    if (segments[0] !== 'v1')
      return error(404, 'invalid_request_error', `Unrecognized request URL (${url.pathname})`);
    const [, resource, id] = segments;
    try {
      if (resource === 'account' && req.method === 'GET') {
        return send(200, {
          id: this.accountId,
          object: 'account',
          charges_enabled: true,
          country: 'US',
          default_currency: 'usd',
        });
      }
      if (resource === 'events' && req.method === 'GET')
        return send(200, this.#listEvents(params, id));
      if (resource === 'webhook_endpoints')
        return this.#webhookEndpoints(req.method ?? 'GET', params, send);
      const collection = COLLECTIONS.find((c) => c === resource);
      if (!collection)
        return error(404, 'invalid_request_error', `Unrecognized request URL (${url.pathname})`);
      if (req.method === 'GET' && !id) return this.#list(collection, params, send, error);
      if (req.method === 'GET' && id) {
        const object = this.getObject(collection, id);
        if (
          !object ||
          (object.deleted === true && !['customers', 'products'].includes(collection))
        ) {
          return error(
            404,
            'invalid_request_error',
            `No such ${OBJECT_NAME[collection]}: '${id}'`,
            'resource_missing',
          );
        }
        return send(200, object);
      }
      if (req.method === 'POST' && !id) return send(200, this.create(collection, coerce(params)));
      if (req.method === 'POST' && id)
        return send(200, this.update(collection, id, coerce(params)));
      if (req.method === 'DELETE' && id) return send(200, this.delete(collection, id));
      return error(405, 'invalid_request_error', 'Method not allowed');
    } catch (err) {
      return error(404, 'invalid_request_error', (err as Error).message, 'resource_missing');
    }
  }

  #list(
    collection: CollectionName,
    params: Record<string, unknown>,
    send: (status: number, body: unknown) => void,
    error: (status: number, type: string, message: string, code?: string) => void,
  ): void {
    const limit = params.limit === undefined ? 10 : Number(params.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return error(
        400,
        'invalid_request_error',
        'Invalid integer: limit must be between 1 and 100',
        'parameter_invalid_integer',
      );
    }
    const created = (params.created ?? {}) as Record<string, string>;
    const showAll = collection !== 'subscriptions' || params.status === 'all';
    const result = this.collections[collection].list({
      limit,
      startingAfter: params.starting_after as string | undefined,
      // Stripe's four bounds on whole seconds: gt n is gte n+1, lte n is lt n+1.
      createdGte: tightest(Math.max, created.gte, created.gt, 1),
      createdLt: tightest(Math.min, created.lt, created.lte, 1),
      ...(!showAll && { include: (o: SimObject) => o.status !== 'canceled' }),
    });
    if ('error' in result)
      return error(400, 'invalid_request_error', result.error, 'resource_missing');
    send(200, {
      object: 'list',
      url: `/v1/${collection}`,
      has_more: result.hasMore,
      data: result.data,
    });
  }

  #listEvents(params: Record<string, unknown>, id?: string): unknown {
    if (id)
      return (
        this.events.find((e) => e.id === id) ?? {
          error: { type: 'invalid_request_error', message: 'No such event' },
        }
      );
    const limit = Math.min(Math.max(Number(params.limit ?? 10), 1), 100);
    const created = (params.created ?? {}) as Record<string, string>;
    let candidates = [...this.events].reverse();
    if (created.gte !== undefined)
      candidates = candidates.filter((e) => e.created >= Number(created.gte));
    if (created.gt !== undefined)
      candidates = candidates.filter((e) => e.created > Number(created.gt));
    if (params.type !== undefined) candidates = candidates.filter((e) => e.type === params.type);
    if (params.starting_after !== undefined) {
      const at = candidates.findIndex((e) => e.id === params.starting_after);
      candidates = at >= 0 ? candidates.slice(at + 1) : [];
    }
    return {
      object: 'list',
      url: '/v1/events',
      has_more: candidates.length > limit,
      data: candidates.slice(0, limit),
    };
  }

  #webhookEndpoints(
    method: string,
    params: Record<string, unknown>,
    send: (status: number, body: unknown) => void,
  ): void {
    const view = (e: WebhookEndpointRecord, withSecret: boolean) => ({
      id: e.id,
      object: 'webhook_endpoint',
      api_version: API_VERSION,
      created: e.created,
      enabled_events: e.enabled_events,
      livemode: false,
      status: 'enabled',
      url: e.url,
      ...(withSecret && { secret: e.secret }),
    });
    if (method === 'POST') {
      const events = Array.isArray(params.enabled_events)
        ? (params.enabled_events as string[])
        : ['*'];
      const { id } = this.addWebhookEndpoint(String(params.url), undefined, events);
      const endpoint = this.#endpoints.find((e) => e.id === id) as WebhookEndpointRecord;
      return send(200, view(endpoint, true));
    }
    send(200, {
      object: 'list',
      url: '/v1/webhook_endpoints',
      has_more: false,
      data: this.#endpoints.map((e) => view(e, false)),
    });
  }

  #admin(
    path: string,
    method: string,
    body: string,
    send: (status: number, body: unknown) => void,
  ): void {
    if (path === '/_sim/faults' && method === 'POST') {
      this.faults = { ...this.faults, ...(JSON.parse(body || '{}') as Partial<Faults>) };
      return send(200, this.faults);
    }
    if (path === '/_sim/delivery' && method === 'POST') {
      this.setDelivery(JSON.parse(body || '{}') as Partial<DeliveryOptions>);
      return send(200, this.webhooks.options);
    }
    if (path === '/_sim/stats' && method === 'GET') {
      return send(200, {
        counts: Object.fromEntries(COLLECTIONS.map((c) => [c, this.collections[c].liveCount])),
        events: this.events.length,
        deliveries: this.webhooks.stats,
        requests: Object.fromEntries(this.requestCounts),
      });
    }
    send(404, { error: { type: 'invalid_request_error', message: 'unknown admin route' } });
  }
}

/** Form values arrive as strings; numbers and booleans in the fields we model are converted. */
function coerce(params: Record<string, unknown>): SimObject {
  const out: SimObject = {};
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'string' && /^(amount|unit_amount|quantity|balance)$/.test(k))
      out[k] = Number(v);
    else if (v === 'true' || v === 'false') out[k] = v === 'true';
    else out[k] = v;
  }
  return out;
}
