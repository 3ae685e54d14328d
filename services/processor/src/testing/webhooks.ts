import { randomUUID } from 'node:crypto';

import {
  FAILURE_HEADERS,
  TOPICS,
  WEBHOOK_RECEIVED,
  webhookPartitionKey,
  type WebhookReceived,
} from '@paysync/contracts';
import { createEnvelope, topicName, type OutgoingMessage } from '@paysync/kafka';
import { aStripeEvent, stripeFixture } from '@paysync/providers/testing';

/** Whom a test webhook belongs to. */
export interface WebhookTenant {
  readonly workspaceId: string;
  readonly connectionId: string;
}

/** A verified webhook of `provider` as ingress puts it on `billing.webhook.received.v1`. */
function aWebhookReceived(
  tenant: WebhookTenant,
  provider: WebhookReceived['provider'],
  event: Omit<WebhookReceived['event'], 'livemode' | 'accountId'>,
): WebhookReceived {
  return {
    provider,
    workspaceId: tenant.workspaceId,
    connectionId: tenant.connectionId,
    receivedAt: new Date().toISOString(),
    source: 'webhook',
    event: { ...event, livemode: false, accountId: null },
  };
}

/**
 * A verified Stripe webhook as ingress puts it on `billing.webhook.received.v1`: `object` (a
 * Stripe fixture with overrides) wrapped in an event of `type`, created at `createdMs`.
 */
export function aStripeWebhook(
  tenant: WebhookTenant,
  type: string,
  object: Record<string, unknown>,
  { createdMs = Date.now(), eventId = `evt_${randomUUID().replaceAll('-', '')}` } = {},
): WebhookReceived {
  const created = Math.floor(createdMs / 1000);
  return aWebhookReceived(tenant, 'stripe', {
    id: eventId,
    type,
    createdMs: created * 1000,
    apiVersion: '2026-10-28.endive',
    objectType: typeof object.object === 'string' ? object.object : null,
    objectId: typeof object.id === 'string' ? object.id : null,
    payload: aStripeEvent(type, object, { id: eventId, created }),
  });
}

/**
 * A verified Chargebee webhook as ingress puts it on `billing.webhook.received.v1`: `payload`, an
 * event as Chargebee sends it, whose object is the first resource of its content.
 */
export function aChargebeeWebhook(
  tenant: WebhookTenant,
  payload: {
    readonly id: string;
    readonly event_type: string;
    readonly occurred_at: number;
    readonly api_version?: string;
    readonly content: Record<string, { readonly id: string; readonly [field: string]: unknown }>;
  },
): WebhookReceived {
  const [objectType, object] = Object.entries(payload.content)[0] ?? [null, null];
  return aWebhookReceived(tenant, 'chargebee', {
    id: payload.id,
    type: payload.event_type,
    createdMs: payload.occurred_at * 1000,
    apiVersion: 'v2',
    objectType,
    objectId: object?.id ?? null,
    payload,
  });
}

/** A `customer.updated` webhook for customer `id` with `name`. */
export function aCustomerUpdate(
  tenant: WebhookTenant,
  id: string,
  name: string,
  options: { createdMs?: number; eventId?: string } = {},
): WebhookReceived {
  return aStripeWebhook(
    tenant,
    'customer.updated',
    stripeFixture('customer', { id, name }),
    options,
  );
}

/**
 * `webhook` as the processor dead-letters it after its last attempt (3): under its partition key,
 * with the failure headers of `errorCode`, read from partition 0 of the received topic under
 * `topicPrefix` at `originalOffset`.
 */
export function aWebhookDeadLetter(
  webhook: WebhookReceived,
  {
    topicPrefix,
    originalOffset,
    errorCode,
    errorMessage,
  }: { topicPrefix: string; originalOffset: string; errorCode: string; errorMessage: string },
): OutgoingMessage {
  return {
    key: webhookPartitionKey(webhook),
    envelope: createEnvelope({
      type: WEBHOOK_RECEIVED,
      workspaceId: webhook.workspaceId,
      payload: webhook,
    }),
    headers: {
      [FAILURE_HEADERS.attempt]: '3',
      [FAILURE_HEADERS.originalTopic]: topicName(TOPICS.webhookReceived, topicPrefix),
      [FAILURE_HEADERS.originalPartition]: '0',
      [FAILURE_HEADERS.originalOffset]: originalOffset,
      [FAILURE_HEADERS.errorClass]: errorCode,
      [FAILURE_HEADERS.errorCode]: errorCode,
      [FAILURE_HEADERS.errorMessage]: errorMessage,
    },
  };
}
