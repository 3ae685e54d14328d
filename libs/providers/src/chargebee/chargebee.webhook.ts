import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

import { WebhookVerificationError } from '@paysync/errors';

import {
  CHARGEBEE_RESOURCES,
  isChargebeeResourceName,
  toChange,
  type ChargebeeObject,
  type ChargebeeResourceName,
} from './chargebee.mappers.js';

import type { CanonicalChange } from '@paysync/contracts';
import type { ChangeContext, MappedEvent, ProviderEvent } from '../billing-provider.js';
import { parseWebhookJson } from '../webhook-body.js';

/**
 * Event types we sync (Chargebee API v2, Product Catalog 2.0). Every other type — credit notes
 * included, as the canonical model has no credit notes yet — is recorded as ignored.
 */
export const CHARGEBEE_EVENT_TYPES = [
  'customer_created',
  'customer_changed',
  'customer_deleted',
  'item_created',
  'item_updated',
  'item_deleted',
  'item_price_created',
  'item_price_updated',
  'item_price_deleted',
  'subscription_created',
  'subscription_started',
  'subscription_activated',
  'subscription_changed',
  'subscription_renewed',
  'subscription_cancelled',
  'subscription_reactivated',
  'subscription_paused',
  'subscription_resumed',
  'subscription_deleted',
  'invoice_generated',
  'invoice_updated',
  'invoice_deleted',
  'payment_succeeded',
  'payment_failed',
  'payment_refunded',
  'transaction_created',
  'transaction_updated',
  'transaction_deleted',
] as const;

const SYNCED: ReadonlySet<string> = new Set(CHARGEBEE_EVENT_TYPES);

/**
 * The resource an event type is about (its `content` may carry related ones too). Longest prefix
 * first, so `item_price_*` is not read as `item_*`.
 */
export function primaryResourceOf(eventType: string): string | null {
  if (/^payment_(succeeded|failed|refunded|initiated)$/.test(eventType)) return 'transaction';
  for (const prefix of [
    'item_price',
    'item_family',
    'credit_note',
    'payment_source',
    'transaction',
    'subscription',
    'customer',
    'invoice',
    'item',
  ]) {
    if (eventType.startsWith(`${prefix}_`)) return prefix;
  }
  return null;
}

/** Username and password of a Basic credential stored as `username:password`. */
function splitCredential(credential: string): { username: string; password: string } | null {
  const at = credential.indexOf(':');
  if (at <= 0) return null;
  return { username: credential.slice(0, at), password: credential.slice(at + 1) };
}

/** Fixed-length digests, so the constant-time compare does not leak the expected length. */
const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Verifies a Chargebee webhook: Chargebee signs nothing, so the endpoint is protected by HTTP Basic
 * credentials per connection. `credentials` are the connection's active ones (`username:password`;
 * two during a rotation). Every credential is compared, in constant time and without early exit.
 * Then the body must be a Chargebee event (id, event_type, occurred_at, content).
 */
export function verifyChargebeeWebhook(
  rawBody: Buffer,
  headers: IncomingHttpHeaders,
  credentials: readonly string[],
  { livemode = false }: { livemode?: boolean } = {},
): ProviderEvent {
  const header = headers.authorization;
  if (header === undefined || header === '') {
    throw new WebhookVerificationError(
      'WEBHOOK_SIGNATURE_MISSING',
      'Authorization header (HTTP Basic) is missing',
    );
  }
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!match) {
    throw new WebhookVerificationError(
      'WEBHOOK_SIGNATURE_MALFORMED',
      'Authorization header is not HTTP Basic credentials',
    );
  }
  const presented = splitCredential(Buffer.from(match[1] as string, 'base64').toString('utf8'));
  if (!presented) {
    throw new WebhookVerificationError(
      'WEBHOOK_SIGNATURE_MALFORMED',
      'Basic credentials are not username:password',
    );
  }
  const user = digest(presented.username);
  const pass = digest(presented.password);
  let matched = false;
  for (const credential of credentials) {
    const expected = splitCredential(credential);
    if (!expected) continue;
    // Both halves are always compared (no short-circuit), so timing says nothing about which.
    const userOk = timingSafeEqual(user, digest(expected.username));
    const passOk = timingSafeEqual(pass, digest(expected.password));
    if (userOk && passOk) matched = true;
  }
  if (!matched) {
    throw new WebhookVerificationError(
      'WEBHOOK_SIGNATURE_INVALID',
      'No configured webhook credential matches the Basic credentials',
    );
  }
  return parseChargebeeEvent(rawBody, { livemode });
}

/** Parses a Chargebee event body (already authenticated) into our ProviderEvent. */
export function parseChargebeeEvent(
  rawBody: Buffer,
  { livemode = false }: { livemode?: boolean } = {},
): ProviderEvent {
  const json = parseWebhookJson(rawBody, 'Webhook body');
  const event = chargebeeEventToProviderEvent(json, { livemode });
  if (!event) {
    throw new WebhookVerificationError(
      'WEBHOOK_PAYLOAD_INVALID',
      'Webhook body is not a Chargebee event (id, event_type, occurred_at, content)',
    );
  }
  return event;
}

/**
 * A Chargebee event object (a webhook body, an events-API entry, or a stored payload being
 * rehydrated) as our ProviderEvent; null when it is not one. Chargebee events carry neither the
 * site nor test/live, so `livemode` comes from the connection.
 */
export function chargebeeEventToProviderEvent(
  json: unknown,
  { livemode = false }: { livemode?: boolean } = {},
): ProviderEvent | null {
  const event = json as ChargebeeObject | null;
  if (
    !event ||
    typeof event !== 'object' ||
    typeof event.id !== 'string' ||
    typeof event.event_type !== 'string' ||
    typeof event.occurred_at !== 'number' ||
    !event.content ||
    typeof event.content !== 'object'
  ) {
    return null;
  }
  const primary = primaryResourceOf(event.event_type);
  const content = event.content as ChargebeeObject;
  const object = primary ? (content[primary] as ChargebeeObject | undefined) : undefined;
  return {
    provider: 'chargebee',
    id: event.id,
    type: event.event_type,
    createdMs: event.occurred_at * 1000,
    livemode,
    accountId: null,
    apiVersion: typeof event.api_version === 'string' ? event.api_version : null,
    objectType: primary,
    objectId: typeof object?.id === 'string' ? object.id : null,
    payload: event,
  };
}

/**
 * What a verified Chargebee event means for synced data: one change per synced resource in its
 * `content` (a `payment_succeeded` carries the transaction, its invoice, subscription and
 * customer — each gated by its own `resource_version`). Only the event's own resource is deleted
 * by a `*_deleted` event. Unknown or unsynced types are `ignored`, not errors.
 */
export function mapChargebeeEvent(event: ProviderEvent, ctx: ChangeContext): MappedEvent {
  if (!SYNCED.has(event.type))
    return { kind: 'ignored', reason: `event type ${event.type} is not synced` };
  const content = (event.payload as ChargebeeObject | null)?.content as ChargebeeObject | undefined;
  if (!content || typeof content !== 'object')
    return { kind: 'ignored', reason: 'event carries no content' };
  const primary = primaryResourceOf(event.type);
  const changes: CanonicalChange[] = [];
  for (const [name, value] of Object.entries(content)) {
    if (!isChargebeeResourceName(name) || !value || typeof value !== 'object') continue;
    const change = toChange(name satisfies ChargebeeResourceName, value as ChargebeeObject, {
      fallbackVersionMs: event.createdMs,
      deleted: name === primary && event.type.endsWith('_deleted'),
      eventId: event.id,
      livemode: event.livemode,
      ctx,
    });
    if (change) changes.push(change);
  }
  if (changes.length === 0)
    return { kind: 'ignored', reason: `event ${event.type} carries no synced resource` };
  // The event's own resource first (callers that look at one change look at that one).
  changes.sort(
    (a, b) =>
      Number(b.entityType === entityOf(primary)) - Number(a.entityType === entityOf(primary)),
  );
  return { kind: 'changes', changes };
}

function entityOf(resource: string | null): string | null {
  return resource && isChargebeeResourceName(resource)
    ? CHARGEBEE_RESOURCES[resource].entityType
    : null;
}
