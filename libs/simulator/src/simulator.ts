import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import {
  CHANGE_EVENTS,
  CHILDREN,
  DELETABLE,
  LIST_FILTERS,
  breadthGenerators,
  fieldAt,
} from './breadth.js';
import { FaultQueue } from './fault-queue.js';
import { parseBracketParams } from './form.js';
import { SimServer, answerAdmin, readBody } from './sim-server.js';
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
  /**
   * Stripe Connect: connected accounts of this (platform) account, each with its own objects,
   * reached with the `Stripe-Account` header; their events carry `account` and go to the
   * platform's Connect webhook endpoints.
   */
  readonly connectedAccounts?: readonly ConnectedAccountOptions[];
  /**
   * Tag in every object id (`cus_sim<tag>0000000001`); connected accounts get `c<n>` so their ids
   * never collide with the platform's or each other's (Stripe ids are global). Default none.
   */
  readonly idTag?: string;
}

export interface ConnectedAccountOptions {
  /** Default `acct_simc<10 digits>` (the n-th connected account). */
  readonly id?: string;
  readonly seed?: SeedCounts;
  readonly createdStepSeconds?: SimulatorOptions['createdStepSeconds'];
  readonly type?: 'standard' | 'express' | 'custom';
  readonly email?: string;
}

/** What a handler answers with. */
type Send = (status: number, body: unknown, headers?: Record<string, string>) => void;
type ErrorSend = (
  status: number,
  type: string,
  message: string,
  code?: string,
  headers?: Record<string, string>,
) => void;

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
  /** A Connect endpoint: receives the events of the connected accounts (not the platform's own). */
  connect: boolean;
}

/** Collections whose Stripe path is not `/v1/<collection>`. */
const RESOURCE_PATH: Partial<Record<CollectionName, string>> = {
  checkout_sessions: 'checkout/sessions',
  early_fraud_warnings: 'radar/early_fraud_warnings',
};

/** `/v1/checkout/sessions/…` → `['v1', 'checkout_sessions', …]`, likewise radar. */
function normalizePath(segments: string[]): string[] {
  for (const [collection, path] of Object.entries(RESOURCE_PATH)) {
    const parts = path.split('/');
    if (segments[0] === 'v1' && parts.every((part, i) => segments[i + 1] === part))
      return ['v1', collection, ...segments.slice(parts.length + 1)];
  }
  return segments;
}

/** POST /v1/<collection>/{id}/<action>: the fields it sets and the event Stripe sends. */
const ACTIONS: Partial<
  Record<
    CollectionName,
    Record<string, { event: string; fields: (now: number, params: SimObject) => SimObject }>
  >
> = {
  checkout_sessions: {
    expire: { event: 'checkout.session.expired', fields: () => ({ status: 'expired' }) },
  },
  payouts: { cancel: { event: 'payout.canceled', fields: () => ({ status: 'canceled' }) } },
  credit_notes: {
    void: { event: 'credit_note.voided', fields: (now) => ({ status: 'void', voided_at: now }) },
  },
  disputes: {
    close: { event: 'charge.dispute.closed', fields: () => ({ status: 'lost' }) },
  },
  reviews: {
    approve: {
      event: 'review.closed',
      fields: () => ({ open: false, closed_reason: 'approved' }),
    },
  },
  setup_intents: {
    cancel: {
      event: 'setup_intent.canceled',
      fields: (_now, params) => ({
        status: 'canceled',
        cancellation_reason: params.cancellation_reason ?? null,
      }),
    },
    confirm: { event: 'setup_intent.succeeded', fields: () => ({ status: 'succeeded' }) },
  },
  subscription_schedules: {
    cancel: {
      event: 'subscription_schedule.canceled',
      fields: (now) => ({ status: 'canceled', canceled_at: now }),
    },
    release: {
      event: 'subscription_schedule.released',
      fields: (now) => ({ status: 'released', released_at: now }),
    },
  },
  payment_methods: {
    attach: {
      event: 'payment_method.attached',
      fields: (_now, params) => ({ customer: params.customer ?? null }),
    },
    detach: { event: 'payment_method.detached', fields: () => ({ customer: null }) },
  },
  refunds: {
    cancel: { event: 'refund.updated', fields: () => ({ status: 'canceled' }) },
  },
};

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

/**
 * A list request's `limit` (default 10) and its `created` bounds, Stripe's four on whole seconds
 * (gt n is gte n+1, lte n is lt n+1). A limit that is not an integer from 1 to 100 is answered
 * with Stripe's 400 through `error`, and gives undefined.
 */
function listParams(
  params: Record<string, unknown>,
  error: (status: number, type: string, message: string, code?: string) => void,
): { limit: number; createdGte: number | undefined; createdLt: number | undefined } | undefined {
  const limit = params.limit === undefined ? 10 : Number(params.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    error(
      400,
      'invalid_request_error',
      'Invalid integer: limit must be between 1 and 100',
      'parameter_invalid_integer',
    );
    return undefined;
  }
  const created = (params.created ?? {}) as Record<string, string>;
  return {
    limit,
    createdGte: tightest(Math.max, created.gte, created.gt, 1),
    createdLt: tightest(Math.min, created.lt, created.lte, 1),
  };
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
  readonly #server = new SimServer();
  #random: () => number;
  #eventSeq = 0;
  /** Event ids stay unique across simulator restarts (a provider never reuses one). */
  readonly #runTag = randomBytes(3).toString('hex');
  #endpointSeq = 0;
  #frozenSeconds: number | undefined;
  readonly #faultQueue = new FaultQueue();
  #failListing: { collection: CollectionName; afterPages: number; served: number } | undefined;
  readonly #revoked: Set<string>;
  readonly #endpoints: WebhookEndpointRecord[] = [];
  /** Seeded counts (children are spread over the seeded parents by index). */
  readonly #seeded: Record<CollectionName, number>;
  /** Set on a connected account: the platform whose Connect endpoints get its events. */
  #platform: StripeSimulator | undefined;
  /** The `account` object of a connected account. */
  #accountObject: SimObject | undefined;
  readonly #connected = new Map<string, StripeSimulator>();
  readonly #tag: string;
  #connectedSeq = 0;

  constructor(options: SimulatorOptions = {}) {
    this.accountId = options.accountId ?? 'acct_sim0000000001';
    this.#tag = options.idTag ?? '';
    this.#random = prng(options.randomSeed ?? 42);
    this.#revoked = new Set(options.revokedKeys ?? []);
    this.webhooks = new WebhookSender({ random: () => this.#random() });
    const seed = options.seed ?? {};
    const counts = Object.fromEntries(COLLECTIONS.map((c) => [c, seed[c] ?? 0])) as Record<
      CollectionName,
      number
    >;
    // Every subscription has at least one item; a customer has at most one (customer) discount.
    counts.subscription_items = Math.max(counts.subscription_items, counts.subscriptions);
    counts.discounts = Math.min(counts.discounts, counts.customers);
    this.#seeded = { ...counts };
    const stepOf = (c: CollectionName): number => {
      const step = options.createdStepSeconds;
      return Math.max(1, Math.floor((typeof step === 'number' ? step : step?.[c]) ?? 1));
    };
    const at = (c: CollectionName, i: number) => BASE_CREATED + i * stepOf(c);
    const pick = (collection: CollectionName, i: number) =>
      counts[collection] > 0 ? this.#id(collection, i % counts[collection]) : null;
    const generators: Record<CollectionName, (i: number) => SimObject> = {
      customers: (i) => ({
        id: this.#id('customers', i),
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
        id: this.#id('products', i),
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
        id: this.#id('prices', i),
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
        const id = this.#id('subscriptions', i);
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
          // Rendered from subscription_items when read (first 10 + has_more).
          items: null,
          livemode: false,
          metadata: {},
          status: 'active',
          trial_end: null,
          trial_start: null,
        };
      },
      invoices: (i) => ({
        id: this.#id('invoices', i),
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
        id: this.#id('payment_intents', i),
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
        id: this.#id('charges', i),
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
      ...breadthGenerators({ at, pick, counts, id: (c, i) => this.#id(c, i) }),
    };
    const views: Partial<Record<CollectionName, (o: SimObject) => SimObject>> = {
      subscriptions: (o) => {
        o.items = this.#nestedList('subscription_items', o.id as string);
        // Subscription discounts (ids; `expand[]=discounts` for the objects) once any exist.
        if (this.collections.discounts.count > 0)
          o.discounts = this.#subscriptionDiscounts(o.id as string).map((d) => d.id);
        return o;
      },
      invoices: (o) => {
        if (this.collections.invoice_line_items.count > 0)
          o.lines = this.#nestedList('invoice_line_items', o.id as string);
        return o;
      },
      customers: (o) => {
        if (this.collections.discounts.count > 0)
          o.discount =
            this.#children('discounts', o.id as string).find((d) => !d.subscription) ?? null;
        return o;
      },
    };
    this.collections = Object.fromEntries(
      COLLECTIONS.map((c) => {
        const collection = new Collection(c, generators[c], stepOf(c), views[c], this.#tag);
        collection.count = counts[c];
        return [c, collection];
      }),
    ) as Record<CollectionName, Collection>;
    (options.connectedAccounts ?? []).forEach((account) => this.addConnectedAccount(account));
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
    await this.#server.close();
  }

  // ------------------------------------------------------------------ test and demo controls

  /** The clock events and created objects use; `freezeClock` makes same-second sequences. */
  nowSeconds(): number {
    if (this.#platform) return this.#platform.nowSeconds();
    return this.#frozenSeconds ?? Math.floor(Date.now() / 1000);
  }

  freezeClock(seconds: number | undefined): void {
    this.#frozenSeconds = seconds;
  }

  /** The next `count` API requests fail with `status` (0 = connection reset). */
  failNext(count: number, status: 429 | 500 | 0): void {
    this.#faultQueue.push(count, status);
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
  webhookEndpoints(): {
    id: string;
    url: string;
    secret: string;
    enabledEvents: string[];
    connect?: true;
  }[] {
    return this.#endpoints.map((e) => ({
      id: e.id,
      url: e.url,
      secret: e.secret,
      enabledEvents: [...e.enabled_events],
      ...(e.connect && { connect: true as const }),
    }));
  }

  /** Registers a webhook target directly (as the dashboard would). */
  addWebhookEndpoint(
    url: string,
    secret?: string,
    enabledEvents: string[] = ['*'],
    options: { connect?: boolean } = {},
  ): { id: string; secret: string } {
    const endpoint = {
      connect: options.connect === true,
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
    const index = this.#index(collection, id);
    return index === undefined ? undefined : this.collections[collection].get(index);
  }

  /**
   * Creates an object (as POST /v1/<collection>) and emits its `.created` event (the type Stripe
   * sends, e.g. `customer.tax_id.created`, `payment_method.attached`, `review.opened`; none for
   * checkout sessions and balance transactions). A new subscription item or invoice line emits
   * its parent's `.updated` with `previous_attributes`. Charges, refunds and payouts get a
   * balance transaction, as at Stripe.
   */
  create(collection: CollectionName, fields: SimObject = {}): SimObject {
    const col = this.collections[collection];
    const parent = this.#parentBefore(collection, fields);
    const withTxn = ['charges', 'refunds', 'payouts'].includes(collection);
    const txnIndex = withTxn ? this.collections.balance_transactions.count : undefined;
    const created = col.add((index) => {
      const base = this.#template(collection, index);
      return {
        ...base,
        ...fields,
        id: this.#id(collection, index),
        object: OBJECT_NAME[collection],
        created: this.nowSeconds(),
        ...(txnIndex !== undefined && {
          balance_transaction: this.#id('balance_transactions', txnIndex),
        }),
      };
    });
    if (txnIndex !== undefined) this.#addBalanceTransaction(collection, created);
    if (collection === 'subscriptions') this.#createItems(created, fields.items);
    const rendered = this.getObject(collection, created.id as string) ?? created;
    if (parent) this.#emitParentUpdated(parent);
    else {
      const type = this.#eventType(collection, 'created', rendered);
      if (type) this.#emit(type, rendered);
    }
    if (collection === 'refunds' && typeof rendered.charge === 'string')
      this.#refundCharge(rendered.charge, Number(rendered.amount ?? 0));
    return rendered;
  }

  /** Updates an object (as POST /v1/<collection>/<id>) and emits its `.updated` event. */
  update(
    collection: CollectionName,
    id: string,
    fields: SimObject,
    opts: { silent?: boolean; eventType?: string } = {},
  ): SimObject {
    const col = this.collections[collection];
    const index = this.#index(collection, id);
    const current = index === undefined ? undefined : col.get(index);
    if (index === undefined || !current || current.deleted === true)
      throw new Error(`No such ${collection}: ${id}`);
    const parent = opts.eventType ? undefined : this.#parentBefore(collection, current);
    // Stripe changes a subscription's items through `items[n][id|price|quantity|deleted]`.
    let previous: SimObject | undefined;
    if (collection === 'subscriptions' && fields.items !== undefined) {
      previous = { items: current.items };
      const { items, ...rest } = fields;
      this.#changeItems(current, items);
      fields = rest;
    }
    const metadata = {
      ...((current.metadata as SimObject | undefined) ?? {}),
      ...((fields.metadata as SimObject | undefined) ?? {}),
    };
    const next: SimObject = { ...current, ...fields, metadata };
    if ('updated' in current) next.updated = this.nowSeconds();
    col.put(index, next);
    const rendered = col.get(index) as SimObject;
    if (opts.silent) return rendered;
    if (parent) this.#emitParentUpdated(parent);
    else {
      const type = opts.eventType ?? this.#eventType(collection, 'updated', rendered);
      if (type) this.#emit(type, rendered, previous);
    }
    return rendered;
  }

  /**
   * Deletes an object (as DELETE /v1/<collection>/<id>). Subscriptions are canceled instead, as
   * Stripe does (`customer.subscription.deleted`, still retrievable with status canceled); a
   * payment method is detached (`payment_method.detached`, its customer cleared).
   */
  delete(collection: CollectionName, id: string, opts: { silent?: boolean } = {}): SimObject {
    const col = this.collections[collection];
    const index = this.#index(collection, id);
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
    if (collection === 'payment_methods') {
      return this.update(
        collection,
        id,
        { customer: null },
        {
          ...opts,
          eventType: 'payment_method.detached',
        },
      );
    }
    const parent = this.#parentBefore(collection, current);
    col.delete(index);
    this.#cascade(collection, id);
    if (!opts.silent) {
      if (parent) this.#emitParentUpdated(parent);
      else {
        const type = this.#eventType(collection, 'deleted', current);
        if (type)
          this.#emit(type, { ...current, ...(collection === 'discounts' && { deleted: true }) });
      }
    }
    return { id, object: OBJECT_NAME[collection], deleted: true };
  }

  // ------------------------------------------------------------------ Stripe Connect

  /**
   * Adds a connected account of this platform: its own objects (seeded lazily like the
   * platform's), reached with the `Stripe-Account` header. Returns its simulator (not started:
   * served by the platform) so tests can change its objects; its events carry `account` and go
   * to the platform's Connect endpoints.
   */
  addConnectedAccount(options: ConnectedAccountOptions = {}): StripeSimulator {
    const n = ++this.#connectedSeq;
    const id = options.id ?? `acct_simc${n.toString().padStart(10, '0')}`;
    if (this.#connected.has(id) || id === this.accountId)
      throw new Error(`connected account ${id} exists`);
    const account = new StripeSimulator({
      accountId: id,
      ...(options.seed && { seed: options.seed }),
      ...(options.createdStepSeconds !== undefined && {
        createdStepSeconds: options.createdStepSeconds,
      }),
      randomSeed: n,
      idTag: `c${n}`,
    });
    account.#platform = this;
    account.#accountObject = {
      id,
      object: 'account',
      business_profile: { name: `Connected ${n}`, url: null },
      business_type: 'company',
      capabilities: { card_payments: 'active', transfers: 'active' },
      charges_enabled: true,
      controller: { type: 'application' },
      country: 'US',
      created: BASE_CREATED + n,
      default_currency: 'usd',
      details_submitted: true,
      email: options.email ?? `connected${n}@example.com`,
      metadata: {},
      payouts_enabled: true,
      type: options.type ?? 'express',
    };
    this.#connected.set(id, account);
    return account;
  }

  /** The connected account's simulator, or undefined. */
  connectedAccount(id: string): StripeSimulator | undefined {
    return this.#connected.get(id);
  }

  /** Connected accounts, oldest first. */
  connectedAccounts(): StripeSimulator[] {
    return [...this.#connected.values()];
  }

  /**
   * Removes a connected account (the platform's access is revoked): `account.application.deauthorized`
   * goes to the Connect endpoints, and its `Stripe-Account` requests answer 403 from now on.
   */
  removeConnectedAccount(id: string): void {
    const account = this.#connected.get(id);
    if (!account) throw new Error(`No such account: ${id}`);
    account.#emit('account.application.deauthorized', {
      id: 'ca_sim0000000001',
      object: 'application',
      name: 'paysync',
    });
    this.#connected.delete(id);
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

  /** This account's id of object `index` (see {@link simId}). */
  #id(collection: CollectionName, index: number): string {
    return simId(collection, index, this.#tag);
  }

  #index(collection: CollectionName, id: string): number | undefined {
    return simIndex(collection, id, this.#tag);
  }

  /** The event type a change of `collection` emits, or null when Stripe sends none. */
  #eventType(
    collection: CollectionName,
    kind: 'created' | 'updated' | 'deleted',
    object: SimObject,
  ): string | null {
    const types = CHANGE_EVENTS[collection];
    if (!types) return `${EVENT_PREFIX[collection]}.${kind}`;
    // A payment method created without a customer is not attached: no event.
    if (collection === 'payment_methods' && kind === 'created' && !object.customer) return null;
    return types[kind];
  }

  /**
   * For a child without events of its own (subscription item, invoice line): its parent and the
   * parent's nested list before the change, so the parent's `.updated` can carry
   * `previous_attributes`.
   */
  #parentBefore(
    collection: CollectionName,
    object: SimObject,
  ): { collection: CollectionName; id: string; previous: SimObject } | undefined {
    const nested =
      collection === 'subscription_items'
        ? { parent: 'subscriptions' as const, field: 'subscription', list: 'items' }
        : collection === 'invoice_line_items'
          ? { parent: 'invoices' as const, field: 'invoice', list: 'lines' }
          : undefined;
    if (!nested) return undefined;
    const id = object[nested.field];
    const parent = typeof id === 'string' ? this.getObject(nested.parent, id) : undefined;
    if (!parent || parent.deleted === true) return undefined;
    return {
      collection: nested.parent,
      id: id as string,
      previous: {
        [nested.list]: this.#nestedList(
          collection as 'subscription_items' | 'invoice_line_items',
          id as string,
        ),
      },
    };
  }

  #emitParentUpdated(parent: { collection: CollectionName; id: string; previous: SimObject }) {
    const current = this.getObject(parent.collection, parent.id);
    if (current) this.#emit(`${EVENT_PREFIX[parent.collection]}.updated`, current, parent.previous);
  }

  /** `items` as given: form params give an array, a Stripe-shaped list (`{ data }`) is taken too. */
  #itemList(given: unknown): SimObject[] {
    if (Array.isArray(given)) return given as SimObject[];
    if (given !== null && typeof given === 'object' && Array.isArray((given as SimObject).data))
      return (given as SimObject).data as SimObject[];
    return [];
  }

  /** A price given as an id or as an object, as a subscription item's `price`. */
  #itemPrice(given: unknown): SimObject {
    const price =
      typeof given === 'string'
        ? given
        : typeof (given as SimObject | null)?.id === 'string'
          ? ((given as SimObject).id as string)
          : null;
    const product = price ? (this.getObject('prices', price)?.product ?? null) : null;
    return { id: price, object: 'price', product };
  }

  /** `items[n][price]`/`[quantity]` of a created subscription become its items. */
  #createItems(subscription: SimObject, given: unknown): void {
    const items = this.#itemList(given);
    const col = this.collections.subscription_items;
    if (items.length === 0) {
      // Like a seeded subscription: one item, as subscriptions never have none.
      col.add((index) => ({
        ...(col.get(index) ?? {}),
        id: this.#id('subscription_items', index),
        object: 'subscription_item',
        created: subscription.created,
        metadata: {},
        subscription: subscription.id,
      }));
      return;
    }
    for (const item of items) this.#addItem(subscription, item);
  }

  #addItem(subscription: SimObject, item: SimObject): void {
    const now = this.nowSeconds();
    this.collections.subscription_items.add((index) => ({
      id: this.#id('subscription_items', index),
      object: 'subscription_item',
      current_period_end: now + 30 * 86_400,
      current_period_start: now,
      price: this.#itemPrice(item.price),
      quantity: Number(item.quantity ?? 1),
      subscription: subscription.id,
      created: now,
      metadata: {},
    }));
  }

  /** `items[n]` of a subscription update: `id` + changes, `id` + `deleted`, or a new item. */
  #changeItems(subscription: SimObject, given: unknown): void {
    const col = this.collections.subscription_items;
    for (const item of this.#itemList(given)) {
      const index =
        typeof item.id === 'string' ? this.#index('subscription_items', item.id) : undefined;
      const current = index === undefined ? undefined : col.peek(index);
      if (index === undefined || !current) {
        if (item.id === undefined) this.#addItem(subscription, item);
        continue;
      }
      if (current.subscription !== subscription.id) continue;
      if (item.deleted === true || item.deleted === 'true') {
        col.delete(index);
        continue;
      }
      col.put(index, {
        ...current,
        ...(item.price !== undefined && { price: this.#itemPrice(item.price) }),
        ...(item.quantity !== undefined && { quantity: Number(item.quantity) }),
      });
    }
  }

  /** The balance transaction of a new charge, refund or payout (no event: Stripe sends none). */
  #addBalanceTransaction(collection: CollectionName, source: SimObject): void {
    const amount = Number(source.amount ?? 0);
    const type =
      collection === 'charges' ? 'charge' : collection === 'refunds' ? 'refund' : 'payout';
    const signed = type === 'charge' ? amount : -amount;
    const fee = type === 'charge' ? 30 + Math.floor(amount * 0.029) : 0;
    this.collections.balance_transactions.add((index) => ({
      id: this.#id('balance_transactions', index),
      object: 'balance_transaction',
      amount: signed,
      available_on: Number(source.created) + 2 * 86_400,
      created: source.created,
      currency: source.currency ?? 'usd',
      description: null,
      exchange_rate: null,
      fee,
      fee_details: [],
      net: signed - fee,
      reporting_category: type,
      source: source.id,
      status: 'pending',
      type,
    }));
  }

  /** A refund updates its charge (`charge.refunded`), as at Stripe. */
  #refundCharge(chargeId: string, amount: number): void {
    const charge = this.getObject('charges', chargeId);
    if (!charge || charge.deleted === true) return;
    const refunded = Number(charge.amount_refunded ?? 0) + amount;
    this.update(
      'charges',
      chargeId,
      { amount_refunded: refunded, refunded: refunded >= Number(charge.amount ?? 0) },
      { eventType: 'charge.refunded' },
    );
  }

  /** Indexes of the live children of `parentId` (newest first). */
  #childIndexes(child: CollectionName, parentId: string): number[] {
    const spec = CHILDREN[child];
    if (!spec) return [];
    const col = this.collections[child];
    const seeded = this.#seeded[child];
    const parents = this.#seeded[spec.parent];
    const candidates = new Set<number>(col.changedIndexes());
    const p = this.#index(spec.parent, parentId);
    if (p !== undefined && p < parents) {
      for (let j = p; j < seeded; j += parents) candidates.add(j);
    }
    return [...candidates]
      .filter((j) => col.peek(j)?.[spec.field] === parentId)
      .sort((x, y) => y - x);
  }

  #children(child: CollectionName, parentId: string): SimObject[] {
    const col = this.collections[child];
    return this.#childIndexes(child, parentId).map((j) => col.get(j) as SimObject);
  }

  /**
   * What goes with a deleted parent, as at Stripe (no events of their own): a customer's tax ids
   * and discounts are deleted and its payment methods detached; an invoice's lines are deleted.
   */
  #cascade(collection: CollectionName, id: string): void {
    const children: CollectionName[] =
      collection === 'customers'
        ? ['tax_ids', 'discounts', 'payment_methods']
        : collection === 'invoices'
          ? ['invoice_line_items']
          : [];
    for (const child of children) {
      const col = this.collections[child];
      for (const j of this.#childIndexes(child, id)) {
        if (child === 'payment_methods')
          col.put(j, { ...(col.peek(j) as SimObject), customer: null });
        else col.delete(j);
      }
    }
  }

  /** Discounts applied to a subscription (created through the API; seeded ones are the customers'). */
  #subscriptionDiscounts(subscriptionId: string): SimObject[] {
    const col = this.collections.discounts;
    return col
      .changedIndexes()
      .filter((j) => col.peek(j)?.subscription === subscriptionId)
      .sort((x, y) => y - x)
      .map((j) => col.get(j) as SimObject);
  }

  /** `expand[]` of a retrieve (`tax_ids`, `discounts`) or a list (`data.tax_ids`, …). */
  #expand(collection: CollectionName, object: SimObject, paths: readonly string[]): SimObject {
    if (object.deleted === true) return object;
    if (collection === 'customers' && paths.includes('tax_ids')) {
      const list = this.#nestedList('tax_ids', object.id as string);
      object.tax_ids = list;
    }
    if (collection === 'subscriptions' && paths.includes('discounts'))
      object.discounts = this.#subscriptionDiscounts(object.id as string);
    return object;
  }

  /** A parent's embedded list: the first 10 children, `has_more`, and the URL for the rest. */
  #nestedList(
    child: 'subscription_items' | 'invoice_line_items' | 'tax_ids',
    parentId: string,
  ): SimObject {
    const col = this.collections[child];
    const indexes = this.#childIndexes(child, parentId);
    return {
      object: 'list',
      data: indexes.slice(0, 10).map((j) => col.get(j) as SimObject),
      has_more: indexes.length > 10,
      total_count: indexes.length,
      url:
        child === 'subscription_items'
          ? `/v1/subscription_items?subscription=${parentId}`
          : child === 'tax_ids'
            ? `/v1/customers/${parentId}/tax_ids`
            : `/v1/invoices/${parentId}/lines`,
    };
  }

  #emit(type: string, object: SimObject, previousAttributes?: SimObject): SimEvent {
    const platform = this.#platform;
    // A platform's own events go to its plain endpoints; a connected account's to its own and to
    // the platform's Connect endpoints.
    const endpoints = platform
      ? [...this.#endpoints, ...platform.#endpoints.filter((e) => e.connect)]
      : this.#endpoints.filter((e) => !e.connect);
    const event: SimEvent = {
      id: `evt_sim${this.#runTag}${(++this.#eventSeq).toString().padStart(10, '0')}`,
      object: 'event',
      account: this.accountId,
      api_version: API_VERSION,
      created: this.nowSeconds(),
      data: {
        object: structuredClone(object),
        ...(previousAttributes && { previous_attributes: structuredClone(previousAttributes) }),
      },
      livemode: false,
      pending_webhooks: endpoints.length,
      request: { id: null, idempotency_key: null },
      type,
    };
    this.events.push(event);
    const sender = platform?.webhooks ?? this.webhooks;
    for (const endpoint of endpoints) {
      if (endpoint.enabled_events.includes('*') || endpoint.enabled_events.includes(type)) {
        sender.send(endpoint.url, endpoint.secret, event);
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

    const bodyText = await readBody(req);

    if (url.pathname.startsWith('/_sim/'))
      return answerAdmin(
        this,
        { path: url.pathname, method: req.method ?? 'GET', body: bodyText },
        send,
        {
          stats: () => this.#stats(),
          unknownRoute: {
            error: { type: 'invalid_request_error', message: 'unknown admin route' },
          },
        },
      );

    const segments = normalizePath(url.pathname.split('/').filter(Boolean));
    const pattern = `${req.method} /${segments.slice(0, 2).join('/')}${segments.length > 2 ? '/:id' : ''}${segments.length > 3 ? `/${segments[3]}` : ''}`;
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
    if (await this.#injectFault(req, error)) return;

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
    // Stripe Connect: the `Stripe-Account` header scopes the call to a connected account's objects.
    const stripeAccount = req.headers['stripe-account'];
    let connected: StripeSimulator | undefined;
    if (typeof stripeAccount === 'string' && stripeAccount !== this.accountId) {
      connected = this.#connected.get(stripeAccount);
      if (!connected)
        return error(
          403,
          'invalid_request_error',
          `The provided key does not have access to account '${stripeAccount}' (or that account does not exist). Application access may have been revoked.`,
          'account_invalid',
        );
      // The platform counts every request; a connected account also counts its own, and may
      // have faults of its own (one slow or throttled account among many).
      connected.requestCounts.set(pattern, (connected.requestCounts.get(pattern) ?? 0) + 1);
      if (await connected.#injectFault(req, error)) return;
    }
    return (connected ?? this).#route(
      req.method ?? 'GET',
      segments,
      params,
      url.pathname,
      send,
      error,
    );
  }

  /** Applies `faults` and `failNext` to one request; true when it answered (or reset) it. */
  async #injectFault(req: IncomingMessage, error: ErrorSend): Promise<boolean> {
    if (this.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
    const fault = this.#faultQueue.next(this.faults, this.#random);
    if (fault === 0) {
      req.socket.destroy();
      return true;
    }
    if (fault === 429) {
      error(429, 'invalid_request_error', 'Too many requests (simulated)', 'rate_limit', {
        'retry-after': String(this.faults.retryAfterSeconds),
      });
      return true;
    }
    if (fault === 500) {
      error(500, 'api_error', 'Internal error (simulated)', undefined, {
        'stripe-should-retry': 'true',
      });
      return true;
    }
    return false;
  }

  #route(
    method: string,
    segments: string[],
    params: Record<string, unknown>,
    pathname: string,
    send: Send,
    error: ErrorSend,
  ): void {
    const notFound = () =>
      error(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${pathname})`);
    if (segments[0] !== 'v1')
      return error(404, 'invalid_request_error', `Unrecognized request URL (${pathname})`);
    const [, resource, id, sub, subId] = segments;
    try {
      if (resource === 'account' && method === 'GET') {
        return send(
          200,
          this.#accountObject ?? {
            id: this.accountId,
            object: 'account',
            charges_enabled: true,
            country: 'US',
            default_currency: 'usd',
          },
        );
      }
      if (resource === 'accounts') return this.#accounts(method, params, id, send, error, notFound);
      if (resource === 'events' && method === 'GET') return send(200, this.#listEvents(params, id));
      if (resource === 'webhook_endpoints')
        return this.#webhookEndpoints(method, id, params, send, error);
      const collection = COLLECTIONS.find((c) => c === resource);
      if (!collection) return notFound();
      if (id !== undefined && sub !== undefined)
        return this.#subresource(collection, id, sub, subId, method, params, send, error, notFound);
      if (method === 'GET' && !id) return this.#listRoute(collection, params, send, error);
      if (method === 'GET' && id) {
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
        return send(200, this.#expand(collection, object, expandPaths(params)));
      }
      if (method === 'POST' && !id)
        return send(200, this.create(collection, this.#createFields(collection, params)));
      if (method === 'POST' && id) return send(200, this.update(collection, id, coerce(params)));
      if (method === 'DELETE' && id) {
        if (!DELETABLE.has(collection)) return notFound();
        return send(200, this.delete(collection, id));
      }
      return error(405, 'invalid_request_error', 'Method not allowed');
    } catch (err) {
      return error(404, 'invalid_request_error', (err as Error).message, 'resource_missing');
    }
  }

  /** Fields of a created object from form params (`owner[customer]` of a tax id, …). */
  #createFields(collection: CollectionName, params: Record<string, unknown>): SimObject {
    const fields = coerce(params);
    if (collection === 'tax_ids') {
      const owner = (params.owner ?? {}) as SimObject;
      const customer =
        owner.type === 'customer' ? (owner.customer as string | undefined) : undefined;
      return {
        ...fields,
        customer: customer ?? null,
        owner: { customer: customer ?? null, type: owner.type ?? 'self' },
      };
    }
    // Created unattached unless a customer is given (`/attach` attaches it).
    if (collection === 'payment_methods') return { ...fields, customer: fields.customer ?? null };
    if (collection === 'subscription_items' && typeof params.subscription === 'string') {
      const price = typeof params.price === 'string' ? params.price : null;
      return {
        ...fields,
        price: {
          id: price,
          object: 'price',
          product: price ? (this.getObject('prices', price)?.product ?? null) : null,
        },
      };
    }
    return fields;
  }

  /** GET /v1/<collection>: parent-scoped lists where Stripe requires or offers a parent. */
  #listRoute(
    collection: CollectionName,
    params: Record<string, unknown>,
    send: Send,
    error: ErrorSend,
  ): void {
    if (collection === 'subscription_items') {
      if (typeof params.subscription !== 'string')
        return error(
          400,
          'invalid_request_error',
          'Missing required param: subscription.',
          'parameter_missing',
        );
      return this.#listChildren('subscription_items', params.subscription, params, send, error);
    }
    if (collection === 'payment_methods' && typeof params.customer === 'string')
      return this.#listChildren('payment_methods', params.customer, params, send, error);
    if (collection === 'tax_ids') {
      // Without `owner[type]=customer` the account's own tax ids (none here).
      const owner = (params.owner ?? {}) as SimObject;
      if (owner.type === 'customer' && typeof owner.customer === 'string')
        return this.#listChildren('tax_ids', owner.customer, params, send, error, '/v1/tax_ids');
      return send(200, { object: 'list', url: '/v1/tax_ids', has_more: false, data: [] });
    }
    return this.#list(collection, params, send, error);
  }

  /** A parent's child list (`/v1/invoices/{id}/lines`, `/v1/customers/{id}/tax_ids`, …). */
  #listChildren(
    child: CollectionName,
    parentId: string,
    params: Record<string, unknown>,
    send: Send,
    error: ErrorSend,
    url?: string,
  ): void {
    const spec = CHILDREN[child];
    const parent = spec ? this.getObject(spec.parent, parentId) : undefined;
    if (!spec || !parent || (parent.deleted === true && spec.parent !== 'customers'))
      return error(
        404,
        'invalid_request_error',
        `No such ${spec ? OBJECT_NAME[spec.parent] : 'object'}: '${parentId}'`,
        'resource_missing',
      );
    return this.#list(child, params, send, error, {
      indexes: this.#childIndexes(child, parentId),
      url:
        url ??
        (child === 'invoice_line_items'
          ? `/v1/invoices/${parentId}/lines`
          : child === 'subscription_items'
            ? '/v1/subscription_items'
            : `/v1/customers/${parentId}/${child}`),
    });
  }

  /** Routes under an object: child lists, `discount`, and actions (`/expire`, `/void`, …). */
  #subresource(
    collection: CollectionName,
    id: string,
    sub: string,
    subId: string | undefined,
    method: string,
    params: Record<string, unknown>,
    send: Send,
    error: ErrorSend,
    notFound: () => void,
  ): void {
    const missing = (what: string, which: string) =>
      error(404, 'invalid_request_error', `No such ${what}: '${which}'`, 'resource_missing');
    if (collection === 'invoices' && sub === 'lines' && method === 'GET' && !subId)
      return this.#listChildren('invoice_line_items', id, params, send, error);
    if (collection === 'customers' && (sub === 'tax_ids' || sub === 'payment_methods')) {
      const child = sub;
      if (method === 'GET' && !subId) return this.#listChildren(child, id, params, send, error);
      if (method === 'POST' && !subId && child === 'tax_ids') {
        if (!this.getObject('customers', id)) return missing('customer', id);
        return send(
          200,
          this.create(
            'tax_ids',
            this.#createFields('tax_ids', { ...params, owner: { type: 'customer', customer: id } }),
          ),
        );
      }
      const object = subId ? this.getObject(child, subId) : undefined;
      if (!subId || !object || object.deleted === true || object.customer !== id)
        return missing(OBJECT_NAME[child], subId ?? '');
      if (method === 'GET') return send(200, object);
      if (method === 'DELETE' && child === 'tax_ids')
        return send(200, this.delete('tax_ids', subId));
      return notFound();
    }
    if (collection === 'customers' && sub === 'discount' && !subId) {
      const discount = this.#children('discounts', id)[0];
      if (!discount) return missing('discount', id);
      if (method === 'GET') return send(200, discount);
      if (method === 'DELETE') {
        this.delete('discounts', discount.id as string);
        return send(200, { ...discount, deleted: true });
      }
      return notFound();
    }
    if (method !== 'POST' || subId !== undefined) return notFound();
    const action = ACTIONS[collection]?.[sub];
    if (!action) return notFound();
    const current = this.getObject(collection, id);
    if (!current || current.deleted === true) return missing(OBJECT_NAME[collection], id);
    if (collection === 'payment_methods' && sub === 'detach')
      return send(200, this.delete('payment_methods', id));
    const fields = action.fields(this.nowSeconds(), coerce(params));
    return send(200, this.update(collection, id, fields, { eventType: action.event }));
  }

  /** `/v1/accounts` (a platform's connected accounts). */
  #accounts(
    method: string,
    params: Record<string, unknown>,
    id: string | undefined,
    send: Send,
    error: ErrorSend,
    notFound: () => void,
  ): void {
    if (this.#platform) return notFound();
    const missing = (which: string) =>
      error(404, 'invalid_request_error', `No such account: '${which}'`, 'resource_missing');
    if (method === 'GET' && id) {
      if (id === this.accountId)
        return send(200, {
          id: this.accountId,
          object: 'account',
          charges_enabled: true,
          country: 'US',
          default_currency: 'usd',
        });
      const account = this.#connected.get(id);
      return account ? send(200, account.#accountObject) : missing(id);
    }
    if (method === 'POST' && !id) {
      const type = params.type;
      const account = this.addConnectedAccount({
        ...((type === 'standard' || type === 'express' || type === 'custom') && { type }),
        ...(typeof params.email === 'string' && { email: params.email }),
      });
      return send(200, account.#accountObject);
    }
    if (method === 'DELETE' && id) {
      if (!this.#connected.has(id)) return missing(id);
      this.removeConnectedAccount(id);
      return send(200, { id, object: 'account', deleted: true });
    }
    if (method !== 'GET') return notFound();
    const page = listParams(params, error);
    if (!page) return;
    const { limit, createdGte: gte, createdLt: lt } = page;
    let accounts = [...this.#connected.values()]
      .map((a) => a.#accountObject as SimObject)
      .reverse();
    if (typeof params.starting_after === 'string') {
      const at = accounts.findIndex((a) => a.id === params.starting_after);
      if (at < 0)
        return error(
          400,
          'invalid_request_error',
          `No such account: '${params.starting_after}'`,
          'resource_missing',
        );
      accounts = accounts.slice(at + 1);
    }
    accounts = accounts.filter(
      (a) =>
        (gte === undefined || Number(a.created) >= gte) &&
        (lt === undefined || Number(a.created) < lt),
    );
    send(200, {
      object: 'list',
      url: '/v1/accounts',
      has_more: accounts.length > limit,
      data: accounts.slice(0, limit),
    });
  }

  #list(
    collection: CollectionName,
    params: Record<string, unknown>,
    send: (status: number, body: unknown) => void,
    error: (status: number, type: string, message: string, code?: string) => void,
    scope: { indexes?: number[]; url?: string } = {},
  ): void {
    const page = listParams(params, error);
    if (!page) return;
    const showAll = collection !== 'subscriptions' || params.status === 'all';
    const filters = Object.entries(LIST_FILTERS[collection] ?? {}).filter(
      ([param]) => params[param] !== undefined,
    );
    const include =
      filters.length > 0
        ? (o: SimObject) =>
            filters.every(([param, path]) => String(fieldAt(o, path)) === String(params[param]))
        : !showAll
          ? (o: SimObject) => o.status !== 'canceled'
          : undefined;
    const result = this.collections[collection].list({
      ...page,
      startingAfter: params.starting_after as string | undefined,
      ...(include && { include }),
      ...(scope.indexes && { indexes: scope.indexes }),
    });
    if ('error' in result)
      return error(400, 'invalid_request_error', result.error, 'resource_missing');
    const expand = expandPaths(params)
      .filter((path) => path.startsWith('data.'))
      .map((path) => path.slice('data.'.length));
    send(200, {
      object: 'list',
      url: scope.url ?? `/v1/${RESOURCE_PATH[collection] ?? collection}`,
      has_more: result.hasMore,
      data:
        expand.length > 0
          ? result.data.map((o) => this.#expand(collection, o, expand))
          : result.data,
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
    id: string | undefined,
    params: Record<string, unknown>,
    send: (status: number, body: unknown) => void,
    error: ErrorSend,
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
    if (id !== undefined) {
      // POST /v1/webhook_endpoints/{id} updates the url or the enabled events (the api version
      // and the secret stay); GET retrieves it without its secret.
      const endpoint = this.#endpoints.find((e) => e.id === id);
      if (!endpoint || (method !== 'POST' && method !== 'GET')) {
        return error(
          404,
          'invalid_request_error',
          `No such webhook endpoint: '${id}'`,
          'resource_missing',
        );
      }
      if (method === 'POST') {
        if (Array.isArray(params.enabled_events))
          endpoint.enabled_events = (params.enabled_events as unknown[]).map(String);
        if (typeof params.url === 'string') endpoint.url = params.url;
      }
      return send(200, view(endpoint, false));
    }
    if (method === 'POST') {
      const events = Array.isArray(params.enabled_events)
        ? (params.enabled_events as string[])
        : ['*'];
      const { id } = this.addWebhookEndpoint(String(params.url), undefined, events, {
        connect: params.connect === 'true',
      });
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

  /** `GET /_sim/stats`. */
  #stats(): unknown {
    return {
      counts: Object.fromEntries(COLLECTIONS.map((c) => [c, this.collections[c].liveCount])),
      events: this.events.length,
      deliveries: this.webhooks.stats,
      requests: Object.fromEntries(this.requestCounts),
      ...(this.#connected.size > 0 && {
        connectedAccounts: Object.fromEntries(
          [...this.#connected].map(([id, account]) => [
            id,
            Object.fromEntries(COLLECTIONS.map((c) => [c, account.collections[c].liveCount])),
          ]),
        ),
      }),
    };
  }
}

/** `expand[]=a` / `expand[0]=a&expand[1]=b` as a list of paths. */
function expandPaths(params: Record<string, unknown>): string[] {
  const expand = params.expand;
  if (typeof expand === 'string') return [expand];
  return Array.isArray(expand) ? expand.filter((p): p is string => typeof p === 'string') : [];
}

/** Form values arrive as strings; numbers and booleans in the fields we model are converted. */
function coerce(params: Record<string, unknown>): SimObject {
  const out: SimObject = {};
  for (const [k, v] of Object.entries(params)) {
    if (
      typeof v === 'string' &&
      /^(amount|unit_amount|quantity|balance|amount_off|percent_off|duration_in_months|max_redemptions|redeem_by|expires_at)$/.test(
        k,
      )
    )
      out[k] = Number(v);
    else if (v === 'true' || v === 'false') out[k] = v === 'true';
    else out[k] = v;
  }
  return out;
}
