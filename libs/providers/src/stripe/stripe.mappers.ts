import type {
  CanonicalBalanceTransaction,
  CanonicalChange,
  CanonicalCheckoutSession,
  CanonicalCoupon,
  CanonicalCreditNote,
  CanonicalCustomer,
  CanonicalDiscount,
  CanonicalDispute,
  CanonicalEarlyFraudWarning,
  CanonicalInvoice,
  CanonicalInvoiceLineItem,
  CanonicalPaymentMethod,
  CanonicalPaymentTransaction,
  CanonicalPayout,
  CanonicalPrice,
  CanonicalProduct,
  CanonicalPromotionCode,
  CanonicalRefund,
  CanonicalReview,
  CanonicalSetupIntent,
  CanonicalSubscription,
  CanonicalSubscriptionItem,
  CanonicalSubscriptionItemRow,
  CanonicalSubscriptionSchedule,
  CanonicalTaxId,
  EntityType,
  Metadata,
} from '@paysync/contracts';

import { bool, num, obj, str, time } from '../json-fields.js';

import type { ChangeContext } from '../billing-provider.js';

/**
 * Pure mappers from Stripe objects (as JSON) to canonical data. Stripe objects are read as plain
 * JSON on purpose: webhooks carry whatever API version the endpoint is pinned to, so fields are
 * read defensively and both the pre-2025 and the current shapes are understood (e.g.
 * `current_period_end` moved from the subscription to its items, `invoice.subscription` to
 * `invoice.parent.subscription_details.subscription`).
 */
export type StripeObject = Record<string, unknown>;

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

export function mapRefund(o: StripeObject): CanonicalRefund {
  return {
    paymentTransactionExternalId: ref(o.charge),
    paymentIntentExternalId: ref(o.payment_intent),
    amount: num(o.amount),
    currency: str(o.currency),
    status: str(o.status),
    reason: str(o.reason),
    failureReason: str(o.failure_reason),
    metadata: metadata(o.metadata),
    providerCreatedAt: time(o.created),
  };
}

export function mapDispute(o: StripeObject): CanonicalDispute {
  return {
    paymentTransactionExternalId: ref(o.charge),
    paymentIntentExternalId: ref(o.payment_intent),
    amount: num(o.amount),
    currency: str(o.currency),
    status: str(o.status),
    reason: str(o.reason),
    evidenceDueBy: time(obj(o.evidence_details)?.due_by),
    isChargeRefundable: bool(o.is_charge_refundable),
    metadata: metadata(o.metadata),
    providerCreatedAt: time(o.created),
  };
}

export function mapCreditNote(o: StripeObject): CanonicalCreditNote {
  // Current API: `refunds: [{amount_refunded, refund}]`; older versions: `amount_refunded`.
  const refunds = Array.isArray(o.refunds) ? (o.refunds as unknown[]).map(obj) : null;
  const refunded =
    num(o.amount_refunded) ??
    (refunds ? refunds.reduce((sum, r) => sum + (num(r?.amount_refunded) ?? 0), 0) : null);
  return {
    customerExternalId: ref(o.customer),
    invoiceExternalId: ref(o.invoice),
    number: str(o.number),
    status: str(o.status),
    type: str(o.type),
    reason: str(o.reason),
    currency: str(o.currency),
    subtotal: num(o.subtotal),
    total: num(o.total),
    amountRefunded: refunded,
    voidedAt: time(o.voided_at),
    metadata: metadata(o.metadata),
    providerCreatedAt: time(o.created),
  };
}

export function mapCoupon(o: StripeObject): CanonicalCoupon {
  return {
    name: str(o.name),
    percentOff: num(o.percent_off),
    amountOff: num(o.amount_off),
    currency: str(o.currency),
    duration: str(o.duration),
    durationInMonths: num(o.duration_in_months),
    maxRedemptions: num(o.max_redemptions),
    timesRedeemed: num(o.times_redeemed),
    redeemBy: time(o.redeem_by),
    valid: bool(o.valid),
    metadata: metadata(o.metadata),
    providerCreatedAt: time(o.created),
  };
}

export function mapPromotionCode(o: StripeObject): CanonicalPromotionCode {
  return {
    // Since API 2025-09-30 the coupon sits under `promotion`; before, at the top.
    couponExternalId: ref(obj(o.promotion)?.coupon) ?? ref(o.coupon),
    code: str(o.code),
    active: bool(o.active),
    customerExternalId: ref(o.customer),
    maxRedemptions: num(o.max_redemptions),
    timesRedeemed: num(o.times_redeemed),
    expiresAt: time(o.expires_at),
    metadata: metadata(o.metadata),
    providerCreatedAt: time(o.created),
  };
}

/** `parentId`: the customer or subscription the discount was listed under (fills a null link). */
export function mapDiscount(o: StripeObject, parent?: StripeObject): CanonicalDiscount {
  return {
    couponExternalId: ref(obj(o.source)?.coupon) ?? ref(o.coupon),
    promotionCodeExternalId: ref(o.promotion_code),
    customerExternalId:
      ref(o.customer) ?? (parent?.object === 'customer' ? ref(parent.id) : ref(parent?.customer)),
    subscriptionExternalId:
      ref(o.subscription) ?? (parent?.object === 'subscription' ? ref(parent.id) : null),
    invoiceExternalId: ref(o.invoice),
    start: time(o.start),
    end: time(o.end),
  };
}

export function mapPaymentMethod(o: StripeObject): CanonicalPaymentMethod {
  const card = obj(o.card);
  return {
    customerExternalId: ref(o.customer),
    type: str(o.type),
    cardBrand: str(card?.brand),
    cardLast4: str(card?.last4),
    cardExpMonth: num(card?.exp_month),
    cardExpYear: num(card?.exp_year),
    billingEmail: str(obj(o.billing_details)?.email),
    metadata: metadata(o.metadata),
    providerCreatedAt: time(o.created),
  };
}

export function mapSubscriptionItem(
  o: StripeObject,
  parent?: StripeObject,
): CanonicalSubscriptionItemRow {
  const price = obj(o.price) ?? obj(o.plan);
  return {
    subscriptionExternalId: ref(o.subscription) ?? ref(parent?.id),
    priceExternalId: ref(o.price) ?? ref(o.plan),
    productExternalId: ref(price?.product),
    quantity: num(o.quantity),
    metadata: metadata(o.metadata),
    providerCreatedAt: time(o.created),
  };
}

export function mapSubscriptionSchedule(o: StripeObject): CanonicalSubscriptionSchedule {
  const phase = obj(o.current_phase);
  return {
    customerExternalId: ref(o.customer),
    subscriptionExternalId: ref(o.subscription),
    status: str(o.status),
    endBehavior: str(o.end_behavior),
    currentPhaseStart: time(phase?.start_date),
    currentPhaseEnd: time(phase?.end_date),
    canceledAt: time(o.canceled_at),
    completedAt: time(o.completed_at),
    releasedAt: time(o.released_at),
    metadata: metadata(o.metadata),
    providerCreatedAt: time(o.created),
  };
}

export function mapInvoiceLineItem(
  o: StripeObject,
  parent?: StripeObject,
): CanonicalInvoiceLineItem {
  // Since API 2025-03-31 the subscription and proration sit under `parent.<type>` and the price
  // under `pricing.price_details`; before, at the top.
  const lineParent = obj(o.parent);
  const details = obj(lineParent?.[str(lineParent?.type) ?? '']);
  const priceDetails = obj(obj(o.pricing)?.price_details);
  const price = obj(o.price) ?? obj(o.plan);
  return {
    invoiceExternalId: ref(o.invoice) ?? ref(parent?.id),
    subscriptionExternalId: ref(details?.subscription) ?? ref(o.subscription),
    priceExternalId: ref(priceDetails?.price) ?? ref(o.price) ?? ref(o.plan),
    productExternalId: ref(priceDetails?.product) ?? ref(price?.product),
    amount: num(o.amount),
    currency: str(o.currency),
    quantity: num(o.quantity),
    description: str(o.description),
    periodStart: time(obj(o.period)?.start),
    periodEnd: time(obj(o.period)?.end),
    proration: bool(details?.proration) ?? bool(o.proration),
    metadata: metadata(o.metadata),
  };
}

export function mapTaxId(o: StripeObject, parent?: StripeObject): CanonicalTaxId {
  return {
    customerExternalId: ref(obj(o.owner)?.customer) ?? ref(o.customer) ?? ref(parent?.id),
    type: str(o.type),
    value: str(o.value),
    country: str(o.country),
    verificationStatus: str(obj(o.verification)?.status),
    providerCreatedAt: time(o.created),
  };
}

export function mapCheckoutSession(o: StripeObject): CanonicalCheckoutSession {
  return {
    customerExternalId: ref(o.customer),
    subscriptionExternalId: ref(o.subscription),
    paymentIntentExternalId: ref(o.payment_intent),
    invoiceExternalId: ref(o.invoice),
    mode: str(o.mode),
    status: str(o.status),
    paymentStatus: str(o.payment_status),
    currency: str(o.currency),
    amountSubtotal: num(o.amount_subtotal),
    amountTotal: num(o.amount_total),
    expiresAt: time(o.expires_at),
    metadata: metadata(o.metadata),
    providerCreatedAt: time(o.created),
  };
}

export function mapPayout(o: StripeObject): CanonicalPayout {
  return {
    amount: num(o.amount),
    currency: str(o.currency),
    status: str(o.status),
    arrivalDate: time(o.arrival_date),
    method: str(o.method),
    type: str(o.type),
    balanceTransactionExternalId: ref(o.balance_transaction),
    failureCode: str(o.failure_code),
    failureMessage: str(o.failure_message),
    metadata: metadata(o.metadata),
    providerCreatedAt: time(o.created),
  };
}

export function mapBalanceTransaction(o: StripeObject): CanonicalBalanceTransaction {
  return {
    amount: num(o.amount),
    fee: num(o.fee),
    net: num(o.net),
    currency: str(o.currency),
    type: str(o.type),
    status: str(o.status),
    reportingCategory: str(o.reporting_category),
    sourceExternalId: ref(o.source),
    availableOn: time(o.available_on),
    description: str(o.description),
    providerCreatedAt: time(o.created),
  };
}

export function mapEarlyFraudWarning(o: StripeObject): CanonicalEarlyFraudWarning {
  return {
    paymentTransactionExternalId: ref(o.charge),
    paymentIntentExternalId: ref(o.payment_intent),
    fraudType: str(o.fraud_type),
    actionable: bool(o.actionable),
    providerCreatedAt: time(o.created),
  };
}

export function mapReview(o: StripeObject): CanonicalReview {
  return {
    paymentTransactionExternalId: ref(o.charge),
    paymentIntentExternalId: ref(o.payment_intent),
    open: bool(o.open),
    reason: str(o.reason),
    openedReason: str(o.opened_reason),
    closedReason: str(o.closed_reason),
    providerCreatedAt: time(o.created),
  };
}

export function mapSetupIntent(o: StripeObject): CanonicalSetupIntent {
  return {
    customerExternalId: ref(o.customer),
    paymentMethodExternalId: ref(o.payment_method),
    status: str(o.status),
    usage: str(o.usage),
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
  refund: { entityType: 'refund', map: mapRefund },
  dispute: { entityType: 'dispute', map: mapDispute },
  credit_note: { entityType: 'credit_note', map: mapCreditNote },
  coupon: { entityType: 'coupon', map: mapCoupon },
  promotion_code: { entityType: 'promotion_code', map: mapPromotionCode },
  discount: { entityType: 'discount', map: mapDiscount },
  payment_method: { entityType: 'payment_method', map: mapPaymentMethod },
  subscription_item: { entityType: 'subscription_item', map: mapSubscriptionItem },
  subscription_schedule: { entityType: 'subscription_schedule', map: mapSubscriptionSchedule },
  line_item: { entityType: 'invoice_line_item', map: mapInvoiceLineItem },
  tax_id: { entityType: 'tax_id', map: mapTaxId },
  'checkout.session': { entityType: 'checkout_session', map: mapCheckoutSession },
  payout: { entityType: 'payout', map: mapPayout },
  balance_transaction: { entityType: 'balance_transaction', map: mapBalanceTransaction },
  'radar.early_fraud_warning': { entityType: 'early_fraud_warning', map: mapEarlyFraudWarning },
  review: { entityType: 'review', map: mapReview },
  setup_intent: { entityType: 'setup_intent', map: mapSetupIntent },
} as const satisfies Record<
  string,
  { entityType: EntityType; map: (o: StripeObject, parent?: StripeObject) => unknown }
>;

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
  opts: {
    version: number;
    deleted?: boolean;
    eventId?: string;
    ctx: ChangeContext;
    /** The object it was listed or delivered in (a subscription's item, an invoice's line). */
    parent?: StripeObject;
  },
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
    data: isBareDelete ? null : map(o, opts.parent),
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
