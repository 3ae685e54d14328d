import { z } from 'zod';

import { PROVIDERS } from './canonical.js';

/** Envelope `type` of a verified provider webhook on the `webhookReceived` topic. */
export const WEBHOOK_RECEIVED = 'webhook.received';

/**
 * Payload of `billing.webhook.received.v1`: one verified provider event, with the tenant it was
 * resolved to. Produced by ingress (and the outbox relay, replays); consumed by the processor.
 */
export const webhookReceivedSchema = z.object({
  provider: z.enum(PROVIDERS),
  workspaceId: z.uuid(),
  connectionId: z.uuid(),
  /** When ingress accepted it (ISO 8601). */
  receivedAt: z.iso.datetime({ offset: true }),
  /**
   * How it entered the pipeline: webhook (ingress), replay (the API), reconcile (the recovery
   * service's event-gap poller found it in the provider's event list).
   */
  source: z.enum(['webhook', 'replay', 'reconcile']).default('webhook'),
  event: z.object({
    id: z.string().min(1),
    type: z.string().min(1),
    createdMs: z.number().int(),
    livemode: z.boolean(),
    accountId: z.string().nullable(),
    apiVersion: z.string().nullable(),
    objectType: z.string().nullable(),
    objectId: z.string().nullable(),
    /** The provider's event, verbatim. */
    payload: z.unknown(),
  }),
});

export type WebhookReceived = z.infer<typeof webhookReceivedSchema>;

/** Partition key: one provider object's events share a partition, so they apply in order. */
export function webhookPartitionKey(
  m: Pick<WebhookReceived, 'workspaceId' | 'provider' | 'event'>,
): string {
  return `${m.workspaceId}:${m.provider}:${m.event.objectType ?? 'none'}:${m.event.objectId ?? m.event.id}`;
}

/** Kafka headers the retry/DLQ routing adds to a failed message. */
export const FAILURE_HEADERS = {
  attempt: 'x-attempt',
  notBefore: 'x-not-before',
  originalTopic: 'x-original-topic',
  originalPartition: 'x-original-partition',
  originalOffset: 'x-original-offset',
  errorClass: 'x-error-class',
  errorCode: 'x-error-code',
  errorMessage: 'x-error-message',
  failedAt: 'x-failed-at',
} as const;
