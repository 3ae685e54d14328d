import { randomBytes } from 'node:crypto';

import type { EntityType, ProviderName } from '@paysync/contracts';
import { KeyRing } from '@paysync/crypto';
import { ConnectionRepository, type ConnectionView, type Db } from '@paysync/db';
import { signStripePayload } from '@paysync/providers';
import {
  CHARGEBEE_RESOURCE_PATH,
  ChargebeeSimulator,
  StripeSimulator,
  chargebeeSimId,
  simId,
  type ChargebeeResource,
  type CollectionName,
  type DeliveryOptions,
  type Faults,
  type SimObject,
} from '@paysync/simulator';

// The provider column of the e2e suites (issue 17): one simulator of either provider behind one
// interface, so a suite written once runs for a Stripe account and for a Chargebee site. Each
// implementation says how its provider names things (collections, ids, event types, the version
// an event carries) and how its webhooks are authenticated (Stripe: a signature; Chargebee: HTTP
// Basic credentials); the suites name only canonical entity types.

/** The canonical entity types a simulator of either provider holds. */
export type SimEntity = Extract<
  EntityType,
  'customer' | 'product' | 'price' | 'subscription' | 'invoice' | 'payment_transaction'
>;

/** Seed counts by canonical entity type. */
type NeutralSeed = Partial<Record<SimEntity, number>>;

/** How an object changed, in the provider's event vocabulary. */
export type ChangeKind = 'created' | 'updated' | 'deleted';

export interface SimEventSummary {
  readonly id: string;
  /** When the provider says it happened (seconds). */
  readonly at: number;
  readonly objectId: string | undefined;
  /** The event as the provider sent it. */
  readonly payload: Record<string, unknown>;
}

/** A simulator of one provider, as the provider-neutral suites drive it. */
export interface ProviderSim {
  readonly provider: ProviderName;
  /** Stripe account id or Chargebee site: who the events come from. */
  readonly accountId: string;
  readonly url: string;
  /** Requests the simulator's API served, by pattern (its own spelling; see `retrieves`). */
  readonly requestCounts: Map<string, number>;
  start(): Promise<string>;
  stop(): Promise<void>;
  /** The id of the `i`-th seeded object of `entity`. */
  id(entity: SimEntity, i: number): string;
  create(entity: SimEntity, fields?: SimObject): SimObject;
  update(entity: SimEntity, id: string, fields: SimObject, opts?: { silent?: boolean }): SimObject;
  delete(entity: SimEntity, id: string, opts?: { silent?: boolean }): SimObject;
  getObject(entity: SimEntity, id: string): SimObject | undefined;
  /** The fields that give a customer the canonical `name`. */
  customerName(name: string): SimObject;
  /** The canonical `name` of a customer object of this simulator (what {@link customerName} set). */
  nameOf(customer: SimObject | undefined): unknown;
  /** Number of events emitted so far. */
  readonly eventCount: number;
  /** Events emitted since the first `from` ones. */
  eventsSince(from: number): SimEventSummary[];
  lastEventId(): string;
  setDelivery(options: Partial<DeliveryOptions>): void;
  /**
   * Freezes (or with undefined releases) the provider's notion of "now" as far as versions go:
   * changes made meanwhile tie on the version the provider's events carry (Stripe: the event's
   * second; Chargebee: `resource_version`).
   */
  freezeVersions(seconds: number | undefined): void;
  faults: Faults;
  failNext(count: number, status: 429 | 500 | 0): void;
  failListing(entity: SimEntity, afterPages: number): void;
  clearListingFailure(): void;
  /** Single-object retrieves of `entity` served so far. */
  retrieves(entity: SimEntity): number;
  /** List requests of `entity` served so far. */
  lists(entity: SimEntity): number;
  /** A webhook secret for a connection: a Stripe signing secret, a Chargebee Basic credential. */
  newWebhookSecret(): string;
  /** Webhooks of every change go to `url`, authenticated with `secret`. */
  addWebhookEndpoint(url: string, secret: string): void;
  /** An API key this simulator accepts. */
  readonly apiKey: string;
  /** The connection settings that point paysync at this simulator. */
  connectionSettings(): Record<string, unknown>;
  /**
   * An event body as the provider would send it: `object` changed (`kind`) at `at` seconds
   * (default now; for Chargebee also the object's `resource_version`).
   */
  event(
    kind: ChangeKind,
    entity: SimEntity,
    object: SimObject,
    opts?: { id?: string; at?: number },
  ): Record<string, unknown>;
  /** An event of a type paysync does not sync. */
  unsyncedEvent(): Record<string, unknown>;
  /** The headers that authenticate `body` with `secret` at ingress. */
  authHeaders(body: string, secret: string): Record<string, string>;
  /**
   * Renames customer `id` through the simulator's HTTP API, as a client of the provider would
   * (Stripe: form POST /v1/customers/:id with a Bearer key; Chargebee: form POST
   * /api/v2/customers/:id with Basic auth); returns the HTTP status.
   */
  apiRenameCustomer(id: string, name: string): Promise<number>;
  /** The stored event type of a customer update (e.g. for recorded dead events). */
  readonly customerUpdatedType: string;
}

async function formPost(url: string, authorization: string, form: Record<string, string>) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  await res.arrayBuffer();
  return res.status;
}

const randomEventId = (prefix: string) => `${prefix}${randomBytes(8).toString('hex')}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** What both simulators do alike, each under its own names `N` of the entity types. */
interface RawSim<N> {
  readonly url: string;
  readonly requestCounts: Map<string, number>;
  faults: Faults;
  readonly events: readonly { readonly id: string }[];
  start(): Promise<string>;
  create(name: N, fields?: SimObject): SimObject;
  update(name: N, id: string, fields: SimObject, opts?: { silent?: boolean }): SimObject;
  delete(name: N, id: string, opts?: { silent?: boolean }): SimObject;
  setDelivery(options: Partial<DeliveryOptions>): void;
  failNext(count: number, status: 429 | 500 | 0): void;
  failListing(name: N, afterPages: number): void;
  clearListingFailure(): void;
}

/** The part of a {@link ProviderSim} that passes through to the simulator `raw` as it is. */
abstract class PassThroughSim<N, Raw extends RawSim<N>> {
  readonly raw: Raw;
  readonly apiKey: string;
  /** The simulator's name of each entity type (a Stripe collection, a Chargebee resource). */
  protected readonly names: Record<SimEntity, N>;

  constructor(raw: Raw, apiKey: string, names: Record<SimEntity, N>) {
    this.raw = raw;
    this.apiKey = apiKey;
    this.names = names;
  }

  get url() {
    return this.raw.url;
  }
  get requestCounts() {
    return this.raw.requestCounts;
  }
  get faults() {
    return this.raw.faults;
  }
  set faults(f: Faults) {
    this.raw.faults = f;
  }
  get eventCount() {
    return this.raw.events.length;
  }

  start() {
    return this.raw.start();
  }
  create(entity: SimEntity, fields: SimObject = {}) {
    return this.raw.create(this.names[entity], fields);
  }
  update(entity: SimEntity, id: string, fields: SimObject, opts: { silent?: boolean } = {}) {
    return this.raw.update(this.names[entity], id, fields, opts);
  }
  delete(entity: SimEntity, id: string, opts: { silent?: boolean } = {}) {
    return this.raw.delete(this.names[entity], id, opts);
  }
  lastEventId() {
    const event = this.raw.events.at(-1);
    if (!event) throw new Error('the simulator emitted no event');
    return event.id;
  }
  setDelivery(options: Partial<DeliveryOptions>) {
    this.raw.setDelivery(options);
  }
  failNext(count: number, status: 429 | 500 | 0) {
    this.raw.failNext(count, status);
  }
  failListing(entity: SimEntity, afterPages: number) {
    this.raw.failListing(this.names[entity], afterPages);
  }
  clearListingFailure() {
    this.raw.clearListingFailure();
  }
}

// ------------------------------------------------------------------------------------ Stripe

const STRIPE_COLLECTION: Record<SimEntity, CollectionName> = {
  customer: 'customers',
  product: 'products',
  price: 'prices',
  subscription: 'subscriptions',
  invoice: 'invoices',
  payment_transaction: 'charges',
};

const STRIPE_EVENT_PREFIX: Record<SimEntity, string> = {
  customer: 'customer',
  product: 'product',
  price: 'price',
  subscription: 'customer.subscription',
  invoice: 'invoice',
  payment_transaction: 'charge',
};

/** A Stripe account (a {@link StripeSimulator}) as a {@link ProviderSim}. */
export class StripeSim
  extends PassThroughSim<CollectionName, StripeSimulator>
  implements ProviderSim
{
  readonly provider = 'stripe' as const;
  readonly customerUpdatedType = 'customer.updated';

  constructor(raw: StripeSimulator, apiKey = 'sk_test_pipeline_key_0001') {
    super(raw, apiKey, STRIPE_COLLECTION);
  }

  get accountId() {
    return this.raw.accountId;
  }
  async stop() {
    await this.raw.stop();
    this.raw.webhooks.close();
  }
  id(entity: SimEntity, i: number) {
    return simId(STRIPE_COLLECTION[entity], i);
  }
  getObject(entity: SimEntity, id: string) {
    return this.raw.getObject(STRIPE_COLLECTION[entity], id);
  }
  customerName(name: string): SimObject {
    return { name };
  }
  nameOf(customer: SimObject | undefined) {
    return customer?.name;
  }
  eventsSince(from: number): SimEventSummary[] {
    return this.raw.events.slice(from).map((e) => ({
      id: e.id,
      at: e.created,
      objectId: (e.data as { object?: { id?: string } } | undefined)?.object?.id,
      payload: e,
    }));
  }
  freezeVersions(seconds: number | undefined) {
    this.raw.freezeClock(seconds);
  }
  retrieves(entity: SimEntity) {
    return this.raw.requestCounts.get(`GET /v1/${STRIPE_COLLECTION[entity]}/:id`) ?? 0;
  }
  lists(entity: SimEntity) {
    return this.raw.requestCounts.get(`GET /v1/${STRIPE_COLLECTION[entity]}`) ?? 0;
  }
  newWebhookSecret() {
    return `whsec_${randomBytes(12).toString('hex')}`;
  }
  addWebhookEndpoint(url: string, secret: string) {
    this.raw.addWebhookEndpoint(url, secret);
  }
  connectionSettings() {
    return { apiBaseUrl: this.raw.url };
  }
  event(
    kind: ChangeKind,
    entity: SimEntity,
    object: SimObject,
    opts: { id?: string; at?: number } = {},
  ) {
    return this.stripeEvent(`${STRIPE_EVENT_PREFIX[entity]}.${kind}`, object, opts);
  }
  /** A Stripe event of any `type` about `object`, from this account, created at `at`. */
  stripeEvent(
    type: string,
    object: SimObject,
    { id = randomEventId('evt_'), at = nowSeconds() }: { id?: string; at?: number } = {},
  ) {
    return {
      id,
      object: 'event',
      type,
      created: at,
      livemode: false,
      api_version: '2026-10-28.endive',
      account: this.raw.accountId,
      data: { object },
    };
  }
  unsyncedEvent() {
    return {
      id: randomEventId('evt_'),
      object: 'event',
      // Not one paysync syncs (early fraud warnings are synced since issue 19's breadth).
      type: 'issuing_cardholder.created',
      created: nowSeconds(),
      livemode: false,
      api_version: '2026-10-28.endive',
      account: this.raw.accountId,
      data: { object: { id: 'ich_1', object: 'issuing.cardholder' } },
    };
  }
  apiRenameCustomer(id: string, name: string) {
    return formPost(`${this.raw.url}/v1/customers/${id}`, `Bearer ${this.apiKey}`, { name });
  }
  authHeaders(body: string, secret: string): Record<string, string> {
    return { 'stripe-signature': signStripePayload(body, secret, nowSeconds()) };
  }
}

// ------------------------------------------------------------------------------------ Chargebee

const CHARGEBEE_RESOURCE: Record<SimEntity, ChargebeeResource> = {
  customer: 'customer',
  product: 'item',
  price: 'item_price',
  subscription: 'subscription',
  invoice: 'invoice',
  payment_transaction: 'transaction',
};

function chargebeeEventType(resource: ChargebeeResource, kind: ChangeKind): string {
  if (kind === 'created')
    return resource === 'invoice' ? 'invoice_generated' : `${resource}_created`;
  if (kind === 'deleted') return `${resource}_deleted`;
  return resource === 'customer' || resource === 'subscription'
    ? `${resource}_changed`
    : `${resource}_updated`;
}

/** A Chargebee site (a {@link ChargebeeSimulator}) as a {@link ProviderSim}. */
export class ChargebeeSim
  extends PassThroughSim<ChargebeeResource, ChargebeeSimulator>
  implements ProviderSim
{
  readonly provider = 'chargebee' as const;
  readonly customerUpdatedType = 'customer_changed';

  constructor(raw: ChargebeeSimulator, apiKey = 'test_sim_key') {
    super(raw, apiKey, CHARGEBEE_RESOURCE);
    raw.addApiKey(apiKey);
  }

  get accountId() {
    return this.raw.site;
  }
  async stop() {
    await this.raw.stop();
  }
  id(entity: SimEntity, i: number) {
    return chargebeeSimId(CHARGEBEE_RESOURCE[entity], i);
  }
  getObject(entity: SimEntity, id: string) {
    const object = this.raw.getObject(CHARGEBEE_RESOURCE[entity], id);
    return object?.deleted === true ? undefined : object;
  }
  customerName(name: string): SimObject {
    // The canonical name is "first last"; a customer with only a first name is named by it.
    return { first_name: name, last_name: undefined };
  }
  nameOf(customer: SimObject | undefined) {
    return [customer?.first_name, customer?.last_name].filter((s) => s).join(' ');
  }
  eventsSince(from: number): SimEventSummary[] {
    return this.raw.events.slice(from).map((e) => {
      const resource = Object.keys(e.content)[0];
      return {
        id: e.id,
        at: e.occurred_at,
        objectId: resource ? (e.content[resource]?.id as string | undefined) : undefined,
        payload: e,
      };
    });
  }
  freezeVersions(seconds: number | undefined) {
    this.raw.freezeClock(seconds);
    this.raw.freezeVersion(seconds === undefined ? undefined : seconds * 1000);
  }
  retrieves(entity: SimEntity) {
    const path = CHARGEBEE_RESOURCE_PATH[CHARGEBEE_RESOURCE[entity]];
    return this.raw.requestCounts.get(`GET /api/v2/${path}/:id`) ?? 0;
  }
  lists(entity: SimEntity) {
    const path = CHARGEBEE_RESOURCE_PATH[CHARGEBEE_RESOURCE[entity]];
    return this.raw.requestCounts.get(`GET /api/v2/${path}`) ?? 0;
  }
  newWebhookSecret() {
    return `paysync:${randomBytes(16).toString('hex')}`;
  }
  addWebhookEndpoint(url: string, secret: string) {
    const at = secret.indexOf(':');
    this.raw.addWebhookEndpoint(url, secret.slice(0, at), secret.slice(at + 1));
  }
  connectionSettings() {
    return { site: this.raw.site, apiBaseUrl: this.raw.url };
  }
  event(
    kind: ChangeKind,
    entity: SimEntity,
    object: SimObject,
    { id = randomEventId('ev_e2e_'), at = nowSeconds() }: { id?: string; at?: number } = {},
  ) {
    const resource = CHARGEBEE_RESOURCE[entity];
    return {
      id,
      occurred_at: at,
      source: 'api',
      object: 'event',
      api_version: 'v2',
      event_type: chargebeeEventType(resource, kind),
      // The object as it was at `at`: Chargebee versions every change by `resource_version`.
      content: {
        [resource]: {
          ...object,
          updated_at: at,
          resource_version: at * 1000,
          ...(kind === 'deleted' && { deleted: true }),
        },
      },
    };
  }
  unsyncedEvent() {
    return {
      id: randomEventId('ev_e2e_'),
      occurred_at: nowSeconds(),
      source: 'api',
      object: 'event',
      api_version: 'v2',
      event_type: 'gift_scheduled',
      content: { gift: { id: 'gift_1', status: 'scheduled' } },
    };
  }
  apiRenameCustomer(id: string, name: string) {
    const basic = Buffer.from(`${this.apiKey}:`, 'utf8').toString('base64');
    return formPost(`${this.raw.url}/api/v2/customers/${id}`, `Basic ${basic}`, {
      first_name: name,
      last_name: '',
    });
  }
  authHeaders(_body: string, secret: string): Record<string, string> {
    return { authorization: `Basic ${Buffer.from(secret, 'utf8').toString('base64')}` };
  }
}

// ------------------------------------------------------------------------------------ cases

/** One row of the provider column: how to make a simulator of that provider. */
export interface ProviderCase {
  readonly provider: ProviderName;
  /** A simulator (not started) seeded with `seed`; `tag` tells several apart (account / site). */
  newSim(seed: NeutralSeed, opts?: { tag?: string; apiKey?: string }): ProviderSim;
}

const stripeCase: ProviderCase = {
  provider: 'stripe',
  newSim(seed, { tag, apiKey } = {}) {
    const collections = Object.fromEntries(
      Object.entries(seed).map(([entity, n]) => [STRIPE_COLLECTION[entity as SimEntity], n]),
    );
    return new StripeSim(
      new StripeSimulator({
        seed: collections,
        ...(tag && { accountId: `acct_sim${tag.padEnd(12, '0').slice(0, 12)}` }),
      }),
      apiKey,
    );
  },
};

export const chargebeeCase: ProviderCase = {
  provider: 'chargebee',
  newSim(seed, { tag, apiKey } = {}) {
    const resources = Object.fromEntries(
      Object.entries(seed).map(([entity, n]) => [CHARGEBEE_RESOURCE[entity as SimEntity], n]),
    );
    return new ChargebeeSim(
      new ChargebeeSimulator({
        seed: resources,
        ...(tag && { site: `paysync-sim-${tag}-test` }),
      }),
      apiKey,
    );
  },
};

/** The provider column: `describe.each(PROVIDER_CASES)('$provider', (c) => …)`. */
export const PROVIDER_CASES: readonly ProviderCase[] = [stripeCase, chargebeeCase];

/**
 * A test-mode connection of `workspaceId` to the simulator `sim` (started), its webhooks
 * authenticated with `webhookSecret`, `settings` added to the simulator's; a Stripe connection is
 * linked to the simulator's account.
 */
export async function connectSim(
  prisma: Db,
  keys: string,
  sim: ProviderSim,
  {
    workspaceId,
    webhookSecret,
    settings,
  }: { workspaceId: string; webhookSecret?: string; settings?: Record<string, unknown> },
): Promise<ConnectionView> {
  const connections = new ConnectionRepository({ prisma, keyRing: KeyRing.fromString(keys) });
  const connection = await connections.create({
    workspaceId,
    provider: sim.provider,
    mode: 'test',
    apiKey: sim.apiKey,
    ...(webhookSecret !== undefined && { webhookSecrets: [webhookSecret] }),
    settings: { ...sim.connectionSettings(), ...settings },
  });
  // Stripe events name their account (Connect); Chargebee events name no site.
  if (sim.provider === 'stripe') await connections.linkProviderAccount(connection, sim.accountId);
  return connection;
}
