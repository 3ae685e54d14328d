import type { IncomingHttpHeaders } from 'node:http';

import type { ProviderName } from '@paysync/contracts';
import type { FieldError } from '@paysync/errors';

import type {
  BillingProvider,
  ChangeContext,
  MappedEvent,
  ProviderCapabilities,
  ProviderClientOptions,
  ProviderEvent,
  StoredEvent,
} from './billing-provider.js';
import type { CredentialInput, ProviderRateSettings } from './catalog.js';

/** A service's provider settings an adapter may read (from `config.provider`). */
export interface ProviderServiceSettings {
  readonly stripeApiBaseUrl?: string | undefined;
}

/** Where {@link ProviderAdapter.validateCredentials} reports each input. */
export interface CredentialPaths {
  readonly apiKey: string;
  readonly webhookSecrets: string;
}

/**
 * Everything paysync knows about one billing provider, in one place (issue 17): the registry
 * (`registry.ts`) maps each provider name to its adapter, and services only ever ask the
 * registry. Steps that need no API key live here (ingress verifies with the connection's webhook
 * secrets only; replay rehydrates stored events); steps that call the provider live on the
 * {@link BillingProvider} client that {@link ProviderAdapter.createClient} builds.
 */
export interface ProviderAdapter {
  readonly name: ProviderName;
  /**
   * Offered to workspaces: connections can be created, are polled and reconciled. An adapter may
   * be registered before it is offered (refused with VALIDATION_FAILED everywhere until then).
   */
  readonly supported: boolean;
  readonly capabilities: ProviderCapabilities;
  /** The client for one connection (its key, base URL, mode and provider settings). */
  createClient(options: ProviderClientOptions): BillingProvider;
  /**
   * Verifies a webhook on its raw bytes against any of the connection's `secrets` (Stripe signing
   * secrets; Chargebee `username:password` Basic credentials). `livemode` is the connection's mode,
   * for providers whose events do not say. Throws WebhookVerificationError with a code per failure.
   */
  verifyWebhook(
    rawBody: Buffer,
    headers: IncomingHttpHeaders,
    secrets: readonly string[],
    opts: { readonly toleranceSeconds?: number | undefined; readonly livemode: boolean },
  ): ProviderEvent;
  /**
   * The provider account an (unverified) webhook claims to be for, to find which connection's
   * secrets verify it when the URL names none (Stripe Connect `account`); null when the provider
   * identifies connections by URL only, or the body says nothing parsable.
   */
  claimedAccountId(rawBody: Buffer): string | null;
  /** What an event means for synced data (pure; no API call). */
  mapEvent(event: ProviderEvent, ctx: ChangeContext): MappedEvent;
  /** A stored event (replay) back into a ProviderEvent; lenient: never throws. */
  rehydrateEvent(stored: StoredEvent, opts: { readonly livemode: boolean }): ProviderEvent;
  /** Problems with credentials before they are stored (never echoing a secret); empty if none. */
  validateCredentials(input: CredentialInput, paths: CredentialPaths): FieldError[];
  /**
   * Problems with a connection's provider settings (`path` is where they are, e.g.
   * `body/settings`): settings the provider needs (Chargebee's `site`). Absent: none needed.
   */
  validateSettings?(settings: Readonly<Record<string, unknown>>, path: string): FieldError[];
  /**
   * Whether a connection with these provider settings also syncs the accounts under it (Stripe
   * Connect: `settings.connect: true` lists the platform's connected accounts, and each account's
   * data is synced and reconciled under that account). Services ask this instead of reading a
   * provider's settings themselves; a provider without sub-accounts answers false.
   */
  syncsSubAccounts(settings: Readonly<Record<string, unknown>>): boolean;
  /** The mode an API key belongs to, when the key says. */
  modeOfApiKey(apiKey: string): 'test' | 'live' | undefined;
  /**
   * Requests per second from server configuration for `mode`, when configured (a per-minute
   * setting divided by 60).
   */
  configuredRateLimit(mode: 'test' | 'live', rates: ProviderRateSettings): number | undefined;
  /**
   * The service-wide base URL for this provider's connections without `settings.apiBaseUrl` (an
   * egress proxy: `STRIPE_API_BASE_URL`), when configured; else the provider's own API.
   */
  configuredApiBaseUrl(settings: ProviderServiceSettings): string | undefined;
}
