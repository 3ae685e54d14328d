import type {
  CanonicalChange,
  CanonicalCustomer,
  CanonicalInvoice,
  CanonicalPaymentTransaction,
  CanonicalPrice,
  CanonicalProduct,
  CanonicalSubscription,
  CanonicalSubscriptionItem,
  EntityType,
  Metadata,
} from '@paysync/contracts';

import type { ChangeContext } from '../billing-provider.js';

/**
 * Pure mappers from Stripe objects (as JSON) to canonical data. Stripe objects are read as plain
 * JSON on purpose: webhooks carry whatever API version the endpoint is pinned to, so fields are
 * read defensively and both the pre-2025 and the current shapes are understood (e.g.
 * `current_period_end` moved from the subscription to its items, `invoice.subscription` to
 * `invoice.parent.subscription_details.subscription`).
 */
export type StripeObject = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);
const obj = (v: unknown): StripeObject | null =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as StripeObject) : null;
/** Stripe timestamps are seconds. */
const time = (v: unknown): Date | null =>
  typeof v === 'number' && Number.isFinite(v) ? new Date(v * 1000) : null;
/** An id field that may be expanded into an object. */
const ref = (v: unknown): string | null => str(v) ?? str(obj(v)?.id);

function metadata(v: unknown): Metadata {
  const o = obj(v);
  if (!o) return {};
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(o)) if (typeof value === 'string') out[k] = value;
  return out;
}

export function mapCustomer(o: StripeObject): CanonicalCustomer {
  return {
    email: str(o.email),
    name: str(o.name),
    phone: str(o.phone),
    description: str(o.description),
    currency: str(o.currency),
    balance: num(o.balance),
    delinquent: bool(o.delinquent),
    metadata: metadata(o.metadata),
    providerCreatedAt: time(o.created),
  };
}

export function mapProduct(o: StripeObject): CanonicalProduct {
  return {
    name: str(o.name),
    description: str(o.description),
    active: bool(o.active),
    metadata: metadata(o.metadata),
    providerCreatedAt: time(o.created),
  };
}

export function mapPrice(o: StripeObject): CanonicalPrice {
  const recurring = obj(o.recurring);
  return {
    productExternalId: ref(o.product),
    active: bool(o.active),
    currency: str(o.currency),
    unitAmount: num(o.unit_amount),
    type: str(o.type),
    recurringInterval: str(recurring?.interval),
    recurringIntervalCount: num(recurring?.interval_count),
    nickname: str(o.nickname),
    lookupKey: str(o.lookup_key),
    metadata: metadata(o.metadata),
    providerCreatedAt: time(o.created),
  };
}

/** Legacy plans are prices with another shape (same ids: a plan is a recurring price). */
export function mapPlan(o: StripeObject): CanonicalPrice {
  return {
    productExternalId: ref(o.product),
    active: bool(o.active),
    currency: str(o.currency),
    unitAmount: num(o.amount),
    type: 'recurring',
    recurringInterval: str(o.interval),
    recurringIntervalCount: num(o.interval_count),
    nickname: str(o.nickname),
    lookupKey: null,
    metadata: metadata(o.metadata),
    providerCreatedAt: time(o.created),
  };
}

export function mapSubscription(o: StripeObject): CanonicalSubscription {
  const itemObjects = (
    Array.isArray(obj(o.items)?.data) ? (obj(o.items)?.data as unknown[]) : []
  ).map(obj);
  const items: CanonicalSubscriptionItem[] = itemObjects
    .filter((i): i is StripeObject => i !== null)
    .map((i) => {
      const price = obj(i.price) ?? obj(i.plan);
      return {
        externalId: str(i.id),
        priceExternalId: ref(i.price) ?? ref(i.plan),
        productExternalId: ref(price?.product),
        quantity: num(i.quantity),
      };
    });
  const firstItem = itemObjects[0] ?? null;
  return {
    customerExternalId: ref(o.customer),
    status: str(o.status),
    items,
    currency: str(o.currency),
    // Since API 2025-03-31 the period lives on each item; before, on the subscription.
    currentPeriodStart: time(o.current_period_start) ?? time(firstItem?.current_period_start),
    currentPeriodEnd: time(o.current_period_end) ?? time(firstItem?.current_period_end),
    cancelAtPeriodEnd: bool(o.cancel_at_period_end),
    canceledAt: time(o.canceled_at),
    endedAt: time(o.ended_at),
    trialStart: time(o.trial_start),
    trialEnd: time(o.trial_end),
    metadata: metadata(o.metadata),
    providerCreatedAt: time(o.created),
  };
}

export function mapInvoice(o: StripeObject): CanonicalInvoice {
  const parent = obj(o.parent);
  const transitions = obj(o.status_transitions);
  return {
    customerExternalId: ref(o.customer),
    subscriptionExternalId:
      ref(o.subscription) ?? ref(obj(parent?.subscription_details)?.subscription),
    status: str(o.status),
    number: str(o.number),
    currency: str(o.currency),
    amountDue: num(o.amount_due),
    amountPaid: num(o.amount_paid),
    amountRemaining: num(o.amount_remaining),
    subtotal: num(o.subtotal),
    total: num(o.total),
    dueDate: time(o.due_date),
    paidAt: time(transitions?.paid_at),
    periodStart: time(o.period_start),
    periodEnd: time(o.period_end),
    hostedInvoiceUrl: str(o.hosted_invoice_url),
    metadata: metadata(o.metadata),
    providerCreatedAt: time(o.created),
  };
}

export function mapPaymentIntent(o: StripeObject): CanonicalPaymentTransaction {
  const lastError = obj(o.last_payment_error);
  const types = Array.isArray(o.payment_method_types) ? (o.payment_method_types as unknown[]) : [];
  return {
    kind: 'payment_intent',
    status: str(o.status),
    amount: num(o.amount),
    amountRefunded: null,
    currency: str(o.currency),
    customerExternalId: ref(o.customer),
    invoiceExternalId: ref(o.invoice),
    paymentMethodType: str(types[0]),
    failureCode: str(lastError?.code),
    failureMessage: str(lastError?.message),
    metadata: metadata(o.metadata),
    providerCreatedAt: time(o.created),
  };
}

export function mapCharge(o: StripeObject): CanonicalPaymentTransaction {
  return {
    kind: 'charge',
    status: o.refunded === true ? 'refunded' : str(o.status),
    amount: num(o.amount),
    amountRefunded: num(o.amount_refunded),
    currency: str(o.currency),
    customerExternalId: ref(o.customer),
    invoiceExternalId: ref(o.invoice),
    paymentMethodType: str(obj(o.payment_method_details)?.type),
    failureCode: str(o.failure_code),
    failureMessage: str(o.failure_message),
    metadata: metadata(o.metadata),
    providerCreatedAt: time(o.created),
  };
}

/** Stripe `object` value → our entity type (and the mapper for it). */
const STRIPE_OBJECTS = {
  customer: { entityType: 'customer', map: mapCustomer },
  product: { entityType: 'product', map: mapProduct },
  price: { entityType: 'price', map: mapPrice },
  plan: { entityType: 'price', map: mapPlan },
  subscription: { entityType: 'subscription', map: mapSubscription },
  invoice: { entityType: 'invoice', map: mapInvoice },
  payment_intent: { entityType: 'payment_transaction', map: mapPaymentIntent },
  charge: { entityType: 'payment_transaction', map: mapCharge },
} as const satisfies Record<string, { entityType: EntityType; map: (o: StripeObject) => unknown }>;

type StripeObjectName = keyof typeof STRIPE_OBJECTS;

function isStripeObjectName(name: unknown): name is StripeObjectName {
  return typeof name === 'string' && Object.hasOwn(STRIPE_OBJECTS, name);
}

/**
 * A Stripe object as a canonical change. `deleted` comes from the caller (a `*.deleted` event) or
 * the object itself (`deleted: true`, what Stripe returns for deleted objects). A canceled
 * subscription is a tombstone that keeps its data, in webhooks and listings alike, so the two
 * paths never flip-flop `deleted_at`.
 */
export function toChange(
  o: StripeObject,
  opts: { version: number; deleted?: boolean; eventId?: string; ctx: ChangeContext },
): CanonicalChange | null {
  const name = o.object;
  if (!isStripeObjectName(name)) return null;
  const externalId = str(o.id);
  if (!externalId) return null;
  const { entityType, map } = STRIPE_OBJECTS[name];
  const isBareDelete = o.deleted === true && Object.keys(o).length <= 3; // { id, object, deleted }
  const deleted =
    opts.deleted === true ||
    o.deleted === true ||
    (name === 'subscription' && o.status === 'canceled');
  return {
    workspaceId: opts.ctx.workspaceId,
    provider: 'stripe',
    entityType,
    externalId,
    version: opts.version,
    deleted,
    data: isBareDelete ? null : map(o),
    raw: o,
    livemode: o.livemode === true,
    eventId: opts.eventId,
    source: opts.ctx.source,
  } as CanonicalChange;
}

/**
 * Version of an object seen in an event: the object's own `updated` (seconds) when it has one,
 * else the event's `created`; milliseconds so it compares with list pages' `Date` headers.
 */
export function objectVersion(o: StripeObject, eventCreatedSeconds: number): number {
  const updated = num(o.updated);
  return (updated ?? eventCreatedSeconds) * 1000;
}
