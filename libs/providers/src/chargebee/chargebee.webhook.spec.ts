import { WebhookVerificationError } from '@paysync/errors';

import * as fx from './chargebee.fixtures.js';
import {
  CHARGEBEE_EVENT_TYPES,
  chargebeeEventToProviderEvent,
  mapChargebeeEvent,
  parseChargebeeEvent,
  primaryResourceOf,
  verifyChargebeeWebhook,
} from './chargebee.webhook.js';

const ctx = { workspaceId: '11111111-1111-4111-8111-111111111111', source: 'webhook' as const };
const body = Buffer.from(JSON.stringify(fx.paymentSucceededEvent));
const basic = (user: string, pass: string) =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const CURRENT = 'paysync:s3cr3t-current';
const PREVIOUS = 'paysync:s3cr3t-previous';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof WebhookVerificationError) return err.code;
    throw err;
  }
  return undefined;
}

describe('verifyChargebeeWebhook (HTTP Basic per connection)', () => {
  it('accepts the current credential and, during a rotation, the previous one', () => {
    for (const password of ['s3cr3t-current', 's3cr3t-previous']) {
      const event = verifyChargebeeWebhook(
        body,
        { authorization: basic('paysync', password) },
        [CURRENT, PREVIOUS],
        { livemode: true },
      );
      expect(event).toMatchObject({
        provider: 'chargebee',
        id: 'ev___test__KyVnHhSBWlB2hS5e',
        type: 'payment_succeeded',
        createdMs: 1517505762000,
        livemode: true,
        accountId: null,
        apiVersion: 'v2',
        objectType: 'transaction',
        objectId: 'txn___test__KyVnHhSBWl9fR3dr',
      });
    }
  });

  it('refuses a wrong password, a wrong username, and a retired credential', () => {
    expect(
      codeOf(() =>
        verifyChargebeeWebhook(body, { authorization: basic('paysync', 'nope') }, [CURRENT]),
      ),
    ).toBe('WEBHOOK_SIGNATURE_INVALID');
    expect(
      codeOf(() =>
        verifyChargebeeWebhook(body, { authorization: basic('admin', 's3cr3t-current') }, [
          CURRENT,
        ]),
      ),
    ).toBe('WEBHOOK_SIGNATURE_INVALID');
    expect(
      codeOf(() =>
        verifyChargebeeWebhook(body, { authorization: basic('paysync', 's3cr3t-previous') }, [
          CURRENT,
        ]),
      ),
    ).toBe('WEBHOOK_SIGNATURE_INVALID');
    expect(
      codeOf(() => verifyChargebeeWebhook(body, { authorization: basic('paysync', 'x') }, [])),
    ).toBe('WEBHOOK_SIGNATURE_INVALID');
  });

  it('names a missing or malformed Authorization header', () => {
    expect(codeOf(() => verifyChargebeeWebhook(body, {}, [CURRENT]))).toBe(
      'WEBHOOK_SIGNATURE_MISSING',
    );
    expect(
      codeOf(() => verifyChargebeeWebhook(body, { authorization: 'Bearer abc' }, [CURRENT])),
    ).toBe('WEBHOOK_SIGNATURE_MALFORMED');
    const noColon = `Basic ${Buffer.from('paysync').toString('base64')}`;
    expect(codeOf(() => verifyChargebeeWebhook(body, { authorization: noColon }, [CURRENT]))).toBe(
      'WEBHOOK_SIGNATURE_MALFORMED',
    );
  });

  it('a password containing ":" is compared whole', () => {
    const event = verifyChargebeeWebhook(body, { authorization: basic('paysync', 'a:b:c') }, [
      'paysync:a:b:c',
    ]);
    expect(event.id).toBe(fx.paymentSucceededEvent.id);
  });

  it('authenticated but not a Chargebee event: WEBHOOK_PAYLOAD_INVALID', () => {
    const headers = { authorization: basic('paysync', 's3cr3t-current') };
    expect(codeOf(() => verifyChargebeeWebhook(Buffer.from('{nope'), headers, [CURRENT]))).toBe(
      'WEBHOOK_PAYLOAD_INVALID',
    );
    expect(
      codeOf(() =>
        verifyChargebeeWebhook(Buffer.from('{"id":"ev_1","type":"x"}'), headers, [CURRENT]),
      ),
    ).toBe('WEBHOOK_PAYLOAD_INVALID');
  });
});

describe('Chargebee events in our terms', () => {
  it('primary resource of an event type', () => {
    expect(primaryResourceOf('item_price_updated')).toBe('item_price');
    expect(primaryResourceOf('item_created')).toBe('item');
    expect(primaryResourceOf('payment_refunded')).toBe('transaction');
    expect(primaryResourceOf('subscription_cancelled')).toBe('subscription');
    expect(primaryResourceOf('credit_note_created')).toBe('credit_note');
    expect(primaryResourceOf('something_else')).toBeNull();
  });

  it('payment_succeeded: one change per synced resource, the transaction first', () => {
    const mapped = mapChargebeeEvent(parseChargebeeEvent(body), ctx);
    expect(mapped.kind).toBe('changes');
    if (mapped.kind !== 'changes') return;
    expect(mapped.changes.map((c) => [c.entityType, c.externalId, c.version, c.deleted])).toEqual([
      ['payment_transaction', 'txn___test__KyVnHhSBWl9fR3dr', 1517505762000, false],
      ['invoice', '__demo_inv__1', 1517505748000, false],
      ['customer', '__test__KyVnHhSBWl7eY2bl', 1517505731000, false],
      ['subscription', '__test__8asukSOXdvg4PD', 1612890920000, false],
    ]);
    expect(mapped.changes.every((c) => c.eventId === fx.paymentSucceededEvent.id)).toBe(true);
  });

  it('*_deleted deletes only the event’s own resource', () => {
    const event = chargebeeEventToProviderEvent({
      ...fx.paymentSucceededEvent,
      id: 'ev_del',
      event_type: 'subscription_deleted',
      content: { subscription: fx.subscription, customer: fx.customer },
    });
    const mapped = event && mapChargebeeEvent(event, ctx);
    expect(
      mapped?.kind === 'changes' && mapped.changes.map((c) => [c.entityType, c.deleted]),
    ).toEqual([
      ['subscription', true],
      ['customer', false],
    ]);
  });

  it('an event without resource_version falls back to its occurred_at', () => {
    const { resource_version: _rv, updated_at: _u, ...bare } = fx.customer;
    const event = chargebeeEventToProviderEvent({
      ...fx.paymentSucceededEvent,
      event_type: 'customer_changed',
      content: { customer: bare },
    });
    const mapped = event && mapChargebeeEvent(event, ctx);
    expect(mapped?.kind === 'changes' && mapped.changes[0]?.version).toBe(1517505762000);
  });

  it('unsynced types and credit notes are ignored, not errors', () => {
    for (const [type, content] of [
      ['coupon_created', { coupon: { id: 'c1' } }],
      ['credit_note_created', { credit_note: fx.creditNote }],
    ] as const) {
      const event = chargebeeEventToProviderEvent({
        ...fx.paymentSucceededEvent,
        event_type: type,
        content,
      });
      expect(event && mapChargebeeEvent(event, ctx).kind).toBe('ignored');
    }
    expect(CHARGEBEE_EVENT_TYPES).not.toContain('credit_note_created');
  });
});
