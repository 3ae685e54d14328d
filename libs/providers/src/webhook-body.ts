import { WebhookVerificationError } from '@paysync/errors';

/**
 * The JSON of an authenticated webhook body, or WEBHOOK_PAYLOAD_INVALID naming what the body was
 * (`what`: "Signed body", "Webhook body") — the one parse step every provider's webhook shares.
 */
export function parseWebhookJson(rawBody: Buffer, what: string): unknown {
  try {
    return JSON.parse(rawBody.toString('utf8')) as unknown;
  } catch (err) {
    throw new WebhookVerificationError(
      'WEBHOOK_PAYLOAD_INVALID',
      `${what} is not valid JSON`,
      undefined,
      { cause: err },
    );
  }
}
