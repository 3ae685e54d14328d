import {
  SYNC_COMMAND,
  WEBHOOK_RECEIVED,
  syncCommandPartitionKey,
  webhookPartitionKey,
  type SyncCommand,
  type WebhookReceived,
} from '@paysync/contracts';

import { createEnvelope } from './envelope.js';

import type { OutgoingMessage } from './producer.js';

/**
 * A verified provider event for `billing.webhook.received.v1`, however it entered (ingress,
 * replay, the event-gap poller): keyed by its object so one object's events stay in order, with
 * the idempotency key `<provider>:<event id>`.
 */
export function webhookReceivedMessage(
  message: WebhookReceived,
  trace: { readonly correlationId?: string; readonly traceparent?: string } = {},
): OutgoingMessage {
  return {
    key: webhookPartitionKey(message),
    envelope: createEnvelope({
      type: WEBHOOK_RECEIVED,
      workspaceId: message.workspaceId,
      idempotencyKey: `${message.provider}:${message.event.id}`,
      ...trace,
      payload: message,
    }),
  };
}

/** A sync command for `billing.sync.command.v1`, keyed by connection so its commands stay in order. */
export function syncCommandMessage(
  command: SyncCommand,
  meta: { readonly correlationId: string; readonly idempotencyKey?: string },
): OutgoingMessage {
  return {
    key: syncCommandPartitionKey(command),
    envelope: createEnvelope({
      type: SYNC_COMMAND,
      workspaceId: command.workspaceId,
      ...meta,
      payload: command,
    }),
  };
}
