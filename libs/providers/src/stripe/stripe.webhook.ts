import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

import { WebhookVerificationError } from '@paysync/errors';

import { objectVersion, toChange, type StripeObject } from './stripe.mappers.js';

import type { CanonicalChange, EntityType } from '@paysync/contracts';

import type { ChangeContext, MappedEvent, ProviderEvent } from '../billing-provider.js';
import { obj } from '../json-fields.js';
import { parseWebhookJson } from '../webhook-body.js';

export const STRIPE_SIGNATURE_HEADER = 'stripe-signature';
/** Stripe's recommended tolerance; enforced in both directions (the SDK's low-level path skips it). */
const DEFAULT_TOLERANCE_SECONDS = 300;

interface ParsedSignature {
  readonly timestamp: number;
  readonly signatures: readonly Buffer[];
}

function parseHeader(header: string): ParsedSignature {
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw malformed('an element is not key=value');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined) throw malformed('t= appears more than once');
      if (!/^\d{1,12}$/.test(value)) throw malformed('t= is not a unix timestamp');
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/i.test(value))
        throw malformed('a v1 signature is not 64 hex characters');
      signatures.push(Buffer.from(value, 'hex'));
    }
    // Other schemes (v0 test signatures, future versions) are ignored, as Stripe advises.
  }
  if (timestamp === undefined) throw malformed('t= is missing');
  if (signatures.length === 0) throw malformed('no v1 signature');
  return { timestamp, signatures };
}

function malformed(why: string): WebhookVerificationError {
  return new WebhookVerificationError(
    'WEBHOOK_SIGNATURE_MALFORMED',
    `Stripe-Signature header is malformed: ${why}`,
  );
}

/** `t=…,v1=…` for a payload; what Stripe sends, and what the simulator signs with. */
export function signStripePayload(
  payload: string | Buffer,
  secret: string,
  timestamp: number,
): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.`).update(payload).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * Verifies a Stripe webhook on its raw bytes: any `v1` signature matching any configured secret
 * (rotation), compared in constant time; then the timestamp within ±tolerance; then the body must
 * be a JSON event. Each failure has its own error code.
 */
export function verifyStripeWebhook(
  rawBody: Buffer,
  headers: IncomingHttpHeaders,
  secrets: readonly string[],
  {
    toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
    nowMs = Date.now(),
  }: { toleranceSeconds?: number; nowMs?: number } = {},
): ProviderEvent {
  const header = headers[STRIPE_SIGNATURE_HEADER];
  if (header === undefined || header === '') {
    throw new WebhookVerificationError(
      'WEBHOOK_SIGNATURE_MISSING',
      'Stripe-Signature header is missing',
    );
  }
  if (Array.isArray(header)) throw malformed('the header appears more than once');
  const { timestamp, signatures } = parseHeader(header);

  let matched = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
    // Compare against every signature, without early exit, so timing says nothing about which.
    for (const signature of signatures) {
      if (signature.length === expected.length && timingSafeEqual(signature, expected))
        matched = true;
    }
  }
  if (!matched) {
    throw new WebhookVerificationError(
      'WEBHOOK_SIGNATURE_INVALID',
      'No configured webhook secret matches the signature',
    );
  }
  const ageSeconds = nowMs / 1000 - timestamp;
  if (Math.abs(ageSeconds) > toleranceSeconds) {
    throw new WebhookVerificationError(
      'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE',
      `Signed timestamp is ${Math.round(Math.abs(ageSeconds))} s ${ageSeconds > 0 ? 'old' : 'in the future'} (tolerance ${toleranceSeconds} s)`,
      { timestamp },
    );
  }
  return parseStripeEvent(rawBody);
}

/** Parses a Stripe event body (already authenticated) into our ProviderEvent. */
export function parseStripeEvent(rawBody: Buffer): ProviderEvent {
  const json = parseWebhookJson(rawBody, 'Signed body');
  const event = json as StripeObject | null;
  if (
    !event ||
    typeof event !== 'object' ||
    typeof event.id !== 'string' ||
    typeof event.type !== 'string' ||
    typeof event.created !== 'number'
  ) {
    throw new WebhookVerificationError(
      'WEBHOOK_PAYLOAD_INVALID',
      'Signed body is not a Stripe event (id, type, created)',
    );
  }
  return stripeEventToProviderEvent(
    event as StripeObject & { id: string; type: string; created: number },
  );
}

/** A Stripe event object (from a verified webhook or the events API) as our ProviderEvent. */
export function stripeEventToProviderEvent(
  event: StripeObject & { id: string; type: string; created: number },
): ProviderEvent {
  const object = ((event.data as StripeObject | undefined)?.object ?? null) as StripeObject | null;
  return {
    provider: 'stripe',
    id: event.id,
    type: event.type,
    createdMs: event.created * 1000,
    livemode: event.livemode === true,
    accountId: typeof event.account === 'string' ? event.account : null,
    apiVersion: typeof event.api_version === 'string' ? event.api_version : null,
    objectType: typeof object?.object === 'string' ? object.object : null,
    objectId: typeof object?.id === 'string' ? object.id : null,
    payload: event,
  };
}

/** Event types we sync, by object. Anything else is recorded as ignored. */
export const STRIPE_EVENT_TYPES = [
  'customer.created',
  'customer.updated',
  'customer.deleted',
  'product.created',
  'product.updated',
  'product.deleted',
  'price.created',
  'price.updated',
  'price.deleted',
  'plan.created',
  'plan.updated',
  'plan.deleted',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.trial_will_end',
  'customer.subscription.paused',
  'customer.subscription.resumed',
  'customer.subscription.pending_update_applied',
  'customer.subscription.pending_update_expired',
  'invoice.created',
  'invoice.updated',
  'invoice.finalized',
  'invoice.paid',
  'invoice.payment_succeeded',
  'invoice.payment_failed',
  'invoice.voided',
  'invoice.marked_uncollectible',
  'invoice.deleted',
  'payment_intent.created',
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
  'payment_intent.processing',
  'payment_intent.requires_action',
  'payment_intent.amount_capturable_updated',
  'charge.succeeded',
  'charge.failed',
  'charge.refunded',
  'charge.updated',
  'charge.captured',
  'charge.pending',
  'charge.expired',
] as const;

/**
 * Event types of the types added by issue 19 (docs/providers/stripe-objects.md), by entity type.
 * Their child objects (subscription items, invoice lines) come with the parents' events above.
 */
export const STRIPE_BREADTH_EVENT_TYPES = {
  refund: ['refund.created', 'refund.updated', 'refund.failed', 'charge.refund.updated'],
  dispute: [
    'charge.dispute.created',
    'charge.dispute.updated',
    'charge.dispute.closed',
    'charge.dispute.funds_reinstated',
    'charge.dispute.funds_withdrawn',
  ],
  credit_note: ['credit_note.created', 'credit_note.updated', 'credit_note.voided'],
  coupon: ['coupon.created', 'coupon.updated', 'coupon.deleted'],
  promotion_code: ['promotion_code.created', 'promotion_code.updated'],
  discount: ['customer.discount.created', 'customer.discount.updated', 'customer.discount.deleted'],
  payment_method: [
    'payment_method.attached',
    'payment_method.updated',
    'payment_method.automatically_updated',
    'payment_method.detached',
  ],
  subscription_schedule: [
    'subscription_schedule.created',
    'subscription_schedule.updated',
    'subscription_schedule.aborted',
    'subscription_schedule.canceled',
    'subscription_schedule.completed',
    'subscription_schedule.expiring',
    'subscription_schedule.released',
  ],
  tax_id: ['customer.tax_id.created', 'customer.tax_id.updated', 'customer.tax_id.deleted'],
  checkout_session: [
    'checkout.session.completed',
    'checkout.session.expired',
    'checkout.session.async_payment_succeeded',
    'checkout.session.async_payment_failed',
  ],
  payout: [
    'payout.created',
    'payout.updated',
    'payout.paid',
    'payout.failed',
    'payout.canceled',
    'payout.reconciliation_completed',
  ],
  early_fraud_warning: ['radar.early_fraud_warning.created', 'radar.early_fraud_warning.updated'],
  review: ['review.opened', 'review.closed'],
  setup_intent: [
    'setup_intent.created',
    'setup_intent.succeeded',
    'setup_intent.setup_failed',
    'setup_intent.canceled',
    'setup_intent.requires_action',
  ],
} as const satisfies Partial<Record<EntityType, readonly string[]>>;

/**
 * Every event type we sync: the six original types' and the breadth types'. Webhook endpoints
 * subscribe to these, the events API is filtered by them, and they are the capabilities'.
 */
export const STRIPE_SYNCED_EVENT_TYPES: readonly string[] = [
  ...STRIPE_EVENT_TYPES,
  ...Object.values(STRIPE_BREADTH_EVENT_TYPES).flat(),
];

const SYNCED = new Set<string>(STRIPE_SYNCED_EVENT_TYPES);

/** What a verified Stripe event means for synced data. Unknown types are `ignored`, not errors. */
export function mapStripeEvent(event: ProviderEvent, ctx: ChangeContext): MappedEvent {
  if (!SYNCED.has(event.type))
    return { kind: 'ignored', reason: `event type ${event.type} is not synced` };
  const payload = event.payload as StripeObject;
  const object = (payload.data as StripeObject | undefined)?.object as StripeObject | undefined;
  if (!object || typeof object !== 'object')
    return { kind: 'ignored', reason: 'event carries no object' };
  const change = toChange(object, {
    version: objectVersion(object, event.createdMs / 1000),
    deleted: event.type.endsWith('.deleted'),
    eventId: event.id,
    ctx,
  });
  if (!change) return { kind: 'ignored', reason: `object ${String(object.object)} is not synced` };
  const nested = NESTED_IN_EVENTS[String(object.object)];
  if (!nested) return { kind: 'changes', changes: [change] };
  // A subscription's items and an invoice's lines travel in the parent's events: the parent
  // first, then each child (a canceled subscription's items and a deleted invoice's lines are
  // tombstones keeping their data), then tombstones for children the event says were removed.
  const previous = obj((payload.data as StripeObject).previous_attributes);
  const current = nestedList(object[nested]);
  const children = current.data
    .map((child) =>
      toChange(child, {
        version: change.version,
        deleted: change.deleted,
        eventId: event.id,
        ctx,
        parent: object,
      }),
    )
    .filter((c): c is CanonicalChange => c !== null);
  const removed =
    previous && !current.hasMore
      ? nestedList(previous[nested]).data.filter(
          (old) => typeof old.id === 'string' && !current.data.some((c) => c.id === old.id),
        )
      : [];
  const tombstones = removed
    .map((old) =>
      toChange(
        { id: old.id, object: old.object ?? NESTED_OBJECT[nested], deleted: true },
        { version: change.version, deleted: true, eventId: event.id, ctx },
      ),
    )
    .filter((c): c is CanonicalChange => c !== null);
  return { kind: 'changes', changes: [change, ...children, ...tombstones] };
}

/** Stripe object → the field holding its nested list of synced children. */
const NESTED_IN_EVENTS: Readonly<Record<string, 'items' | 'lines'>> = {
  subscription: 'items',
  invoice: 'lines',
};
const NESTED_OBJECT = { items: 'subscription_item', lines: 'line_item' } as const;

/** A nested Stripe list (`{data, has_more}`) as objects; empty when absent. */
export function nestedList(v: unknown): { data: StripeObject[]; hasMore: boolean } {
  const list = obj(v);
  const data = Array.isArray(list?.data) ? (list.data as unknown[]) : [];
  return {
    data: data.map(obj).filter((o): o is StripeObject => o !== null),
    hasMore: list?.has_more === true,
  };
}
