import type { IncomingHttpHeaders } from 'node:http';

import type { ProviderName } from '@paysync/contracts';
import { ValidationError } from '@paysync/errors';

import { mapStripeEvent, verifyStripeWebhook } from './stripe/stripe.webhook.js';

import type { ChangeContext, MappedEvent, ProviderEvent } from './billing-provider.js';

function unsupported(provider: string): ValidationError {
  return new ValidationError(`Provider ${provider} is not supported yet`, [
    { path: 'provider', message: 'not supported' },
  ]);
}

/**
 * Verifies a webhook for `provider` on its raw bytes (no API key needed: ingress holds only the
 * connection's secrets). Throws WebhookVerificationError with a code per failure.
 */
export function verifyProviderWebhook(
  provider: ProviderName,
  rawBody: Buffer,
  headers: IncomingHttpHeaders,
  secrets: readonly string[],
  opts: { toleranceSeconds?: number } = {},
): ProviderEvent {
  switch (provider) {
    case 'stripe':
      return verifyStripeWebhook(rawBody, headers, secrets, opts);
    case 'chargebee':
      throw unsupported(provider);
  }
}

/** What an event means for synced data (pure; no API call). */
export function mapProviderEvent(event: ProviderEvent, ctx: ChangeContext): MappedEvent {
  switch (event.provider) {
    case 'stripe':
      return mapStripeEvent(event, ctx);
    case 'chargebee':
      throw unsupported(event.provider);
  }
}

/**
 * The provider account an (unverified) webhook claims to be for, to find which connection's
 * secrets verify it (Stripe Connect: the event's `account`). Null when absent or unparsable.
 */
export function claimedAccountId(provider: ProviderName, rawBody: Buffer): string | null {
  if (provider !== 'stripe') return null;
  try {
    const parsed = JSON.parse(rawBody.toString('utf8')) as { account?: unknown };
    return typeof parsed.account === 'string' ? parsed.account : null;
  } catch {
    return null;
  }
}
