import type { IncomingHttpHeaders } from 'node:http';

import type { ProviderName } from '@paysync/contracts';

import { providerAdapter, registeredAdapter } from './registry.js';

import type { ChangeContext, MappedEvent, ProviderEvent, StoredEvent } from './billing-provider.js';

/**
 * Verifies a webhook for `provider` on its raw bytes (no API key needed: ingress holds only the
 * connection's secrets), through the provider's adapter. `livemode` is the connection's mode.
 * Throws WebhookVerificationError with a code per failure; a ValidationError for a provider not
 * offered.
 */
export function verifyProviderWebhook(
  provider: ProviderName,
  rawBody: Buffer,
  headers: IncomingHttpHeaders,
  secrets: readonly string[],
  opts: { toleranceSeconds?: number | undefined; livemode?: boolean | undefined } = {},
): ProviderEvent {
  return providerAdapter(provider).verifyWebhook(rawBody, headers, secrets, {
    toleranceSeconds: opts.toleranceSeconds,
    livemode: opts.livemode ?? false,
  });
}

/** What an event means for synced data (pure; no API call). */
export function mapProviderEvent(event: ProviderEvent, ctx: ChangeContext): MappedEvent {
  return providerAdapter(event.provider).mapEvent(event, ctx);
}

/** A stored event (replay) back into a ProviderEvent of `provider`; `livemode`: the connection's. */
export function rehydrateProviderEvent(
  provider: ProviderName,
  stored: StoredEvent,
  opts: { livemode: boolean },
): ProviderEvent {
  return providerAdapter(provider).rehydrateEvent(stored, opts);
}

/**
 * The provider account an (unverified) webhook claims to be for, to find which connection's
 * secrets verify it (Stripe Connect: the event's `account`). Null when absent or unparsable, and
 * for providers that identify a connection by its URL only.
 */
export function claimedAccountId(provider: ProviderName, rawBody: Buffer): string | null {
  return registeredAdapter(provider)?.claimedAccountId(rawBody) ?? null;
}
