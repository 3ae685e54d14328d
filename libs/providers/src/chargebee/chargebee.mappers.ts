import { ValidationError } from '@paysync/errors';
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

import { arr, num, obj, str, time } from '../json-fields.js';

import type { ChangeContext } from '../billing-provider.js';

/**
 * Pure mappers from Chargebee API v2 resources (Product Catalog 2.0, as JSON) to the canonical
 * rows the Stripe mappers produce. Fields are read defensively (plain JSON, not the SDK's types):
 * webhooks and stored events are whatever Chargebee sent. Conventions, with the reasons, are in
 * docs/providers/chargebee.md ("Mapping"):
 * - amounts are already minor units (cents) in Chargebee, currency codes are upper case there and
 *   lower-cased here (Stripe's convention, which the canonical model follows);
 * - statuses are normalised to Stripe's words where there is a clear equivalent (`cancelled` →
 *   `canceled`, `in_trial` → `trialing`, …) and kept otherwise; `raw` keeps Chargebee's;
 * - the version is `resource_version` (milliseconds, changes on every change).
 */
export type ChargebeeObject = Record<string, unknown>;

const lower = (v: unknown): string | null => str(v)?.toLowerCase() ?? null;

/**
 * Chargebee `meta_data` / `metadata` is any JSON object; the canonical metadata is string →
 * string, so non-string values are kept as their JSON text (nothing is dropped).
 */
function metadata(v: unknown): Metadata {
  const o = obj(v);
  if (!o) return {};
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(o)) {
    if (value === undefined) continue;
    out[k] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return out;
}

export function mapCustomer(o: ChargebeeObject): CanonicalCustomer {
  const fullName = [str(o.first_name), str(o.last_name)].filter((s) => s).join(' ');
  const credits =
    (num(o.promotional_credits) ?? 0) +
    (num(o.refundable_credits) ?? 0) +
    (num(o.excess_payments) ?? 0);
  const hasBalance = ['promotional_credits', 'refundable_credits', 'excess_payments'].some(
    (k) => num(o[k]) !== null,
  );
  return {
    email: str(o.email),
    name: fullName.length > 0 ? fullName : str(o.company),
    phone: str(o.phone),
    description: fullName.length > 0 ? str(o.company) : null,
    currency: lower(o.preferred_currency_code),
    // Stripe's sign: positive = owed by the customer, negative = credit in their favour.
    balance:
      hasBalance || num(o.unbilled_charges) !== null
        ? (num(o.unbilled_charges) ?? 0) - credits
        : null,
    delinquent: null,
    metadata: metadata(o.meta_data),
    providerCreatedAt: time(o.created_at),
  };
}

export function mapItem(o: ChargebeeObject): CanonicalProduct {
  return {
    name: str(o.name),
    description: str(o.description),
    active: str(o.status) === null ? null : o.status === 'active',
    metadata: metadata(o.metadata),
    // Items have no created_at in API v2.
    providerCreatedAt: time(o.created_at),
  };
}

/** Flat prices have one unit amount; tiered/volume/stairstep ones have none (as in Stripe). */
const FLAT_PRICING = new Set(['flat_fee', 'per_unit']);

export function mapItemPrice(o: ChargebeeObject): CanonicalPrice {
  const periodUnit = str(o.period_unit);
  const recurring = periodUnit !== null && o.item_type !== 'charge';
  return {
    productExternalId: str(o.item_id),
    active: str(o.status) === null ? null : o.status === 'active',
    currency: lower(o.currency_code),
    unitAmount: FLAT_PRICING.has(str(o.pricing_model) ?? '') ? num(o.price) : null,
    type: recurring ? 'recurring' : 'one_time',
    recurringInterval: recurring ? periodUnit : null,
    recurringIntervalCount: recurring ? num(o.period) : null,
    nickname: str(o.external_name) ?? str(o.name),
    lookupKey: null,
    metadata: metadata(o.metadata),
    providerCreatedAt: time(o.created_at),
  };
}

const SUBSCRIPTION_STATUS: Record<string, string> = {
  in_trial: 'trialing',
  active: 'active',
  // Active until the end of the term, then cancelled: Stripe's cancel_at_period_end.
  non_renewing: 'active',
  paused: 'paused',
  cancelled: 'canceled',
};

export function mapSubscription(o: ChargebeeObject): CanonicalSubscription {
  const items: CanonicalSubscriptionItem[] = arr(o.subscription_items).map((i) => ({
    // Subscription items have no id of their own: the item price is unique per subscription.
    externalId: null,
    priceExternalId: str(i.item_price_id),
    // Not on the subscription item; the price row links to its item (product).
    productExternalId: null,
    quantity: num(i.quantity),
  }));
  const status = str(o.status);
  const cancelled = status === 'cancelled';
  return {
    customerExternalId: str(o.customer_id),
    status: status === null ? null : (SUBSCRIPTION_STATUS[status] ?? status),
    items,
    currency: lower(o.currency_code),
    currentPeriodStart: time(o.current_term_start),
    currentPeriodEnd: time(o.current_term_end),
    cancelAtPeriodEnd: status === null ? null : status === 'non_renewing',
    // For a non_renewing subscription cancelled_at is the future cancellation date, not an event.
    canceledAt: cancelled ? time(o.cancelled_at) : null,
    endedAt: cancelled ? time(o.cancelled_at) : null,
    trialStart: time(o.trial_start),
    trialEnd: time(o.trial_end),
    metadata: metadata(o.meta_data),
    providerCreatedAt: time(o.created_at),
  };
}

const INVOICE_STATUS: Record<string, string> = {
  paid: 'paid',
  posted: 'open',
  payment_due: 'open',
  not_paid: 'uncollectible',
  voided: 'void',
  pending: 'draft',
};

export function mapInvoice(o: ChargebeeObject): CanonicalInvoice {
  const lines = arr(o.line_items);
  const froms = lines.map((l) => num(l.date_from)).filter((n): n is number => n !== null);
  const tos = lines.map((l) => num(l.date_to)).filter((n): n is number => n !== null);
  const status = str(o.status);
  const amountDue = num(o.amount_due);
  const amountPaid = num(o.amount_paid);
  return {
    customerExternalId: str(o.customer_id),
    subscriptionExternalId: str(o.subscription_id),
    status: status === null ? null : (INVOICE_STATUS[status] ?? status),
    // Chargebee's invoice id is its number (sequence or custom prefix).
    number: str(o.id),
    currency: lower(o.currency_code),
    // Stripe: amount_due = what the invoice asks for, amount_remaining = what is still unpaid.
    // Chargebee's amount_due is the unpaid part.
    amountDue:
      amountDue === null && amountPaid === null ? null : (amountDue ?? 0) + (amountPaid ?? 0),
    amountPaid,
    amountRemaining: amountDue,
    subtotal: num(o.sub_total),
    total: num(o.total),
    dueDate: time(o.due_date),
    paidAt: time(o.paid_at),
    periodStart: froms.length > 0 ? time(Math.min(...froms)) : null,
    periodEnd: tos.length > 0 ? time(Math.max(...tos)) : null,
    hostedInvoiceUrl: null,
    metadata: {},
    // `date` first: the field an invoice list segment filters on (date[after|before]), so a
    // reconciliation window of local rows and the provider's window of the same range agree.
    providerCreatedAt: time(o.date) ?? time(o.generated_at),
  };
}

const TRANSACTION_STATUS: Record<string, string> = {
  success: 'succeeded',
  failure: 'failed',
  in_progress: 'processing',
  voided: 'canceled',
};

export function mapTransaction(o: ChargebeeObject): CanonicalPaymentTransaction {
  const refunds = arr(o.linked_refunds);
  const refunded = refunds
    .filter((r) => r.txn_status === undefined || r.txn_status === 'success')
    .reduce((sum, r) => sum + (num(r.txn_amount) ?? 0), 0);
  const status = str(o.status);
  return {
    kind: 'transaction',
    status: status === null ? null : (TRANSACTION_STATUS[status] ?? status),
    amount: num(o.amount),
    amountRefunded: o.type === 'payment' ? refunded : null,
    currency: lower(o.currency_code),
    customerExternalId: str(o.customer_id),
    invoiceExternalId: str(arr(o.linked_invoices)[0]?.invoice_id),
    paymentMethodType: str(o.payment_method),
    failureCode: str(o.error_code),
    failureMessage: str(o.error_text),
    metadata: {},
    providerCreatedAt: time(o.date),
  };
}

/** Chargebee resource name (the key in list entries and event `content`) → our entity type. */
export const CHARGEBEE_RESOURCES = {
  customer: { entityType: 'customer', map: mapCustomer },
  item: { entityType: 'product', map: mapItem },
  item_price: { entityType: 'price', map: mapItemPrice },
  subscription: { entityType: 'subscription', map: mapSubscription },
  invoice: { entityType: 'invoice', map: mapInvoice },
  transaction: { entityType: 'payment_transaction', map: mapTransaction },
} as const satisfies Record<
  string,
  { entityType: EntityType; map: (o: ChargebeeObject) => unknown }
>;

export type ChargebeeResourceName = keyof typeof CHARGEBEE_RESOURCES;

export function isChargebeeResourceName(name: unknown): name is ChargebeeResourceName {
  return typeof name === 'string' && Object.hasOwn(CHARGEBEE_RESOURCES, name);
}

/** Entity type → the Chargebee resource it is synced from (types Chargebee does not sync are absent). */
export const RESOURCE_OF: Partial<Record<EntityType, ChargebeeResourceName>> = {
  customer: 'customer',
  product: 'item',
  price: 'item_price',
  subscription: 'subscription',
  invoice: 'invoice',
  payment_transaction: 'transaction',
};

/** The Chargebee resource of `entityType`; a ValidationError for a type Chargebee does not sync. */
export function resourceOf(entityType: EntityType): ChargebeeResourceName {
  const resource = RESOURCE_OF[entityType];
  if (!resource)
    throw new ValidationError(`Chargebee does not sync ${entityType}`, [
      { path: 'entityType', message: 'not synced for this provider' },
    ]);
  return resource;
}

/**
 * The version of a Chargebee resource: `resource_version` (ms), else `updated_at` (s) × 1000, else
 * `fallbackMs` (the event's occurred_at, or the time we fetched it).
 */
export function resourceVersion(o: ChargebeeObject, fallbackMs: number): number {
  const rv = num(o.resource_version);
  if (rv !== null) return rv;
  const updated = num(o.updated_at);
  return updated !== null ? updated * 1000 : fallbackMs;
}

/**
 * A Chargebee resource as a canonical change. Deleted when the caller says so (a `*_deleted`
 * event), when the resource says so (`deleted: true`, as `include_deleted` lists them; an item or
 * item price with status `deleted`), and for a cancelled subscription (a tombstone that keeps its
 * data, as Stripe's canceled subscriptions are; a reactivation is newer and clears it).
 */
export function toChange(
  resource: ChargebeeResourceName,
  o: ChargebeeObject,
  opts: {
    version?: number;
    fallbackVersionMs?: number;
    deleted?: boolean;
    eventId?: string;
    livemode: boolean;
    ctx: ChangeContext;
  },
): CanonicalChange | null {
  const externalId = str(o.id);
  if (!externalId) return null;
  const { entityType, map } = CHARGEBEE_RESOURCES[resource];
  const deleted =
    opts.deleted === true ||
    o.deleted === true ||
    ((resource === 'item' || resource === 'item_price') && o.status === 'deleted') ||
    (resource === 'subscription' && o.status === 'cancelled');
  return {
    workspaceId: opts.ctx.workspaceId,
    provider: 'chargebee',
    entityType,
    externalId,
    version: opts.version ?? resourceVersion(o, opts.fallbackVersionMs ?? Date.now()),
    deleted,
    data: map(o),
    raw: o,
    livemode: opts.livemode,
    eventId: opts.eventId,
    source: opts.ctx.source,
  } as CanonicalChange;
}
