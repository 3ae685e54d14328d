import Stripe from 'stripe';

import { aStripeEvent, stripeFixture } from '../testing/index.js';
import {
  STRIPE_EVENT_TYPES,
  mapStripeEvent,
  signStripePayload,
  verifyStripeWebhook,
} from './stripe.webhook.js';

const SECRET = 'whsec_test_secret_one';
const OTHER = 'whsec_test_secret_two';
const NOW = 1_764_000_000_000;
const nowS = NOW / 1000;
const ctx = { workspaceId: '11111111-1111-4111-8111-111111111111', source: 'webhook' as const };

function signed(body: string, secret = SECRET, t = nowS) {
  return {
    body: Buffer.from(body),
    headers: { 'stripe-signature': signStripePayload(body, secret, t) },
  };
}
const event = JSON.stringify(aStripeEvent('customer.updated', stripeFixture('customer')));
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return 'NO_ERROR';
};

describe('verifyStripeWebhook', () => {
  it('accepts a valid signature and parses the event', () => {
    const { body, headers } = signed(event);
    const parsed = verifyStripeWebhook(body, headers, [SECRET], { nowMs: NOW });
    expect(parsed).toMatchObject({
      provider: 'stripe',
      type: 'customer.updated',
      objectType: 'customer',
      apiVersion: '2026-10-28.endive',
    });
  });

  it('agrees with the Stripe SDK’s own signer', () => {
    const header = Stripe.webhooks.generateTestHeaderString({
      payload: event,
      secret: SECRET,
      timestamp: nowS,
    });
    expect(() =>
      verifyStripeWebhook(Buffer.from(event), { 'stripe-signature': header }, [SECRET], {
        nowMs: NOW,
      }),
    ).not.toThrow();
  });

  it('accepts any configured secret (rotation) and any of several v1 signatures', () => {
    const { body, headers } = signed(event, OTHER);
    expect(code(() => verifyStripeWebhook(body, headers, [SECRET, OTHER], { nowMs: NOW }))).toBe(
      'NO_ERROR',
    );
    const both = `${signStripePayload(event, SECRET, nowS)},v1=${signStripePayload(event, OTHER, nowS).split('v1=')[1]}`;
    expect(
      code(() => verifyStripeWebhook(body, { 'stripe-signature': both }, [OTHER], { nowMs: NOW })),
    ).toBe('NO_ERROR');
  });

  it('names each failure with its own code', () => {
    const { body, headers } = signed(event);
    const sig = headers['stripe-signature'];
    const v = (h: Record<string, string | string[] | undefined>, b = body, secrets = [SECRET]) =>
      code(() => verifyStripeWebhook(b, h, secrets, { nowMs: NOW }));
    expect(v({})).toBe('WEBHOOK_SIGNATURE_MISSING');
    expect(v({ 'stripe-signature': '' })).toBe('WEBHOOK_SIGNATURE_MISSING');
    expect(v({ 'stripe-signature': [sig, sig] })).toBe('WEBHOOK_SIGNATURE_MALFORMED');
    expect(v({ 'stripe-signature': sig.replace(/t=\d+/, 't=abc') })).toBe(
      'WEBHOOK_SIGNATURE_MALFORMED',
    );
    expect(v({ 'stripe-signature': sig.replace(/t=\d+,/, '') })).toBe(
      'WEBHOOK_SIGNATURE_MALFORMED',
    );
    expect(v({ 'stripe-signature': `${sig.split(',')[0]},v1=zzzz` })).toBe(
      'WEBHOOK_SIGNATURE_MALFORMED',
    );
    expect(v({ 'stripe-signature': `${sig.split(',')[0]},v1=${'g'.repeat(64)}` })).toBe(
      'WEBHOOK_SIGNATURE_MALFORMED',
    );
    expect(v({ 'stripe-signature': 'garbage' })).toBe('WEBHOOK_SIGNATURE_MALFORMED');
    expect(v(headers, body, [OTHER])).toBe('WEBHOOK_SIGNATURE_INVALID');
    // A body that differs by one byte.
    const tampered = Buffer.from(body);
    tampered[10] = (tampered[10] as number) ^ 0x01;
    expect(v(headers, tampered)).toBe('WEBHOOK_SIGNATURE_INVALID');
  });

  it('rejects a valid signature on a stale or a future timestamp', () => {
    const stale = signed(event, SECRET, nowS - 301);
    expect(
      code(() => verifyStripeWebhook(stale.body, stale.headers, [SECRET], { nowMs: NOW })),
    ).toBe('WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE');
    const future = signed(event, SECRET, nowS + 301);
    expect(
      code(() => verifyStripeWebhook(future.body, future.headers, [SECRET], { nowMs: NOW })),
    ).toBe('WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE');
    const edge = signed(event, SECRET, nowS - 299);
    expect(code(() => verifyStripeWebhook(edge.body, edge.headers, [SECRET], { nowMs: NOW }))).toBe(
      'NO_ERROR',
    );
  });

  it('rejects invalid JSON or a non-event under a valid signature', () => {
    const bad = signed('{"id": "evt_1", ');
    expect(code(() => verifyStripeWebhook(bad.body, bad.headers, [SECRET], { nowMs: NOW }))).toBe(
      'WEBHOOK_PAYLOAD_INVALID',
    );
    const notEvent = signed('{"hello": "world"}');
    expect(
      code(() => verifyStripeWebhook(notEvent.body, notEvent.headers, [SECRET], { nowMs: NOW })),
    ).toBe('WEBHOOK_PAYLOAD_INVALID');
  });
});

describe('mapStripeEvent', () => {
  const fixtureFor: Record<string, string> = {
    customer: 'customer',
    product: 'product',
    price: 'price',
    plan: 'plan',
    'customer.subscription': 'subscription',
    invoice: 'invoice',
    payment_intent: 'payment_intent',
    charge: 'charge',
  };
  const entityFor: Record<string, string> = {
    customer: 'customer',
    product: 'product',
    price: 'price',
    plan: 'price',
    'customer.subscription': 'subscription',
    invoice: 'invoice',
    payment_intent: 'payment_transaction',
    charge: 'payment_transaction',
  };

  it.each(STRIPE_EVENT_TYPES.map((t) => [t]))('maps %s to its canonical change', (type) => {
    const prefix = type.slice(0, type.lastIndexOf('.'));
    const object = stripeFixture(fixtureFor[prefix] as string);
    const raw = aStripeEvent(type, object, { account: 'acct_connected', created: 1_764_000_123 });
    const parsed = verifyStripeWebhook(
      Buffer.from(JSON.stringify(raw)),
      { 'stripe-signature': signStripePayload(JSON.stringify(raw), SECRET, nowS) },
      [SECRET],
      { nowMs: NOW },
    );
    expect(parsed.accountId).toBe('acct_connected');
    const mapped = mapStripeEvent(parsed, ctx);
    expect(mapped.kind).toBe('changes');
    if (mapped.kind !== 'changes') return;
    // Subscriptions and invoices bring their items and lines along (issue 19); the rest one change.
    const nested = { 'customer.subscription': 'items', invoice: 'lines' }[prefix];
    const children = nested ? (object[nested] as { data: unknown[] }).data.length : 0;
    expect(mapped.changes).toHaveLength(1 + children);
    expect(mapped.changes[0]).toMatchObject({
      entityType: entityFor[prefix],
      externalId: object.id,
      eventId: raw.id,
      // The object's own `updated` (products have one) wins over the event time.
      version: typeof object.updated === 'number' ? object.updated * 1000 : 1_764_000_123_000,
      deleted: type.endsWith('.deleted'),
    });
  });

  it('returns a typed ignored result for event types we do not sync', () => {
    const raw = aStripeEvent('transfer.created', { id: 'tr_1', object: 'transfer' });
    const parsed = verifyStripeWebhook(
      Buffer.from(JSON.stringify(raw)),
      { 'stripe-signature': signStripePayload(JSON.stringify(raw), SECRET, nowS) },
      [SECRET],
      { nowMs: NOW },
    );
    expect(mapStripeEvent(parsed, ctx)).toEqual({
      kind: 'ignored',
      reason: 'event type transfer.created is not synced',
    });
  });
});
